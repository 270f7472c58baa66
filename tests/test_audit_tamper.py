"""`scfchain audit verify` catches every tampered row: for each event type of every contract, deleting a
row, altering one of its arguments and inserting a row no log backs, all well below the confirmation margin,
each fail verification (exit 1), and the verdict names the event, its block and log, and what changed.

One lifecycle chain that emits every event the deployment can emit (the audit scenario, then a second
onboarding under another name, a revoked role, a suspension and reinstatement, a guarantee released, an
offer cancelled, pause and unpause, a tier policy change, a batch transfer), indexed once per engine; each
case tampers with that index, runs verify in-process (the CLI's own entry point), and undoes the change."""
import importlib
import json
from contextlib import contextmanager

import pytest
from web3 import Web3

from scfchain import Anvil
from scfchain.audit.events import Decoder
from scfchain.apps.cli import main
from scfchain.lifecycle import role_id
from tests.audit_scenario import DAY, U, run_scenario, travel
from tests.audit_support import backend, pg_cluster, sql  # noqa: F401

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

CONFIRMATIONS = 12
# Events of the ABIs that nothing in this deployment can emit: no function sets a role's admin or the
# URI, and the mock token never refuses a payout (what SettlementFailed records). Only an inserted row of
# these can be tested.
# PaymentHeld and PaymentWithdrawn need a token that refuses a payee (a stablecoin blocklist): the held-payment
# scenario of tests/test_audit_loans.py emits them and tampers with them; here they are only forged (inserted).
NEVER_EMITTED = {"RoleAdminChanged", "URI", "SettlementFailed", "PaymentHeld", "PaymentWithdrawn"}


def _every_event(w3, s):
    scf, a, op = s["scf"], s["a"], s["a"]["op"]
    send = scf.chain.transact
    scf.onboard(op, a["t1"], "FINANCIER", "A second name the consortium ignores")
    send(scf.consortium.functions.revokeRole(role_id("FINANCIER"), a["t1"]), op, "revokeRole")
    scf.suspend(op, a["sme"])
    scf.reinstate(op, a["sme"])
    scf.cancel_offer(a["factor"], s["offer"])
    travel(w3, 120 * DAY)  # past the guarantee's expiry and grace period
    scf.release_guarantee(a["guarantor"], s["gid"])
    send(scf.certificates.functions.setMaxTier(20), op, "setMaxTier")
    send(scf.certificates.functions.pause(), op, "pause")
    send(scf.certificates.functions.unpause(), op, "unpause")
    r4 = scf.issue(a["core"], a["t1"], 10_000 * U, scf.now() + 30 * DAY, b"\x44" * 32)
    c5, c6 = scf.split(a["t1"], r4, [a["t1"], a["t1"]], [1_000 * U, 2_000 * U])
    send(scf.certificates.functions.safeBatchTransferFrom(a["t1"], a["t2a"], [r4, c5, c6], [100 * U, 10 * U, 20 * U],
                                                          b""), a["t1"], "batch transfer")
    # The loan desk's events: a request cancelled, and a loan funded, repaid in part and settled after its root
    # is repaid in full.
    cancelled = scf.request_loan(a["t1"], c5, 100 * U, 50 * U, 800, a["factor"], scf.now() + 5 * DAY)
    scf.cancel_loan(a["t1"], cancelled)
    loan = scf.request_loan(a["t1"], c6, 1_000 * U, 500 * U, 800, a["factor"], scf.now() + 5 * DAY)
    scf.fund_loan(a["factor"], loan)
    scf.repay_loan(a["t1"], loan, 100 * U)
    scf.mint(op, a["core"], 10_000 * U)
    scf.repay(a["core"], r4, 10_000 * U)
    scf.settle_loan(a["t1"], loan)
    for _ in range(CONFIRMATIONS + 3):  # every tampered row lies below the margin
        w3.provider.make_request("evm_mine", [])


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit-tamper")
    with Anvil() as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.url))
        s = run_scenario(w3)
        _every_event(w3, s)
        s["url"], s["deployment"] = anvil.url, str(s["dep"].save(tmp / "deployment.json"))
        yield s


def cli(s, *args):
    return main(["audit", *args, "--deployment", s["deployment"], "--rpc-url", s["url"], "--db", s["db"]])


