"""The demo's trade documents, checked from its output folder and the chain it ran on: the receivable was issued
with the invoice's root, the tier-3 disclosure verifies against the tier-3 certificate with the CLI (no prices in
it), the auditor's sealed copy holds the whole invoice, and a second run on the same deployment resumes with
the same root (the salts are kept in the output folder) without issuing again."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scfchain import Anvil, Chain, Scf, connect, load_deployment
from scfchain import documents as D
from scfchain.apps.demo import run_demo

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent
SCFCHAIN = str(Path(sys.executable).parent / "scfchain")


def test_demo_disclosesTheInvoiceToTheLender_andResumesWithTheSameRoot(tmp_path):
    out = tmp_path / "demo"
    with Anvil(accounts=10) as node:
        record = run_demo(node.url, out, say=lambda _m: None)
        docs = record["documents"]
        bundle = D.load_bundle(out / "invoice-bundle.json")
        invoice = bundle.document()
        assert set(invoice) >= {"buyer", "seller", "amount", "dueDate", "items"}
        assert all("unitPrice" in item for item in invoice["items"])
        scf = Scf(Chain(connect(node.url)), load_deployment(out / "deployment.json"))
        issued = scf.certificates.events.ReceivableIssued.get_logs(from_block=scf.deployment.block)
        first = issued[0]["args"]
        assert bytes(first["documentHash"]) == bundle.root and first["faceValue"] == invoice["amount"]

        d = docs["disclosure"]
        assert set(d["fields"]) == {"buyer.name", "amount", "dueDate"} and "items" in d["withheld"]
        assert scf.certificate(d["certId"]).tier == 3 and d["rootId"] == first["rootId"]
        disclosure = (out / "invoice-disclosure.json").read_text()
        assert "unitPrice" not in disclosure and '"items"' not in disclosure
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCFCHAIN_")}
        r = subprocess.run([SCFCHAIN, "document", "verify", str(out / "invoice-disclosure.json"), "--certificate",
                            str(d["certId"]), "--rpc-url", node.url, "--deployment", str(out / "deployment.json"),
                            "--json"], cwd=ROOT, env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["certificate"]["linked"] is True
        assert docs["auditor"]["opened"] is True and docs["auditor"]["fields"] == len(bundle.fields)
        sealed = (out / "invoice.sealed").read_text()
        assert "unitPrice" not in sealed and bundle.fields[0].salt.hex() not in sealed

        again = run_demo(node.url, out, say=lambda _m: None)  # resumed: the same deployment, the same salts
        assert again["documents"]["invoiceRoot"] == docs["invoiceRoot"]
        assert D.load_bundle(out / "invoice-bundle.json") == bundle
        assert len(scf.certificates.events.ReceivableIssued.get_logs(from_block=scf.deployment.block)) == 2
