"""`scfchain document …`: commit, disclose, verify, seal, open and pubkey (SPEC "Tooling interface").

Every failure is one line and exit 1, and nothing is written: output files are written whole, last."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from scfchain import documents as D
from .cliargs import os_error, whole_number
from scfchain.errors import ScfError


_KEYSTORE = ("--keystore", {"help": "encrypted keystore (else $SCFCHAIN_PRIVATE_KEY)"})
# name: (help, its positional argument or None, its options); every one also takes --json
_COMMANDS: dict[str, tuple[str, tuple[str, dict[str, Any]] | None, list[tuple[str, dict[str, Any]]]]] = {
    "commit": ("salt and commit a JSON document; prints its root (the documentHash)",
               ("doc", {"help": "the document, a JSON object"}),
               [("--out", {"required": True, "help": "BUNDLE.json to write (private: it holds every salt)"})]),
    "disclose": ("chosen fields with their Merkle proofs", ("bundle", {}),
                 [("--fields", {"required": True,
                                "help": "comma-separated names (an object name takes all its fields)"}),
                  ("--out", {"required": True, "help": "PROOF.json to write"})]),
    "verify": ("check disclosed fields against their root, and the root on chain", ("proof", {}),
               [("--certificate", {"type": whole_number, "help": "certificate id whose receivable must hold this root"}),
                ("--deployment", {"help": "deployment file (default deployments/<chainId>.json)"}),
                ("--rpc-url", {"help": "node to read the certificate from"})]),
    "seal": ("encrypt a bundle for named public keys", ("bundle", {}),
             [("--to", {"required": True, "help": "comma-separated public keys (from `scfchain document pubkey`)"}),
              ("--out", {"required": True, "help": "SEALED file to write"})]),
    "open": ("decrypt a sealed document with your key; prints the document", ("sealed", {}),
             [_KEYSTORE, ("--out", {"help": "also write the bundle (values and salts) here, to disclose from it"})]),
    "pubkey": ("the public key of your key, for others to seal to", None, [_KEYSTORE]),
}


def add_document_commands(sub: Any) -> None:
    """Registers `document` and its subcommands on the main parser's subparsers."""
    doc = sub.add_parser("document", help="private trade documents: commit, disclose, verify, seal, open, pubkey")
    dsub = doc.add_subparsers(dest="document_command", required=True, parser_class=type(doc),
                              metavar="{" + ",".join(_COMMANDS) + "}")
    for name, (help_, positional, options) in _COMMANDS.items():
        p = dsub.add_parser(name, help=help_)
        for flag, kwargs in ([positional] if positional else []) + options:
            p.add_argument(flag, **kwargs)
        p.add_argument("--json", action="store_true")


def _print(args: argparse.Namespace, text: str, data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else text)


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ScfError("--fields is empty: name the fields to disclose, comma-separated")
    return names


def cmd_document(args: argparse.Namespace) -> None:
    try:
        _run(args)
    except OSError as exc:
        raise os_error(exc) from None


