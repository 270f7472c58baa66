"""The demo as a user runs it (its own embedded Anvil), checked through the JSON record it writes."""
import json

from scfchain.demo import run_demo


def test_demo_paysEveryHolder(tmp_path):
    lines = []
    record = run_demo(None, tmp_path, say=lines.append)
    on_disk = json.loads((tmp_path / "demo.json").read_text())
    assert on_disk["payouts"] == record["payouts"]
    for name in ("receivable-1.svg", "receivable-2.svg"):
        svg = (tmp_path / name).read_text()
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")

    paid, defaulted = record["receivables"]
    assert paid["status"] == "paid" and paid["recovered"] == paid["faceValue"] == 1_000_000_00
    assert defaulted["status"] == "defaulted"
    # 100,000.00 repaid + 300,000.00 from the guarantee.
    assert defaulted["covered"] == 300_000_00 and defaulted["recovered"] == 400_000_00
    # Every holder was paid its pro-rata share, and the shares add up to what was recovered.
    for p in record["payouts"]:
        face = paid["faceValue"] if p["rootId"] == paid["rootId"] else defaulted["faceValue"]
        recovered = paid["recovered"] if p["rootId"] == paid["rootId"] else defaulted["recovered"]
        assert p["payout"] == p["units"] * recovered // face
    assert paid["paidOut"] == paid["recovered"]
    assert defaulted["paidOut"] == defaulted["recovered"]
    assert record["liveUnits"] == 0
    assert record["balances"]["escrow"] == 0  # no dust left with these round amounts
    assert record["balances"]["guarantee"] == 0  # the whole guarantee was called
    # The tier-3 business sold at the quoted price, in one transaction, after checking lineage.
    fin = record["financing"]
    assert fin["proceeds"] == fin["quote"] < fin["amount"]
    assert fin["lineage"][-1] == paid["rootId"] and len(fin["lineage"]) == 3
    assert record["balances"]["desk"] == 500_000_00 - fin["proceeds"]
    assert any("Final payouts" in line for line in lines)
