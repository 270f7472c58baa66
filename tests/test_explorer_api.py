"""`scfchain serve` as an auditor runs it, over the scripted audit lifecycle on its own Anvil: the JSON API
against the contracts' views, the index kept following the chain, bad input, and Ctrl-C."""
import json
import socket
import urllib.request

import pytest
from eth_utils import keccak

from tests.audit_scenario import DAY, NAMES, U
from tests.audit_support import pg_cluster, start  # noqa: F401
from tests.explorer_support import Proc, assert_api_matches_chain, explorer_url, get, ok, wait_until

pytestmark = pytest.mark.tooling


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("explorer-api")
    anvil, scenario = start(tmp)
    scenario["db"] = str(tmp / "explorer.sqlite")
    # its own index, built from nothing by the server
    server = Proc("serve", "--deployment", scenario["deployment"], "--rpc-url", scenario["url"],
                  "--db", f"sqlite:///{tmp / 'explorer.sqlite'}", "--port", "0", "--confirmations", "0")
    try:
        scenario["base"] = explorer_url(server.wait_for(lambda l: l.startswith("Explorer: "), timeout=120))
        scenario["server"] = server
        yield scenario
    finally:
        server.kill()
        anvil.stop()


def test_api_matchesTheChain(s):
    dep = json.loads(open(s["deployment"]).read())
    checked = assert_api_matches_chain(s["base"], s["w3"], dep, list(s["a"].values()))
    assert checked == 7


def test_api_receivable_treeSalesRepaymentsPayouts(s):
    a, c = s["a"], s["certs"]
    r = ok(f"{s['base']}/api/receivables/{c['r2']}")
    rec = r["receivable"]
    assert (rec["status"], rec["paid"], rec["covered"], rec["recovered"]) == ("defaulted", 100_000 * U,
                                                                             s["covered2"], s["paid2"] + s["covered2"])
    (call,) = r["guaranteeCalls"]
    assert (call["guaranteeId"], call["amount"], call["guarantor"]) == (s["gid"], s["covered2"], a["guarantor"])
    (child,) = r["tree"]["children"]
    assert child["id"] == c["c6"] and child["tier"] == 2
    (sale,) = child["financings"]
    assert (sale["seller"], sale["financier"], sale["amount"], sale["proceeds"]) == (a["t2b"], a["factor"],
                                                                                   100_000 * U, s["proceeds"][1])
    kinds = [h["kind"] for h in r["history"]]
    assert kinds == ["issue", "split", "sale", "repayment", "guarantee-call", "default", "payout", "payout"]
    assert r["history"][2]["text"] == (f"{NAMES['t2b']} sells 100,000.00 of #{c['c6']} to {NAMES['factor']} for "
                                       f"{s['proceeds'][1] // 100:,}.{s['proceeds'][1] % 100:02d} (price "
                                       f"{s['proceeds'][1] / 10_000_000:.4f}, offer #{s['offer']} at 6.00%/yr, "
                                       f"annualised discount 6.00%, "
                                       f"{(s['maturity'][c['r2']] - s['finance_times'][1]) / DAY:.1f} days to "
                                       "maturity)")
    assert r["history"][4]["text"] == (f"guarantee #{s['gid']} of {NAMES['guarantor']} pays "
                                       f"{s['covered2'] // 100:,}.00")


def test_api_certificate_lineageToTheCoreEnterprise(s):
    a, c, w3 = s["a"], s["certs"], s["w3"]
    data = ok(f"{s['base']}/api/certificates/{c['c4']}")
    certs = w3.eth.contract(address=s["dep"].address("ReceivableCertificate"),
                            abi=s["dep"].contracts["ReceivableCertificate"]["abi"]).functions
    chain_path, walk = [], c["c4"]
    while walk:  # up the parents on chain
        chain_path.append(walk)
        walk = certs.certificate(walk).call()[1]
    assert data["lineage"] == chain_path[::-1] == [c["r1"], c["c2"], c["c4"]]
    d = data["descendsFrom"]
    assert (d["ok"], d["rootId"], d["debtor"], d["debtorName"]) == (True, c["r1"], a["core"], NAMES["core"])
    assert data["tree"]["tier"] == 3 and data["tree"]["created"]["toName"] == NAMES["sme"]


