"""`scfchain document …` and `scfchain issue` with a bundle, as a user runs them: the core enterprise commits
its invoice and issues with the root; a tier-3 holder discloses fields that anyone verifies against its own
certificate on chain; a sealed copy opens with its recipients' keys only. Bad input: one line, exit 1, nothing
written."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from scfchain import Anvil, Chain, Scf, connect, deploy
from scfchain.constants import DAY

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent
SCFCHAIN = str(Path(sys.executable).parent / "scfchain")
INVOICE = {"invoice": "INV-2026-001", "buyer": {"name": "Sichuan Tech Co.", "taxId": "915101007"},
           "seller": {"name": "Chengdu Precision Parts"}, "amount": 1_000_000_00, "dueDate": "2027-03-01",
           "items": [{"sku": "CP-7", "qty": 400, "unitPrice": 1250.0}, {"sku": "CP-9", "qty": 200, "unitPrice": 2500.0}]}


def run(*args, key=None, password=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCFCHAIN_")}
    if key is not None:
        env["SCFCHAIN_PRIVATE_KEY"] = key
    if password is not None:
        env["SCFCHAIN_KEYSTORE_PASSWORD"] = password
    r = subprocess.run([SCFCHAIN, *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def ok(*args, key=None, password=None):
    code, out, err = run(*args, key=key, password=password)
    assert code == 0, err
    return out


def refused(*args, key=None, folder=None):
    """Runs a command that must fail: one line on stderr, exit 1, no file added to or changed in `folder`."""
    before = _snapshot(folder)
    code, out, err = run(*args, key=key)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and lines[0].startswith("scfchain: "), (code, out, err)
    assert "Traceback" not in err and out == ""
    assert _snapshot(folder) == before
    return lines[0][len("scfchain: "):]


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in Path(folder).iterdir()} if folder else {}


def _write(path, obj):
    path.write_text(json.dumps(obj, ensure_ascii=False))
    return path


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    """A deployment with a receivable issued through the CLI from a committed invoice, split to tier 3, and a
    second receivable of another invoice."""
    folder = tmp_path_factory.mktemp("docs")
    with Anvil() as anvil:
        w3 = connect(anvil.url)
        op, core, t1, t2, sme, bank = w3.eth.accounts[:6]
        dep = deploy(Chain(w3), op)
        dep_file = folder / "deployment.json"
        dep.save(dep_file)
        scf = Scf(Chain(w3), dep)
        for who, role in ((core, "CORE_ENTERPRISE"), (t1, "SUPPLIER"), (t2, "SUPPLIER"), (sme, "SUPPLIER"),
                          (bank, "FINANCIER")):
            scf.onboard(op, who, role, role.lower())
        scf.set_credit_line(bank, core, 10**12)
        bundle = folder / "bundle.json"
        root_hex = ok("document", "commit", _write(folder / "invoice.json", INVOICE), "--out", bundle).strip()
        maturity = scf.now() + 90 * DAY
        chain_args = ["--rpc-url", anvil.url, "--deployment", dep_file, "--from", core, "--json"]
        issued = json.loads(ok("issue", t1, 1_000_000_00, maturity, bundle, *chain_args))
        (c2,) = scf.split(t1, issued["rootId"], [t2], [400_000_00])
        (c3,) = scf.split(t2, c2, [sme], [150_000_00])
        other = folder / "other-bundle.json"
        ok("document", "commit", _write(folder / "other.json", {**INVOICE, "invoice": "INV-2026-002"}), "--out", other)
        other_root = json.loads(ok("issue", t1, 500_000_00, maturity, other, *chain_args))["rootId"]
        yield {"url": anvil.url, "dep": dep_file, "scf": scf, "folder": folder, "bundle": bundle, "root": root_hex,
               "rootId": issued["rootId"], "tier3": c3, "other": other, "otherRootId": other_root}


def _chain(net):
    return ["--rpc-url", net["url"], "--deployment", net["dep"]]


def test_issue_withBundle_usesItsRootAsTheDocumentHash(net):
    scf = net["scf"]
    assert scf.certificates.functions.receivableOf(bytes.fromhex(net["root"][2:])).call() == net["rootId"]
    bundle = json.loads(net["bundle"].read_text())
    assert bundle["root"] == net["root"]
    assert [f["name"] for f in bundle["fields"]] == ["invoice", "buyer.name", "buyer.taxId", "seller.name", "amount",
                                                     "dueDate", "items"]
    assert all(len(f["salt"]) == 66 for f in bundle["fields"])
    assert bundle["fields"][-1]["value"] == INVOICE["items"]  # an array is one field


def test_tier3Discloses_anyoneVerifiesAgainstItsCertificateOnChain(net, tmp_path):
    proof = tmp_path / "proof.json"
    ok("document", "disclose", net["bundle"], "--fields", "buyer.name,amount,dueDate", "--out", proof)
    disclosed = json.loads(proof.read_text())
    assert disclosed["root"] == net["root"]
    assert [f["name"] for f in disclosed["fields"]] == ["buyer.name", "amount", "dueDate"]
    assert all(f["proof"] and set(f) == {"name", "value", "salt", "proof"} for f in disclosed["fields"])
    assert "unitPrice" not in proof.read_text() and "items" not in proof.read_text()
    out = json.loads(ok("document", "verify", proof, "--certificate", net["tier3"], *_chain(net), "--json"))
    assert out["verified"] is True and out["fields"] == {"buyer.name": True, "amount": True, "dueDate": True}
    assert out["certificate"]["rootId"] == net["rootId"] and out["certificate"]["tier"] == 3
    assert out["certificate"]["documentHash"] == net["root"] and out["certificate"]["linked"] is True
    text = ok("document", "verify", proof)  # off chain: against the proof's own root
    assert text.splitlines()[1] == "✓ amount = 100000000"


def test_seal_severalRecipients_eachOpensWithItsOwnKey(net, tmp_path):
    keys = [Account.create() for _ in range(3)]
    pubs = [ok("document", "pubkey", key=k.key.hex()).strip() for k in keys]
    assert json.loads(ok("document", "pubkey", "--json", key=keys[0].key.hex()))["address"] == keys[0].address
    sealed = tmp_path / "invoice.sealed"
    ok("document", "seal", net["bundle"], "--to", ",".join(pubs), "--out", sealed)
    for k in keys:
        out = json.loads(ok("document", "open", sealed, "--json", key=k.key.hex()))
        assert out["root"] == net["root"] and out["document"] == INVOICE
    # The auditor can take the opened bundle on: its own disclosure verifies on chain.
    ok("document", "open", sealed, "--out", tmp_path / "opened.json", key=keys[1].key.hex())
    ok("document", "disclose", tmp_path / "opened.json", "--fields", "seller", "--out", tmp_path / "p.json")
    ok("document", "verify", tmp_path / "p.json", "--certificate", net["rootId"], *_chain(net))


def test_pubkeyAndOpen_takeAKeystore_asDeployDoes(net, tmp_path):
    acct = Account.create()
    keystore = _write(tmp_path / "key.json", Account.encrypt(acct.key, "pw"))
    pub = ok("document", "pubkey", "--keystore", keystore, password="pw").strip()
    assert pub == ok("document", "pubkey", key=acct.key.hex()).strip()
    sealed = tmp_path / "s.sealed"
    ok("document", "seal", net["bundle"], "--to", pub, "--out", sealed)
    assert json.loads(ok("document", "open", sealed, "--keystore", keystore, "--json", password="pw"))["document"] == INVOICE


# ---------------------------------------------------------------- bad input: one line, exit 1, nothing written
def test_commit_refusesAnArray_brokenJson_aMissingFile_andDuplicateKeys(tmp_path):
    (tmp_path / "array.json").write_text("[1, 2]")
    (tmp_path / "broken.json").write_text('{"buyer": ')
    (tmp_path / "dup.json").write_text('{"amount": 1, "amount": 2}')
    out = tmp_path / "bundle.json"
    assert refused("document", "commit", tmp_path / "array.json", "--out", out, folder=tmp_path) == (
        f"{tmp_path / 'array.json'}: a document is a JSON object, not an array")
    assert refused("document", "commit", tmp_path / "broken.json", "--out", out, folder=tmp_path) == (
        f"{tmp_path / 'broken.json'}: not valid JSON: Expecting value at line 1 column 11")
    assert refused("document", "commit", tmp_path / "none.json", "--out", out, folder=tmp_path) == (
        f"document file not found: {tmp_path / 'none.json'}")
    assert refused("document", "commit", tmp_path / "dup.json", "--out", out, folder=tmp_path) == (
        f"{tmp_path / 'dup.json'}: duplicate key 'amount'")


def test_disclose_refusesAnUnknownField_andATamperedBundle(net, tmp_path):
    out = tmp_path / "proof.json"
    assert refused("document", "disclose", net["bundle"], "--fields", "amount,unitPrice", "--out", out,
                   folder=tmp_path) == ("no field 'unitPrice' in the document (fields: invoice, buyer.name, "
                                        "buyer.taxId, seller.name, amount, dueDate, items)")
    bundle = json.loads(net["bundle"].read_text())
    bundle["fields"][4]["value"] = 2_000_000_00
    tampered = _write(tmp_path / "tampered.json", bundle)
    assert refused("document", "disclose", tampered, "--fields", "amount", "--out", out, folder=tmp_path) == (
        f"{tampered}: its fields do not hash to its root {net['root']} (a value or salt was changed)")


def test_verify_namesTheChangedField(net, tmp_path):
    proof = tmp_path / "proof.json"
    ok("document", "disclose", net["bundle"], "--fields", "buyer.name,amount,dueDate", "--out", proof)
    data = json.loads(proof.read_text())
    data["fields"][1]["value"] = 2_000_000_00
    _write(proof, data)
    assert refused("document", "verify", proof, "--certificate", net["tier3"], *_chain(net), folder=tmp_path) == (
        f"verification failed: field amount does not match root {net['root']} (its value, salt or proof was changed)")


def test_verify_refusesAProofForAnotherReceivable_andAnUnknownCertificate(net, tmp_path):
    proof = tmp_path / "proof.json"
    ok("document", "disclose", net["other"], "--fields", "amount", "--out", proof)
    other_root = json.loads(proof.read_text())["root"]
    assert refused("document", "verify", proof, "--certificate", net["tier3"], *_chain(net), folder=tmp_path) == (
        f"verification failed: root {other_root} is not the document of certificate #{net['tier3']} (its receivable "
        f"#{net['rootId']} commits to {net['root']})")
    ok("document", "verify", proof, "--certificate", net["otherRootId"], *_chain(net))
    assert refused("document", "verify", proof, "--certificate", 999, *_chain(net), folder=tmp_path) == (
        "certificate 999 does not exist")
    assert refused("document", "verify", proof, "--certificate", 1, folder=tmp_path) == (
        "--certificate needs --rpc-url (the node to read the certificate from)")


def test_open_refusesATamperedFile_andTheWrongKey(net, tmp_path):
    me, outsider = Account.create(), Account.create()
    sealed = tmp_path / "invoice.sealed"
    ok("document", "seal", net["bundle"], "--to", ok("document", "pubkey", key=me.key.hex()).strip(), "--out", sealed)
    assert refused("document", "open", sealed, key=outsider.key.hex(), folder=tmp_path) == (
        f"{sealed}: not sealed for this key ({outsider.address}); it is sealed for 1 other key(s)")
    raw = bytearray(sealed.read_bytes())
    for at in (len(raw) // 2, len(raw) - 10):  # inside the ciphertext, and its tail
        changed = bytearray(raw)
        changed[at] = ord("0") if changed[at] != ord("0") else ord("1")
        bad = tmp_path / f"tampered-{at}.sealed"
        bad.write_bytes(bytes(changed))
        assert refused("document", "open", bad, "--out", tmp_path / "x.json", key=me.key.hex(), folder=tmp_path) == (
            f"{bad}: the sealed document was changed or damaged (authentication failed)")
    assert refused("document", "open", tmp_path / "none.sealed", key=me.key.hex(), folder=tmp_path) == (
        f"sealed file not found: {tmp_path / 'none.sealed'}")


def test_seal_refusesAnAddressOrABadKey_andPubkeyNeedsAKey(net, tmp_path):
    out = tmp_path / "s.sealed"
    addr = Account.create().address
    assert refused("document", "seal", net["bundle"], "--to", addr, "--out", out, folder=tmp_path) == (
        f"{addr} is an address, not a public key (`scfchain document pubkey` prints one)")
    assert refused("document", "seal", net["bundle"], "--to", "0x1234", "--out", out, folder=tmp_path) == (
        "not a secp256k1 public key: '0x1234'")
    assert refused("document", "pubkey") == "no signing key: set SCFCHAIN_PRIVATE_KEY or pass --keystore FILE"


def test_issue_refusesAMissingOrTamperedBundle_beforeSending(net, tmp_path):
    scf = net["scf"]
    core, t1 = scf.w3.eth.accounts[1], scf.w3.eth.accounts[2]
    args = ["--rpc-url", net["url"], "--deployment", net["dep"], "--from", core]
    maturity = scf.now() + 30 * DAY
    before = scf.w3.eth.block_number
    assert refused("issue", t1, 1000, maturity, tmp_path / "none.json", *args) == (
        f"bundle file not found: {tmp_path / 'none.json'}")
    raw = net["folder"] / "invoice.json"  # the document itself, not its bundle
    assert refused("issue", t1, 1000, maturity, raw, *args) == (
        f"{raw}: not a bundle (made by `scfchain document commit`): expected {{\"root\": \"0x…\", \"fields\": [...]}}")
    bundle = json.loads(net["bundle"].read_text())
    bundle["fields"][0]["salt"] = "0x" + "11" * 32
    tampered = _write(tmp_path / "tampered.json", bundle)
    assert refused("issue", t1, 1000, maturity, tampered, *args) == (
        f"{tampered}: its fields do not hash to its root {net['root']} (a value or salt was changed)")
    assert scf.w3.eth.block_number == before
