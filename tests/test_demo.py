"""The demo as a user runs it (its own embedded Anvil), checked through the JSON record it writes."""
import pytest
import json
import re

from scfchain.apps.demo import run_demo
from tests.picture_support import svg_texts

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling


def test_demo_paysEveryHolder(tmp_path):
    lines = []
    record = run_demo(None, tmp_path, say=lines.append)
    on_disk = json.loads((tmp_path / "demo.json").read_text())
    assert on_disk["payouts"] == record["payouts"]
    for name, receivable in zip(("receivable-1.svg", "receivable-2.svg"), record["receivables"]):
        labels = svg_texts((tmp_path / name).read_text())
        # every holder of the text tree, named in full with its units (the hand-drawn SVG cut these)
        held = [h for line in receivable["tree"].splitlines() for h in line.split("held by: ")[1].split(", ")
                if h != "no live units"]
        assert held and {re.sub(r" ([-0-9,.]+)$", r": \1", h) for h in held} <= set(labels)
    assert "Chengdu Precision Parts: 300,000.00" in svg_texts((tmp_path / "receivable-1.svg").read_text())

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
    # A tier-2 supplier sold to the bank at the quoted price, in one transaction (discounting).
    fin = record["financing"]
    assert fin["proceeds"] == fin["quote"] < fin["amount"] == 100_000_00
    assert fin["seller"] == record["actors"]["Deyang Wiring"] and fin["financier"] == record["actors"]["Bank of Chengdu"]
    assert fin["lineage"][-1] == paid["rootId"] and len(fin["lineage"]) == 2
    assert record["balances"]["desk"] == 500_000_00 - fin["proceeds"]
    # The tier-3 business borrowed against its certificate: assessed from the chain, funded in one transaction,
    # repaid in part on demand, settled at maturity with the lender first.
    loan = record["loan"]
    assert loan["borrower"] == record["actors"]["Leshan Household Appliances"]
    assert loan["lender"] == record["actors"]["Tianfu Financing Guarantee Co."]
    assert (loan["units"], loan["principal"], loan["rateBps"]) == (150_000_00, 120_000_00, 800)
    assert len(loan["lineage"]) == 3 and loan["lineage"][-1] == paid["rootId"] and loan["lineage"][0] == loan["certId"]
    assert loan["creditProfile"]["received"]["byTier"] == {"3": {"certificates": 1, "units": 150_000_00}}
    assert loan["repaidOnDemand"]["amount"] == 40_000_00
    # 120,000.00 lent, 30 days of 8 %: the interest (at most 789.05 for the whole 30 days) is paid first
    assert 80_000_00 < loan["repaidOnDemand"]["remainingDebt"] <= 80_000_00 + 789_05
    st = loan["settlement"]
    # 150,000.00 units of a receivable paid in full pay 150,000.00: the lender its debt, the business the rest.
    assert st["payout"] == 150_000_00 and st["toLender"] == st["debt"]
    assert st["toLender"] + st["toBorrower"] == st["payout"]
    # The debt after maturity: what was left after the repayment (all principal) plus at most 60 days of 8 % on it
    left = loan["repaidOnDemand"]["remainingDebt"]
    assert left < st["debt"] <= left + left * 8 * 60 // (100 * 365) + 1
    assert loan["state"] == "settled"
    desk_payout = [p for p in record["payouts"] if p["id"] == loan["certId"]]
    assert [(p["name"], p["units"], p["payout"]) for p in desk_payout] == [("Loan Desk (pledged)", 150_000_00, 150_000_00)]
    assert record["balances"]["loanDesk"] == 0 and record["balances"]["loanDeskUnits"] == 0
    assert "Loan Desk (pledged)" in paid["tree"]  # the pledge shows in the tree the pictures draw
    svg = (tmp_path / "receivable-1.svg").read_text()
    assert "Loan Desk (pledged)" in svg
    assert any("Final payouts" in line for line in lines)


def test_brownieRunDemo_tellsTheStoryOnItsOwnNetwork(tmp_path):
    """`brownie run scripts/demo.py --network ID` as a user runs it: brownie starts the Anvil of the network."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from scfchain.anvil import free_port

    root = Path(__file__).resolve().parent.parent
    brownie = str(Path(sys.executable).parent / "brownie")
    env = {**os.environ, "HOME": str(tmp_path), "SCFCHAIN_DEMO_OUT": str(tmp_path / "out")}
    add = subprocess.run([brownie, "networks", "add", "Development", "demo-test", "cmd=anvil", "host=http://127.0.0.1",
                          f"port={free_port()}", "accounts=10", "chain_id=31337"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=120)
    assert add.returncode == 0, add.stdout + add.stderr
    r = subprocess.run([brownie, "run", "scripts/demo.py", "--network", "demo-test"], cwd=root, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "Final payouts" in r.stdout
    record = json.loads((tmp_path / "out" / "demo.json").read_text())
    paid, defaulted = record["receivables"]
    assert (paid["status"], defaulted["status"]) == ("paid", "defaulted")
    assert paid["paidOut"] == paid["recovered"] == paid["faceValue"]
    assert defaulted["paidOut"] == defaulted["recovered"] and record["liveUnits"] == 0
    assert (tmp_path / "out" / "receivable-1.svg").exists()
