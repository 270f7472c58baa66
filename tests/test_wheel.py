"""The wheel as a user installs it: built from this checkout, installed into a fresh virtual environment (no
brownie in it), run with a PATH that has no node, npm, brownie or Anvil, against an Anvil this test starts: `scfchain
deploy` (the shipped artifacts), every lifecycle, loan and document action, and every `scfchain audit` subcommand.
Oracles: the chain (balances, getters, events decoded by web3 with the checkout's ABIs), the bytes the deployment
sent, coincurve for the public key.

The dependencies come from PyPI once into build/wheelhouse (pinned to this venv's versions), then install from
there with --no-index (setup: wheel, venv and install, 20-65 s; the first download ~40 s more). The run is ~45 CLI
processes of 2-4 s each (an import of web3 alone is ~1 s): 130-170 s on this 2-core machine under a load of 8-10."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from coincurve import PublicKey
from eth_utils import keccak
from web3 import Web3

from scfchain import Anvil, Chain, Scf, connect, load_deployment
from scfchain.artifacts import load as checkout_artifacts

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = ROOT / "build" / "wheelhouse"
FORBIDDEN = ("node", "nodejs", "npm", "npx", "brownie", "anvil", "hardhat", "solc")
DAY = 24 * 3600
# Anvil's dev keys 0 (the deployer) and 3 (t2, who seals and opens a document) and 8
KEYS = {0: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        3: "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
        8: "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"}
INVOICE = {"invoice": "INV-W-1", "buyer": {"name": "Core Co."}, "amount": 10000, "dueDate": "2027-01-31"}


def _pip(*args: str) -> subprocess.CompletedProcess:
    # without PYTHONPATH: a checkout on it (its scfchain.egg-info) would count as scfchain already installed
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, env=env)


def _stripped_path(shim: Path) -> str:
    """This PATH without node, npm, brownie, Anvil and the like: virtual environments (this test's) and node_modules
    folders are left out, and every other folder holding a forbidden name is replaced by one of links to all its
    other programs."""
    keep: list[str] = []
    shim.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        d = Path(folder)
        if not d.is_dir() or (d.parent / "pyvenv.cfg").exists() or "node_modules" in d.parts:
            continue
        if not any((d / name).exists() for name in FORBIDDEN):
            keep.append(folder)
            continue
        for entry in d.iterdir():
            if entry.name not in FORBIDDEN and not (shim / entry.name).exists():
                (shim / entry.name).symlink_to(entry)
    return os.pathsep.join(keep + [str(shim)])


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    checkout_artifacts()  # fresh artifacts in the checkout (rebuilt if a source changed): what the wheel ships
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    # a copy, so that nothing left in the checkout's build/ by an earlier build gets into the wheel
    shutil.copytree(ROOT / "scfchain", src / "scfchain", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    r = _pip("wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(tmp / "dist"), str(src))
    assert r.returncode == 0, r.stderr
    (wheel,) = (tmp / "dist").glob("scfchain-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "scfchain/data/contracts.json" in names and "scfchain/apps/explorer/templates/base.html" in names

    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pins: dict[str, str] = {}  # the versions this venv's tests run with (the first found, as imports resolve)
    for d in metadata.distributions():
        name = (d.metadata["Name"] or "").lower()
        if name and name != "scfchain":
            pins.setdefault(name, f"{name}=={d.version}\n")
    constraints = tmp / "constraints.txt"
    constraints.write_text("".join(pins.values()))
    install = ["--python", str(venv / "bin" / "python"), "install", "--quiet", "--no-compile", "--no-index",
               "--find-links", str(WHEELHOUSE), "-c", str(constraints), str(wheel)]
    if _pip(*install).returncode != 0:  # first run, or a dependency changed: fetch the wheels from PyPI once
        got = _pip("download", "--quiet", "-d", str(WHEELHOUSE), "-c", str(constraints), str(wheel))
        assert got.returncode == 0, got.stderr
        r = _pip(*install)
        assert r.returncode == 0, r.stderr

    work = tmp / "work"
    (work / "home").mkdir(parents=True)
    env = {"PATH": str(venv / "bin") + os.pathsep + _stripped_path(tmp / "bin"), "HOME": str(work / "home"),
           "LANG": "C.UTF-8"}
    for name in FORBIDDEN:
        assert shutil.which(name, path=env["PATH"]) is None, name
    assert shutil.which("dot", path=env["PATH"])  # Graphviz stays: the pictures need it
    probe = subprocess.run([str(venv / "bin" / "python"), "-c", "import scfchain, importlib.util; "
                            "print(scfchain.__file__, importlib.util.find_spec('brownie'))"],
                           env=env, cwd=work, capture_output=True, text=True, check=True)
    assert probe.stdout.split() == [str(venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" /
                                        "site-packages" / "scfchain" / "__init__.py"), "None"]
    with Anvil() as anvil:
        yield {"bin": venv / "bin" / "scfchain", "env": env, "work": work, "url": anvil.url,
               "w3": connect(anvil.url)}


def run(w, *args, key=None):
    env = dict(w["env"], **({"SCFCHAIN_PRIVATE_KEY": KEYS[key]} if key is not None else {}))
    return subprocess.run([str(w["bin"]), *map(str, args)], cwd=w["work"], env=env, capture_output=True, text=True,
                          timeout=300)


def ok(w, *args, key=None):
    r = run(w, *args, key=key)
    assert r.returncode == 0, (args, r.stderr)
    return json.loads(r.stdout) if "--json" in args else r.stdout


def test_wheel_deploysAndRunsEveryActionAndAuditCommand_withoutNodeNpmOrBrownie(wheel_env):
    w, w3 = wheel_env, wheel_env["w3"]
    acc = w3.eth.accounts
    op, core, t1, t2, bank, factor, clearing, guarantor, t3 = acc[:9]

    # ---- deploy: the default deployment file lands in the working directory
    out = ok(w, "deploy", "--rpc-url", w["url"], "--grace-period", "3600", "--json", key=0)
    assert out["file"] == "deployments/31337.json"
    dep_file = w["work"] / "deployments" / "31337.json"
    dep = load_deployment(dep_file)
    arts = checkout_artifacts()
    assert {name: c["abi"] for name, c in dep.contracts.items()} == {name: a["abi"] for name, a in arts.items()}
    created = {}
    for n in range(dep.block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]:
            if tx["to"] is None:
                created[w3.eth.get_transaction_receipt(tx["hash"])["contractAddress"]] = tx["input"].hex()
    for name, c in dep.contracts.items():  # the creation code sent is the checkout's fresh build, arguments after it
        assert created[c["address"]].removeprefix("0x").startswith(arts[name]["bytecode"].removeprefix("0x")), name
    C = {name: w3.eth.contract(address=c["address"], abi=arts[name]["abi"]) for name, c in dep.contracts.items()}
    consortium, cert, token = C["Consortium"], C["ReceivableCertificate"], C["PaymentToken"]
    escrow, guarantees, desk, loans = C["SettlementEscrow"], C["CreditGuarantee"], C["FinancingDesk"], C["LoanDesk"]
    assert consortium.functions.hasRole(b"\0" * 32, op).call()
    assert escrow.functions.gracePeriod().call() == 3600 and escrow.functions.certificates().call() == cert.address
    assert loans.functions.escrow().call() == escrow.address

    def events(contract, name, **args):
        found = contract.events[name]().get_logs(from_block=dep.block)
        return [dict(e["args"]) for e in found if all(e["args"][k] == v for k, v in args.items())]

    def tok(a):
        return token.functions.balanceOf(a).call()

    def units(holder, cid):
        return cert.functions.balanceOf(holder, cid).call()

    chain_args = ("--rpc-url", w["url"], "--json")

    def act(*args, sender):
        return ok(w, *args, *chain_args, "--from", sender)

    # ---- members (onboard, suspend, reinstate); the others and the mock token through the checkout's library
    assert act("onboard", t1, "SUPPLIER", "Tier-1 Parts", sender=op) == {"account": t1, "role": "SUPPLIER"}
    supplier = consortium.functions.SUPPLIER_ROLE().call()
    assert consortium.functions.isActiveWithRole(t1, supplier).call()
    assert consortium.functions.nameOf(t1).call() == "Tier-1 Parts"
    act("suspend", t1, sender=op)
    assert not consortium.functions.isActive(t1).call()
    act("reinstate", t1, sender=op)
    assert consortium.functions.isActive(t1).call()
    assert len(events(consortium, "MemberSuspended", account=t1)) == len(events(consortium, "MemberReinstated")) == 1
    scf = Scf(Chain(w3), dep)
    for who, role in ((core, "CORE_ENTERPRISE"), (t2, "SUPPLIER"), (t3, "SUPPLIER"), (bank, "FINANCIER"),
                      (factor, "FINANCIER"), (clearing, "CLEARING"), (guarantor, "GUARANTOR")):
        scf.onboard(op, who, role, role.lower())
    for who in (core, bank, factor, guarantor):
        scf.mint(op, who, 1_000_000)

    # ---- credit line, guarantee, a committed invoice issued, split, transferred, financed
    assert act("credit-line", core, "100000", sender=bank) == {"creditLimit": 100000}
    assert events(cert, "CreditLineSet", financier=bank, debtor=core)[-1]["limit"] == 100000
    now = w3.eth.get_block("latest")["timestamp"]
    assert act("guarantee", core, "3000", now + 60 * DAY, sender=guarantor) == {"guaranteeId": 1}
    assert tok(guarantees.address) == 3000 and tok(guarantor) == 1_000_000 - 3000
    (w["work"] / "invoice.json").write_text(json.dumps(INVOICE))
    committed = ok(w, "document", "commit", "invoice.json", "--out", "bundle.json", "--json")
    maturity = now + 30 * DAY
    assert act("issue", t1, "10000", maturity, "bundle.json", sender=core) == {"rootId": 1}
    (issued,) = events(cert, "ReceivableIssued", rootId=1)
    assert (issued["debtor"], issued["supplier"], issued["faceValue"], issued["maturity"]) == (core, t1, 10000,
                                                                                              maturity)
    assert "0x" + issued["documentHash"].hex() == committed["root"] and units(t1, 1) == 10000
    assert act("split", 1, "--to", f"{t2},{t2}", "--amounts", "3000,2000", sender=t1) == {"childIds": [2, 3]}
    assert (units(t1, 1), units(t2, 2), units(t2, 3)) == (5000, 3000, 2000)
    act("transfer", t1, 3, 500, sender=t2)
    assert (units(t2, 3), units(t1, 3)) == (1500, 500)
    offer = act("offer", core, 500, 50000, 100, now + 10 * DAY, sender=factor)["offerId"]
    assert tok(desk.address) == 50000
    proceeds = act("finance", offer, 2, 1000, sender=t2)["proceeds"]
    (financed,) = events(desk, "Financed", offerId=offer)
    assert 0 < proceeds < 1000 and financed["proceeds"] == proceeds and tok(t2) == proceeds
    assert (units(factor, 2), units(t2, 2)) == (1000, 2000)

    # ---- loans: requested, funded, part repaid; a second one requested and cancelled
    assert act("request-loan", 1, 2000, 1500, 1000, "--lender", bank, sender=t1) == {"loanId": 1}
    assert (units(loans.address, 1), units(t1, 1)) == (2000, 3000)
    assert act("fund-loan", 1, sender=bank) == {"loanId": 1, "principal": 1500}
    assert tok(t1) == 1500 and tok(bank) == 1_000_000 - 1500
    repaid = act("repay-loan", 1, 500, sender=t1)
    (ev,) = events(loans, "LoanRepaid", loanId=1)
    assert repaid["repaid"] == ev["amount"] == 500 and repaid["remainingDebt"] == ev["remainingDebt"] \
        == loans.functions.debt(1).call()
    assert act("request-loan", 3, 500, 100, 500, sender=t1)["loanId"] == 2 and units(t1, 3) == 0
    act("cancel-loan", 2, sender=t1)
    assert units(t1, 3) == 500 and len(events(loans, "LoanRequestCancelled", loanId=2)) == 1

    # ---- documents: disclose and verify against the chain; seal to t2's key, opened with it only
    ok(w, "document", "disclose", "bundle.json", "--fields", "amount,buyer.name", "--out", "proof.json")
    verified = ok(w, "document", "verify", "proof.json", "--certificate", 3, "--rpc-url", w["url"], "--deployment",
                  dep_file, "--json")
    assert verified["verified"] and verified["fields"] == {"amount": True, "buyer.name": True}
    assert (verified["certificate"]["rootId"], verified["certificate"]["tier"], verified["certificate"]["linked"]) \
        == (1, 2, True)
    pub = ok(w, "document", "pubkey", "--json", key=3)
    assert pub == {"publicKey": "0x" + PublicKey.from_secret(bytes.fromhex(KEYS[3][2:])).format(False)[1:].hex(),
                   "address": t2}
    ok(w, "document", "seal", "bundle.json", "--to", pub["publicKey"], "--out", "sealed.txt")
    assert ok(w, "document", "open", "sealed.txt", "--json", key=3)["document"] == INVOICE
    wrong = run(w, "document", "open", "sealed.txt", key=8)
    assert wrong.returncode == 1 and len(wrong.stderr.strip().splitlines()) == 1 and "Traceback" not in wrong.stderr

    shown = ok(w, "show", t2, *chain_args)
    assert shown["holdings"] == {"2": units(t2, 2), "3": units(t2, 3)} == {"2": 2000, "3": 1500}
    tree = ok(w, "show", 1, *chain_args)
    assert (tree["id"], tree["root_id"], tree["amount"]) == (1, 1, 10000)
    assert [ln["loanId"] for ln in tree["loans"]] == [1, 2]

    # ---- a second receivable that defaults; maturity passes for both
    assert act("issue", t1, 4000, now + DAY, "INV-W-2", sender=core) == {"rootId": 4}
    assert events(cert, "ReceivableIssued", rootId=4)[0]["documentHash"] == keccak(text="INV-W-2")
    w3.provider.make_request("evm_increaseTime", [31 * DAY])
    w3.provider.make_request("evm_mine", [])
    assert act("repay", 1, 10000, sender=core) == {"totalPaid": 10000}
    assert act("repay", 4, 1000, sender=core) == {"totalPaid": 1000}
    assert act("default", 4, sender=clearing) == {"paid": 1000, "covered": 3000}
    assert [e["amount"] for e in events(guarantees, "GuaranteeCalled", rootId=4)] == [3000]
    assert escrow.functions.recovered(4).call() == 4000 and tok(guarantees.address) == 0

    # ---- claims, the loan settled (lender first), the clearing's push
    before = tok(t1)
    assert act("claim", 1, 3, sender=t1) == {"payout": 3500}
    assert tok(t1) - before == 3500 and units(t1, 1) == units(t1, 3) == 0
    debt = loans.functions.debt(1).call()
    before = tok(bank), tok(t1)
    settled = act("settle-loan", 1, sender=clearing)
    assert settled == {"loanId": 1, "payout": 2000, "toLender": debt, "toBorrower": 2000 - debt}
    assert (tok(bank) - before[0], tok(t1) - before[1]) == (debt, 2000 - debt)
    before = tok(t2), tok(factor)
    assert act("settle", "--ids", "2,3,2", "--holders", f"{t2},{t2},{factor}", sender=clearing) == {"payout": 4500}
    assert (tok(t2) - before[0], tok(factor) - before[1]) == (3500, 1000)
    before = tok(t1)
    assert act("claim", 4, sender=t1) == {"payout": 4000}
    assert tok(t1) - before == 4000 and units(t1, 4) == 0

    # ---- every audit subcommand, from the RPC URL and the deployment file
    logs = w3.eth.get_logs({"fromBlock": dep.block, "toBlock": "latest",
                            "address": [c["address"] for c in dep.contracts.values()]})
    audit = ("--deployment", dep_file, "--rpc-url", w["url"], "--confirmations", 0)
    indexed = ok(w, "audit", "index", *audit, "--json")
    assert indexed["total_events"] == indexed["stored"] == len(logs) and indexed["refused"] == indexed["dropped"] == 0
    assert Path(indexed["db"]).is_file()
    verdict = ok(w, "audit", "verify", *audit, "--json")
    assert verdict["ok"] and verdict["events"] == len(logs) and all(c["ok"] for c in verdict["checks"].values())
    traced = ok(w, "audit", "trace", 3, *audit, "--json", "--out", "tree3.svg")
    assert [a["id"] for a in traced["ancestry"]] == [1] and traced["tree"]["amount"] == 2000
    assert (traced["receivable"]["status"], traced["receivable"]["paid"]) == ("paid", escrow.functions.paid(1).call())
    assert "<svg" in (w["work"] / "tree3.svg").read_text()
    ok(w, "audit", "export", *audit, "--format", "json", "--out", "events.json")
    exported = json.loads((w["work"] / "events.json").read_text())
    topics = {}
    for name, a in arts.items():
        for item in a["abi"]:
            if item["type"] == "event":
                types = ",".join(i["type"] for i in item["inputs"])
                topics[keccak(text=f"{item['name']}({types})")] = item["name"]
    assert [r["event"] for r in exported] == [topics[bytes(log["topics"][0])] for log in logs]
    csv = ok(w, "audit", "export", *audit, "--format", "csv")
    assert len(csv.strip().splitlines()) == len(logs) + 1
    credit = ok(w, "audit", "credit", core, *audit, "--json")
    debtor = credit["debtor"]
    assert (debtor["receivables"], debtor["defaults"], debtor["coveredByGuarantees"], debtor["shortfall"]) \
        == (2, 1, 3000, 4000 - escrow.functions.paid(4).call())
    report = ok(w, "audit", "report", *audit, "--out", "report", "--json")
    md = (w["work"] / "report" / "report.md").read_text()
    assert "## Verification" in md and "All checks hold" in md and "### Receivable #4" in md
    assert all((w["work"] / "report" / f).is_file() for f in report["files"])
    assert any(f.endswith(".png") for f in report["files"])