def test_api_member_creditProfile(s):
    a = s["a"]
    sme = ok(f"{s['base']}/api/members/{a['sme']}")
    assert (sme["name"], sme["roles"], sme["active"]) == (NAMES["sme"], ["SUPPLIER_ROLE"], True)
    assert (sme["financed"]["count"], sme["financed"]["proceeds"]) == (1, s["proceeds"][0])
    assert sme["received"]["byTier"] == {"3": {"certificates": 1, "units": 150_000 * U}}
    t2b = ok(f"{s['base']}/api/members/{a['t2b'].lower()}")  # any spelling of the address
    assert t2b["address"] == a["t2b"]
    assert t2b["holdings"] == {str(s["certs"]["c6"]): 100_000 * U}  # Deyang Wiring left #6 unclaimed
    core = ok(f"{s['base']}/api/members/{a['core']}")["debtor"]
    assert (core["receivables"], core["defaults"], core["coveredByGuarantees"]) == (3, 1, s["covered2"])
    escrow = s["dep"].address("SettlementEscrow")  # a contract: what it holds, no credit profile
    e = ok(f"{s['base']}/api/members/{escrow}")
    token = s["w3"].eth.contract(address=s["dep"].address("PaymentToken"), abi=s["dep"].contracts["PaymentToken"]["abi"])
    assert (e["contract"], e["holdings"]) == ("SettlementEscrow", {})
    assert e["tokenBalance"] == token.functions.balanceOf(escrow).call() > 0  # #6's unclaimed payout


def test_api_followsTheChain_newEventsAndReceivable(s):
    a, scf, base = s["a"], s["scf"], s["base"]
    before = ok(base + "/api/events?after=0")
    total = before["total"]
    assert [e["seq"] for e in before["events"]] == list(range(1, total + 1))
    assert ok(f"{base}/api/events?after={total}")["events"] == []
    rid = scf.issue(a["core"], a["t1"], 1_000 * U, scf.now() + 40 * DAY, keccak(text="INV-after-start"))
    receipt_block = s["w3"].eth.block_number
    new = wait_until(lambda: ok(f"{base}/api/events?after={total}"),
                     lambda d: any(e["event"] == "ReceivableIssued" for e in d["events"]))
    (issued,) = [e for e in new["events"] if e["event"] == "ReceivableIssued"]
    assert issued["seq"] > total and issued["block"] == receipt_block
    assert (issued["args"]["rootId"], issued["args"]["faceValue"], issued["args"]["supplier"]) == (rid, 1_000 * U,
                                                                                                   a["t1"])
    assert issued["text"].startswith(f"{NAMES['core']} issues receivable #{rid} of 1,000.00 to {NAMES['t1']}")
    row = next(r for r in ok(base + "/api/receivables")["receivables"] if r["rootId"] == rid)
    assert (row["status"], row["faceValue"], row["outstanding"]) == ("active", 1_000 * U, 1_000 * U)


def test_api_badInput_clearErrors(s):
    base, c = s["base"], s["certs"]
    assert get(base + "/api/certificates/99") == (404, {"error": "certificate 99 is not in the index (no event "
                                                                 "created it)"})
    assert get(f"{base}/api/receivables/{c['c4']}") == (404, {"error": f"certificate {c['c4']} is not a receivable: "
                                                                        f"it was split from receivable #{c['r1']}"})
    assert get(base + "/api/members/nobody") == (400, {"error": "member is not a valid address: 'nobody'"})
    assert get(base + "/api/members/0x" + "22" * 20) == (404, {"error": f"0x{'22' * 20} appears in no event of "
                                                                         "this deployment"})
    assert get(base + "/api/events?after=-1") == (400, {"error": "after must be a whole number, got '-1'"})
    assert get(base + "/api/nothing") == (404, {"error": "no such page"})


