"""The demo's trade documents: the core enterprise commits its invoice and issues with the root; the tier-3
business discloses a few fields to the financing guarantee company, which checks them against its own
certificate on chain without seeing the rest; the auditor opens a sealed copy with its own key.

The bundle (every salt) is kept in the demo's output folder, so a resumed run issues with the same root."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eth_account import Account

from scfchain import documents as D
from scfchain.errors import ScfError

BUNDLE_FILE = "invoice-bundle.json"
DISCLOSED = ("buyer.name", "amount", "dueDate")


def forget_invoice(out: Path) -> None:
    """Drops an earlier deployment's invoice (called before a fresh deployment is recorded)."""
    (out / BUNDLE_FILE).unlink(missing_ok=True)


def earlier_invoice(out: Path) -> D.Bundle | None:
    """The invoice this deployment's earlier run committed, or None."""
    return D.load_bundle(out / BUNDLE_FILE) if (out / BUNDLE_FILE).is_file() else None


def invoice_due(bundle: D.Bundle) -> int:
    """The invoice's due date (the certificate's maturity), as a timestamp."""
    (due,) = [f.value for f in bundle.fields if f.name == "dueDate"]
    return _timestamp(due)


def _timestamp(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def commit_invoice(out: Path, buyer: tuple[str, str], seller: tuple[str, str], amount: int, due: int) -> D.Bundle:
    """Commits the invoice behind the receivable and keeps its bundle in `out` (before the issue is sent)."""
    price_a, price_b = 1_250_00, 2_500_00  # unit prices, in cents: 400 x 1,250.00 + 200 x 2,500.00 = amount
    invoice = {
        "invoice": "INV-2026-001",
        "buyer": {"name": buyer[0], "address": buyer[1]},
        "seller": {"name": seller[0], "address": seller[1]},
        "amount": amount,
        "currency": "dCNY (cents)",
        "dueDate": datetime.fromtimestamp(due, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "items": [{"sku": "CP-7 controller board", "qty": 400, "unitPrice": price_a},
                  {"sku": "CP-9 power module", "qty": 200, "unitPrice": price_b}],
    }
    if 400 * price_a + 200 * price_b != amount:
        raise ScfError("the demo invoice's items do not add up to its amount")
    bundle = D.commit(invoice)
    D.write_atomic(out / BUNDLE_FILE, D.dump_json(bundle.to_json()))
    return bundle


def check_trade_background(scf: Any, bundle: D.Bundle, cert_id: int, out: Path) -> dict[str, Any]:
    """The tier-3 holder discloses DISCLOSED to the lender, which verifies each field and that the root is its
    certificate's document on chain, and that the due date is the certificate's maturity; the auditor opens
    a sealed copy with its own key. Returns what demo.json records; raises if anything fails to verify."""
    disclosure = D.disclose(bundle, DISCLOSED)
    D.write_atomic(out / "invoice-disclosure.json", D.dump_json(disclosure))
    # The lender's side: only the file it was given, and the chain.
    root, checks = D.verify_disclosure(D.read_json(out / "invoice-disclosure.json", "disclosure"))
    on_chain = D.certificate_document(scf, cert_id)
    seen = {c.name: c.value for c in checks}
    failed = [c.name for c in checks if not c.ok]
    if on_chain.document_hash != root:
        failed.append(f"root of certificate #{cert_id}")
    if _timestamp(seen["dueDate"]) != on_chain.maturity:
        failed.append("dueDate is not the certificate's maturity")
    if failed:
        raise ScfError("trade documents did not verify: " + ", ".join(failed))

    auditor = Account.create()  # the auditor's own key pair; only its public key is given to the sealer
    sealed = D.seal(bundle, [D.parse_public_key(D.public_key_of(bytes(auditor.key)))])
    D.write_atomic(out / "invoice.sealed", sealed)
    opened = D.open_sealed((out / "invoice.sealed").read_text(), bytes(auditor.key))
    return {
        "invoiceRoot": "0x" + root.hex(),
        "bundle": BUNDLE_FILE,
        "disclosure": {"certId": cert_id, "tier": on_chain.tier, "rootId": on_chain.root_id,
                       "documentHash": "0x" + on_chain.document_hash.hex(), "fields": seen,
                       "withheld": [f.name for f in bundle.fields if f.name not in seen],
                       "verified": {**{c.name: c.ok for c in checks}, "rootOnChain": True, "dueDateIsMaturity": True},
                       "file": "invoice-disclosure.json"},
        "auditor": {"address": auditor.address, "sealed": "invoice.sealed", "opened": opened == bundle,
                    "fields": len(opened.fields)},
    }


def describe(check: dict[str, Any], holder: str, lender: str) -> list[str]:
    """The demo's lines for `check_trade_background`'s record."""
    d, a = check["disclosure"], check["auditor"]
    lines = [f"  {holder} discloses {', '.join(d['fields'])} of the invoice to {lender}:"]
    lines += [f"    ✓ {k} = {json.dumps(v, ensure_ascii=False)}" for k, v in d["fields"].items()]
    lines += [f"    ✓ root {d['documentHash'][:12]}… is receivable #{d['rootId']}'s document on chain (read for "
              f"certificate #{d['certId']}, tier {d['tier']}); due date = maturity",
              f"    withheld: {', '.join(d['withheld'])}",
              f"  the auditor opens its sealed copy with its own key: {a['fields']} fields, root ✓"]
    return lines
