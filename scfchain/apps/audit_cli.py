"""`scfchain audit …`: index, trace, verify, export, credit, report — from an RPC URL and the deployment
file alone (no keys, no brownie). Every command takes --deployment, --rpc-url and --db; given --rpc-url,
the reading commands first bring the index up to date."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .cliargs import os_error, whole_number
from scfchain.errors import ScfError
from scfchain.audit.index import DEFAULT_CHUNK, DEFAULT_CONFIRMATIONS
from scfchain.audit.session import ProgressLine, Session, open_session
from scfchain.audit.store import db_errors


def add_audit_commands(sub: Any) -> None:
    """Registers `audit` and its subcommands on the main parser's subparsers."""
    audit = sub.add_parser("audit", help="auditor toolkit: index, trace, verify, export, credit, report")
    asub = audit.add_subparsers(dest="audit_command", required=True, parser_class=type(audit),
                                metavar="{index,trace,verify,export,credit,report}")

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        p = asub.add_parser(name, help=help_)
        p.add_argument("--deployment", help="deployment file (default deployments/<chainId>.json)")
        p.add_argument("--rpc-url", help="node to read from (without it: the index as it is)")
        p.add_argument("--db", help="index database, sqlite:///PATH or postgresql://USER[:PASS]@HOST:PORT/DB "
                       "(default: an SQLite file beside the deployment file)")
        p.add_argument("--confirmations", type=whole_number, default=DEFAULT_CONFIRMATIONS,
                       help=f"blocks kept provisional near the head (default {DEFAULT_CONFIRMATIONS})")
        return p

    p = command("index", "fetch, decode and store every event (resumable)")
    p.add_argument("--chunk", type=whole_number, default=DEFAULT_CHUNK, help="first eth_getLogs range, in blocks")
    p.add_argument("--to-block", type=whole_number, help="stop at this block")
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it again")
    p.add_argument("--json", action="store_true")

    p = command("trace", "a certificate's ancestry and subtree")
    p.add_argument("id", type=whole_number)
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", help="also draw the tree: FILE.svg or FILE.png")

    p = command("verify", "replay the events and check the invariants and balances against the chain")
    p.add_argument("--json", action="store_true")

    p = command("export", "every event, one row each, decoded")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--out", help="file to write (default: standard output)")

    p = command("credit", "a member's credit profile")
    p.add_argument("address")
    p.add_argument("--json", action="store_true")

    p = command("report", "Markdown report with tree diagrams, pictures and an outstanding-volume chart")
    p.add_argument("--out", required=True, help="folder for report.md and its pictures")
    p.add_argument("--no-verify", action="store_true", help="leave the verification section out")
    p.add_argument("--json", action="store_true")


def _update(s: Session, args: argparse.Namespace, quiet: bool) -> None:
    if s.node is None:
        return
    line = None if quiet else ProgressLine(label="updating the index")
    try:
        s.update(confirmations=args.confirmations, progress=line)
    finally:
        if line:
            line.done()


def cmd_audit(args: argparse.Namespace) -> None:
    """Entry point for `scfchain audit …` (errors become one-line ScfErrors)."""
    try:
        _run(args)
    except db_errors() as exc:
        raise ScfError(f"audit index: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}") from None
    except OSError as exc:
        raise os_error(exc) from None


def _run(args: argparse.Namespace) -> None:
    c = args.audit_command
    json_mode = getattr(args, "json", False)
    if c == "verify" and not args.rpc_url:
        raise ScfError("audit verify needs --rpc-url: it checks the events against the chain")
    if c == "index" and not args.rpc_url:
        raise ScfError("audit index needs --rpc-url")
    # with a node, any command can start the index; without one, it must exist
    s = open_session(args.deployment, args.rpc_url, args.db, create=c == "index" or bool(args.rpc_url))
    try:
        if c == "index":
            return _index(s, args, json_mode)
        _update(s, args, quiet=json_mode or c == "export" and not args.out)
        ledger = s.ledger(checked=c == "verify" or c == "report" and not args.no_verify)
        if c == "trace":
            from scfchain.audit.trace import trace_json, trace_text, tree_node

            data = trace_json(ledger, args.id)
            if args.out:
                _picture(ledger, args.id, Path(args.out), tree_node)
                data["picture"] = args.out
            print(json.dumps(data, indent=2) if json_mode else trace_text(ledger, args.id))
        elif c == "verify":
            from scfchain.audit.verify import verify

            verdict = verify(ledger, s.node, store=s.store, deployment=s.deployment)  # type: ignore[arg-type]
            print(json.dumps(verdict.to_json(), indent=2) if json_mode else verdict.text())
            if not verdict.ok:
                raise ScfError("verification failed: " + "; ".join(
                    f"{ch.name}" + (f" (ids {', '.join(map(str, ch.ids[:12]))})" if ch.ids else "")
                    for ch in verdict.failed))
        elif c == "export":
            from scfchain.audit.export import rows, to_csv, to_json

            table = rows(s.store.events(), ledger)
            text = to_csv(table) if args.format == "csv" else to_json(table)
            if args.out:
                Path(args.out).write_text(text)
                print(f"{len(table)} events written to {args.out}", file=sys.stderr)
            else:
                sys.stdout.write(text)
        elif c == "credit":
            from scfchain.audit.credit import credit_profile, credit_text

            profile = credit_profile(ledger, args.address)
            print(json.dumps(profile, indent=2) if json_mode else credit_text(profile, ledger.decimals))
        elif c == "report":
            from scfchain.audit.report import write_report

            verdict = None
            if not args.no_verify and s.node is not None:
                from scfchain.audit.verify import verify

                verdict = verify(ledger, s.node, store=s.store, deployment=s.deployment)
            result = write_report(ledger, args.out, verdict)
            print(json.dumps(result, indent=2) if json_mode else f"report written to {result['report']} "
                  f"({len(result['files'])} files)")
    finally:
        s.close()


def _index(s: Session, args: argparse.Namespace, json_mode: bool) -> None:
    if args.rebuild:
        s.store.reset()
    line = None if json_mode else ProgressLine()
    try:
        r = s.update(confirmations=args.confirmations, chunk=args.chunk or 1, to_block=args.to_block, progress=line)
    finally:
        if line:
            line.done()
    if json_mode:
        print(json.dumps({**r.to_json(), "db": str(s.store.path)}, indent=2))
    else:
        span = f"blocks {r.from_block:,}–{r.to_block:,}" if r.to_block >= r.from_block else "no new blocks"
        print(f"indexed {span}: {r.stored:,} new events in {r.chunks} chunks, {r.seconds:.2f}s; "
              f"{r.total_events:,} events in {s.store.path} (final up to block {r.final_block:,})")


def _picture(ledger: Any, cert_id: int, out: Path, tree_node: Any) -> None:
    from scfchain.render import write_tree
    from scfchain.audit.trace import box_lines

    suffix = out.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise ScfError(f"--out must end in .svg or .png, got {out.name!r}")
    cert = ledger.certs[cert_id]
    title = f"Certificate #{cert_id} of receivable #{cert.root_id} ({ledger.name(cert.debtor)})"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_tree(tree_node(ledger, cert_id), out, ledger.name, title, box_lines(ledger), ledger.decimals)