def _run(args: argparse.Namespace) -> None:
    c = args.document_command
    if c == "commit":
        doc = D.read_json(args.doc, "document")
        try:
            bundle = D.commit(doc)
        except D.DocumentError as exc:
            raise D.DocumentError(f"{args.doc}: {exc}") from None
        D.write_atomic(args.out, D.dump_json(bundle.to_json()))
        root = "0x" + bundle.root.hex()
        _print(args, root, {"root": root, "fields": len(bundle.fields), "bundle": args.out})
    elif c == "disclose":
        bundle = D.load_bundle(args.bundle)
        proof = D.disclose(bundle, _names(args.fields))
        D.write_atomic(args.out, D.dump_json(proof))
        names = [f["name"] for f in proof["fields"]]
        _print(args, f"disclosed {', '.join(names)} of root {proof['root']}", {"root": proof["root"], "fields": names,
                                                                               "proof": args.out})
    elif c == "verify":
        _verify(args)
    elif c == "seal":
        bundle = D.load_bundle(args.bundle)
        keys = [D.parse_public_key(k) for k in args.to.split(",") if k.strip()]
        D.write_atomic(args.out, D.seal(bundle, keys))
        _print(args, f"sealed root 0x{bundle.root.hex()} for {len(set(keys))} recipient(s): {args.out}",
               {"root": "0x" + bundle.root.hex(), "recipients": ["0x" + k.hex() for k in dict.fromkeys(keys)],
                "sealed": args.out})
    elif c == "open":
        from scfchain.chain import load_signer

        text = D.read_text(args.sealed, "sealed")
        signer = load_signer(args.keystore)
        try:
            bundle = D.open_sealed(text, bytes(signer.key))
        except D.DocumentError as exc:
            raise D.DocumentError(f"{args.sealed}: {exc}") from None
        if args.out:
            D.write_atomic(args.out, D.dump_json(bundle.to_json()))
        document = bundle.document()
        _print(args, json.dumps(document, indent=2, ensure_ascii=False),
               {"root": "0x" + bundle.root.hex(), "document": document})
    else:  # pubkey
        from scfchain.chain import load_signer

        signer = load_signer(args.keystore)
        key = D.public_key_of(bytes(signer.key))
        _print(args, key, {"publicKey": key, "address": signer.address})


def _verify(args: argparse.Namespace) -> None:
    data = D.read_json(args.proof, "proof")
    try:
        root, checks = D.verify_disclosure(data)
    except D.DocumentError as exc:
        raise D.DocumentError(f"{args.proof}: {exc}") from None
    failures = [f"field {c.name} does not match root 0x{root.hex()} (its value, salt or proof was changed)"
                for c in checks if not c.ok]
    result: dict[str, Any] = {"root": "0x" + root.hex(), "fields": {c.name: c.ok for c in checks}}
    lines = [f"{'✓' if c.ok else '✗'} {c.name} = {json.dumps(c.value, ensure_ascii=False)}" for c in checks]
    if args.certificate is None and (args.rpc_url or args.deployment):
        raise ScfError("--certificate ID is needed to check the root on chain")
    if args.certificate is not None:
        if not args.rpc_url:
            raise ScfError("--certificate needs --rpc-url (the node to read the certificate from)")
        on_chain = D.certificate_document(_scf(args), args.certificate)
        linked = on_chain.document_hash == root
        result["certificate"] = {"id": on_chain.cert_id, "rootId": on_chain.root_id, "tier": on_chain.tier,
                                 "debtor": on_chain.debtor, "maturity": on_chain.maturity,
                                 "documentHash": "0x" + on_chain.document_hash.hex(), "linked": linked}
        if linked:
            lines.append(f"✓ root is the document of certificate #{on_chain.cert_id} (tier {on_chain.tier}, "
                         f"receivable #{on_chain.root_id}, debtor {on_chain.debtor})")
        else:
            failures.append(f"root 0x{root.hex()} is not the document of certificate #{on_chain.cert_id} (its "
                            f"receivable #{on_chain.root_id} commits to 0x{on_chain.document_hash.hex()})")
    if failures:
        raise ScfError("verification failed: " + "; ".join(failures))
    _print(args, "\n".join(lines), {**result, "verified": True})


def _scf(args: argparse.Namespace) -> Any:
    from scfchain.chain import Chain, connect
    from scfchain.deploy import default_deployment_path, load_deployment
    from scfchain.lifecycle import Scf

    chain = Chain(connect(args.rpc_url))
    path = Path(args.deployment) if args.deployment else default_deployment_path(chain.chain_id)
    return Scf(chain, load_deployment(path))


def issue_document_hash(text: str) -> bytes | None:
    """The root of a bundle file given to `scfchain issue`, or None when `text` is not a file's name."""
    path = Path(text)
    if path.is_file():
        return D.load_bundle(path).root
    if text.endswith(".json"):
        raise D.DocumentError(f"bundle file not found: {path}")
    return None