def test_serve_refuses_clearly(s, tmp_path):
    # a port in use: one line, exit 1, before anything starts
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        p = Proc("serve", "--deployment", s["deployment"], "--rpc-url", s["url"], "--db",
                 f"sqlite:///{tmp_path / 'x.sqlite'}", "--port", str(port))
        assert p.p.wait(timeout=120) == 1
    p.wait_for(lambda l: "cannot listen" in l, timeout=10)
    assert p.lines == [f"scfchain: cannot listen on 127.0.0.1:{port}: Address already in use (choose another --port)"]
    p = Proc("serve", "--deployment", str(tmp_path / "none.json"), "--rpc-url", s["url"], "--port", "0")
    assert p.p.wait(timeout=120) == 1
    line = p.wait_for(lambda l: l.startswith("scfchain: "), timeout=10)
    assert "none.json" in line and len(p.lines) == 1
    # the index of another deployment is refused, as `scfchain audit` refuses it
    other = json.loads(open(s["deployment"]).read())
    other["contracts"]["Consortium"]["address"] = "0x" + "11" * 20
    (tmp_path / "other.json").write_text(json.dumps(other))
    p = Proc("serve", "--deployment", str(tmp_path / "other.json"), "--rpc-url", s["url"], "--db",
             f"sqlite:///{s['db']}", "--port", "0")
    assert p.p.wait(timeout=120) == 1
    assert p.wait_for(lambda l: l.startswith("scfchain: "), timeout=10).endswith(
        "indexes another deployment (chain 31337); use another --db or --rebuild")


def test_serve_ctrlC_stops(s, tmp_path):
    p = Proc("serve", "--deployment", s["deployment"], "--rpc-url", s["url"], "--db",
             f"sqlite:///{tmp_path / 'c.sqlite'}", "--port", "0", "--confirmations", "0")
    base = explorer_url(p.wait_for(lambda l: l.startswith("Explorer: "), timeout=120))
    assert ok(base + "/api/receivables")["receivables"]
    assert p.interrupt() == 0
    assert p.lines[-1] == "explorer stopped"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5)


def test_serve_fromPostgresqlIndex_answersAsTheChain(s, pg_cluster):
    """`scfchain serve --db postgresql://…`: the server builds its index in a PostgreSQL database, its API tells
    what the contracts' views say (and what the SQLite server's says), its pages render, and it keeps following
    the chain into that database."""
    from scfchain.audit import Store

    url = pg_cluster.new("explorer")
    p = Proc("serve", "--deployment", s["deployment"], "--rpc-url", s["url"], "--db", url, "--port", "0",
             "--confirmations", "0")
    try:
        base = explorer_url(p.wait_for(lambda l: l.startswith("Explorer: "), timeout=120))
        dep = json.loads(open(s["deployment"]).read())
        assert assert_api_matches_chain(base, s["w3"], dep, list(s["a"].values())) == s["scf"].certificates.functions \
            .nextId().call() - 1
        listing = ok(base + "/api/receivables")
        same = wait_until(lambda: ok(s["base"] + "/api/receivables"), lambda d: d["asOfBlock"] == listing["asOfBlock"])
        assert listing == same  # the SQLite server's answer at the same block
        logs = s["w3"].provider.make_request("eth_getLogs", [{"fromBlock": hex(s["dep"].block), "toBlock": "latest",
                                                              "address": [c["address"] for c in dep["contracts"].values()]}])
        with Store(url, create=False) as store:
            assert store.count() == len(logs["result"])
        with urllib.request.urlopen(f"{base}/receivables/{s['certs']['r1']}", timeout=30) as page:
            html = page.read().decode()
        assert page.status == 200 and f"Receivable #{s['certs']['r1']}" in html and NAMES["core"] in html
        # following: a receivable issued now shows up, read from the PostgreSQL index
        a, scf = s["a"], s["scf"]
        rid = scf.issue(a["core"], a["t1"], 2_000 * U, scf.now() + 40 * DAY, keccak(text="INV-on-postgresql"))
        row = wait_until(lambda: ok(base + "/api/receivables"),
                         lambda d: any(r["rootId"] == rid for r in d["receivables"]))
        (new,) = [r for r in row["receivables"] if r["rootId"] == rid]
        assert (new["status"], new["faceValue"], new["debtor"]) == ("active", 2_000 * U, a["core"])
    finally:
        p.kill()