@pytest.fixture(scope="module")
def s(chain, backend):
    s = dict(chain, db=backend.new("tamper"))
    assert cli(s, "index", "--json") == 0
    s["final"] = json.loads(sql(s["db"], "SELECT value FROM meta WHERE key = 'final_to'")[0][0])
    return s


def rows_by_event(s):
    """The first stored row of each event type below the margin: (contract, event) -> row."""
    first = {}
    for row in sql(s["db"], "SELECT * FROM events WHERE block <= ? ORDER BY block, log_index", (s["final"],)):
        first.setdefault((row[5], row[6]), row)
    return first


def verify(s, capsys):
    capsys.readouterr()
    code = cli(s, "verify", "--json")
    out, err = capsys.readouterr()
    return code, json.loads(out), err


@contextmanager
def tampered(s, do, undo):
    sql(s["db"], *do)
    try:
        yield
    finally:
        sql(s["db"], *undo)


def changed(value):
    """Another value of the same JSON type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, list):
        return [changed(value[0]), *value[1:]] if value else [1]
    if isinstance(value, str) and value.startswith("0x"):
        return value[:-1] + ("1" if value[-1] != "1" else "2")
    return value + " (edited)"


def index_violations(verdict):
    check = verdict["checks"]["index-complete"]
    assert check["ok"] is False
    return [v["message"] for v in check["violations"]]


def test_lifecycle_emitsEveryEventOfTheDeployment(s):
    decoder = Decoder(s["dep"])
    every = {(spec.contract, spec.name) for spec in decoder.events()}
    emitted = set(rows_by_event(s))
    emittable = {e for e in every if e[1] not in NEVER_EMITTED}
    assert emitted == emittable, (emittable - emitted, emitted - every)
    assert NEVER_EMITTED <= {name for _, name in every}
    assert len(every) == 41  # seven contracts (SettlementEscrowSet on two of them)


def test_untampered_allChecksHold(s, capsys):
    code, verdict, err = verify(s, capsys)
    assert code == 0 and verdict["ok"], err
    assert verdict["checks"]["index-complete"]["checked"] == len(sql(s["db"], "SELECT 1 FROM events"))


def test_deletedRowOfEveryEvent_failsNamingTheMissingLog(s, capsys):
    missed = []
    for (_, name), row in sorted(rows_by_event(s).items()):
        key = (row[0], row[1])
        with tampered(s, ("DELETE FROM events WHERE block = ? AND log_index = ?", key),
                      ("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)):
            code, verdict, err = verify(s, capsys)
        want = f"missing: {row[5]}.{name} "
        messages = index_violations(verdict) if not verdict["ok"] else []
        if code != 1 or "index-complete" not in err or not any(
                m.startswith(want) and f"at block {key[0]}, log {key[1]} " in m for m in messages):
            missed.append((name, code, err, messages[:3]))
    assert not missed, missed
    assert verify(s, capsys)[0] == 0  # every row put back


def test_alteredArgumentOfEveryEvent_failsNamingTheField(s, capsys):
    missed = []
    for (_, name), row in sorted(rows_by_event(s).items()):
        args = json.loads(row[7])
        field = next(iter(args))
        forged = dict(args, **{field: changed(args[field])})
        key = (row[0], row[1])
        with tampered(s, ("UPDATE events SET args = ? WHERE block = ? AND log_index = ?", (json.dumps(forged), *key)),
                      ("UPDATE events SET args = ? WHERE block = ? AND log_index = ?", (row[7], *key))):
            code, verdict, err = verify(s, capsys)
        messages = index_violations(verdict) if not verdict["ok"] else []
        want = (f"altered: {row[5]}.{name} ", f"at block {key[0]}, log {key[1]} ",
                f"{field} {forged[field]!r} in the index, {args[field]!r} on chain")
        if code != 1 or not any(all(w in m for w in want) for m in messages):
            missed.append((name, field, code, err, messages[:3]))
    assert not missed, missed
    assert verify(s, capsys)[0] == 0


def test_alteredTransactionOrTime_failsNamingTheField(s, capsys):
    row = rows_by_event(s)[("Consortium", "MemberSuspended")]
    key = (row[0], row[1])
    for column, value, label in (("tx_hash", "0x" + "ab" * 32, "transaction"), ("time", row[4] + 1, "block time"),
                                 ("log_index", row[1] + 500, "log index")):
        at = key if column != "log_index" else (row[0], value)
        with tampered(s, (f"UPDATE events SET {column} = ? WHERE block = ? AND log_index = ?", (value, *key)),
                      (f"UPDATE events SET {column} = ? WHERE block = ? AND log_index = ?", (row[
                          {"tx_hash": 2, "time": 4, "log_index": 1}[column]], *at))):
            code, verdict, err = verify(s, capsys)
        messages = index_violations(verdict)
        assert code == 1 and any(m.startswith("altered: Consortium.MemberSuspended ") and f"{label} " in m
                                 for m in messages), messages
    assert verify(s, capsys)[0] == 0


def test_insertedRowOfEveryEvent_failsNamingTheRowNoLogBacks(s, capsys):
    decoder = Decoder(s["dep"])
    first = rows_by_event(s)
    template = first[("Consortium", "MemberSuspended")]
    missed = []
    for n, spec in enumerate(sorted(decoder.events(), key=lambda e: (e.contract, e.name))):
        real = first.get((spec.contract, spec.name))
        types = dict(spec.indexed + spec.data)
        # a never-emitted event gets zero values of its argument types (an address as the zero address)
        args = json.loads(real[7]) if real else {
            name: "0x" + "00" * 20 if types[name] == "address" else 0 for name in spec.order}
        forged = (template[0], 9_000 + n, template[2], template[3], template[4], spec.contract, spec.name,
                  json.dumps(args))
        with tampered(s, ("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", forged),
                      ("DELETE FROM events WHERE block = ? AND log_index = ?", forged[:2])):
            code, verdict, err = verify(s, capsys)
        messages = index_violations(verdict) if not verdict["ok"] else []
        want = f"not on chain: {spec.contract}.{spec.name} "
        if code != 1 or not any(m.startswith(want) and f"at block {template[0]}, log {9_000 + n} " in m
                                for m in messages):
            missed.append((spec.name, code, err, messages[:3]))
    assert not missed, missed
    assert verify(s, capsys)[0] == 0


def test_rowOutsideTheIndexedSpan_fails(s, capsys):
    # (rows past the cursor are deleted by the index update verify starts with; rows before the deployment
    # are not)
    row = rows_by_event(s)[("Consortium", "MemberSuspended")]
    before = s["dep"].block - 1
    forged = (before, 0, *row[2:])
    with tampered(s, ("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", forged),
                  ("DELETE FROM events WHERE block = ?", (before,))):
        code, verdict, err = verify(s, capsys)
    assert code == 1 and any("rows of blocks outside the indexed span" in m for m in index_violations(verdict))


def test_membershipReplayedWrong_failsNamingTheMember(s, capsys):
    """A consistent index the replay misreads is caught against the chain: the member check reads
    isActive, hasRole and nameOf (here the replay is made to forget a suspension's reinstatement)."""
    replay_module = importlib.import_module("scfchain.audit.replay")  # the package exports a function `replay`

    original = replay_module.Ledger._on_MemberReinstated
    replay_module.Ledger._on_MemberReinstated = lambda self, e, a: None
    try:
        code, verdict, err = verify(s, capsys)
    finally:
        replay_module.Ledger._on_MemberReinstated = original
    sme = s["a"]["sme"]
    members = verdict["checks"]["members"]
    assert code == 1 and "members" in err and verdict["checks"]["index-complete"]["ok"]
    assert [v["message"] for v in members["violations"]] == [
        f"member {sme} (Leshan Household Appliances): isActive true on-chain, the events say false",
        f"member {sme} (Leshan Household Appliances): the certificate's activeFlag true on-chain, the events say "
        "false"]


def test_certificatesActiveFlag_divergingFromTheEvents_failsNamingTheMember(s, capsys):
    """The certificate's copy of a member's active flag (what its movements check) is read against the events
    too: a copy forced off on the node (anvil_setStorageAt; no transaction of the contracts can do it) fails."""
    w3 = Web3(Web3.HTTPProvider(s["url"]))
    cert = s["dep"].address("ReceivableCertificate")
    sme = s["a"]["sme"]
    # The mapping's slot: the one of keccak(member . p) whose word holds the member's flag (1) in its low byte (its
    # approval of the financing desk, 1 << 8, above it: the member has sold), p the mapping's index.
    slots = [Web3.keccak(bytes.fromhex(sme[2:].rjust(64, "0")) + p.to_bytes(32, "big")) for p in range(32)]
    words = {x: int.from_bytes(w3.eth.get_storage_at(cert, x), "big") for x in slots}
    ((slot, word),) = [(x, v) for x, v in words.items() if v & 0xFF == 1 and v >> 8 in (0, 1, 2, 3)]

    def put(value: int) -> None:
        w3.provider.make_request("anvil_setStorageAt", [cert, "0x" + slot.hex().removeprefix("0x"),
                                                        "0x" + f"{value:064x}"])
        for _ in range(CONFIRMATIONS + 3):  # below the margin verify reads at
            w3.provider.make_request("evm_mine", [])

    put(word & ~0xFF)  # the flag off, its approvals kept
    try:
        code, verdict, _ = verify(s, capsys)
    finally:
        put(word)
    assert code == 1 and [v["message"] for v in verdict["checks"]["members"]["violations"]] == [
        f"member {sme} (Leshan Household Appliances): the certificate's activeFlag false on-chain, the events say "
        "true"]


# Forged rows whose values are of the wrong type: each must be a failed check naming the row, not a traceback.
# (contract, event, field, forged JSON value); a field of None stands for the whole `args` text.
WRONG_TYPES = [
    ("SettlementEscrow", "Repaid", "amount", "a great deal"),  # text where an integer is stored
    ("SettlementEscrow", "Repaid", "payer", None),  # null where an address is
    ("ReceivableCertificate", "CertificateSplit", "childIds", "7"),  # a text where a list is
    ("ReceivableCertificate", "CertificateSplit", "amounts", [None]),  # null inside a list of integers
    ("Consortium", "MemberOnboarded", "account", 12),  # an integer where an address is
    ("LoanDesk", "LoanFunded", "principal", -1.5),  # a fraction where an integer is
    ("FinancingDesk", "Financed", None, "[1, 2]"),  # arguments that are not an object
    ("FinancingDesk", "Financed", None, "{not json"),  # arguments that are not JSON
]


@pytest.mark.parametrize("contract, event, field, value", WRONG_TYPES,
                         ids=[f"{e}.{f or 'args'}={v!r}" for _c, e, f, v in WRONG_TYPES])
def test_wronglyTypedValue_failsNamingTheRow_noTraceback(s, capsys, contract, event, field, value):
    row = rows_by_event(s)[(contract, event)]
    key = (row[0], row[1])
    forged = value if field is None else json.dumps(dict(json.loads(row[7]), **{field: value}))
    with tampered(s, ("UPDATE events SET args = ? WHERE block = ? AND log_index = ?", (forged, *key)),
                  ("UPDATE events SET args = ? WHERE block = ? AND log_index = ?", (row[7], *key))):
        capsys.readouterr()
        code = cli(s, "verify")
        out, err = capsys.readouterr()
        code_json, verdict, _ = verify(s, capsys)
    assert code == code_json == 1, (out, err)
    assert "Traceback" not in out + err
    messages = index_violations(verdict)
    assert any(f"{contract}.{event} " in m and f"at block {key[0]}, log {key[1]} " in m for m in messages), messages
    assert f"at block {key[0]}, log {key[1]}" in out


@pytest.mark.parametrize("column, value", [("time", "noon"), ("tx_index", "first")])
def test_wronglyTypedColumn_sqlite_failsNamingTheRow_noTraceback(s, capsys, column, value):
    """A text in an integer column: SQLite stores it (PostgreSQL's typed columns refuse the forgery itself)."""
    if not s["db"].startswith("sqlite"):
        with pytest.raises(Exception):
            sql(s["db"], f"UPDATE events SET {column} = ? WHERE block = ?", (value, s["final"]))
        return
    row = rows_by_event(s)[("Consortium", "MemberSuspended")]
    key = (row[0], row[1])
    original = row[{"time": 4, "tx_index": 3}[column]]
    with tampered(s, (f"UPDATE events SET {column} = ? WHERE block = ? AND log_index = ?", (value, *key)),
                  (f"UPDATE events SET {column} = ? WHERE block = ? AND log_index = ?", (original, *key))):
        capsys.readouterr()
        code = cli(s, "verify")
        out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err, (out, err)
    assert f"at block {key[0]}, log {key[1]}" in out, out
    assert verify(s, capsys)[0] == 0
