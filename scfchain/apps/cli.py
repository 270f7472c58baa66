"""`scfchain` command line: deploy, the demo, and one subcommand per lifecycle action.

Every failure is one line on stderr naming the problem, exit code 1; bad input is refused before any
transaction is sent.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from .audit_cli import add_audit_commands, cmd_audit
from scfchain.chain import Chain, connect, load_signer
from .cliargs import whole_number as _int
from .document_cli import add_document_commands, cmd_document, issue_document_hash
from scfchain.deploy import DEFAULT_GRACE_PERIOD, default_deployment_path, deploy, load_deployment
from scfchain.errors import ScfError
from scfchain.rpc import TRANSIENT, RpcError, Unreachable
from scfchain.toolchain import ToolchainError


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 1 (argparse's default is a usage block, exit 2)
        print(f"scfchain: {message}", file=sys.stderr)
        raise SystemExit(1)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="scfchain", description="Multi-tier receivable financing on an EVM chain.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    d = sub.add_parser("deploy", help="deploy and wire the contracts, write the deployment JSON")
    d.add_argument("--rpc-url", required=True)
    d.add_argument("--out", help="deployment file (default deployments/<chainId>.json)")
    d.add_argument("--keystore", help="encrypted keystore of the deployer (else $SCFCHAIN_PRIVATE_KEY)")
    d.add_argument("--grace-period", type=_int, default=DEFAULT_GRACE_PERIOD, help="seconds (default 7 days)")
    d.add_argument("--payment-token", help="use this ERC-20 instead of deploying the mock dCNY")
    d.add_argument("--confirmations", type=_int, default=1)
    d.add_argument("--json", action="store_true")

    m = sub.add_parser("demo", help="run the SPEC demo case on an embedded Anvil (or --rpc-url)")
    m.add_argument("--rpc-url")
    m.add_argument("--out", default="demo-output", help="folder for demo.json and the tree pictures")
    m.add_argument("--json", action="store_true")
    m.add_argument("--serve", action="store_true", help="run the web explorer beside the demo on its chain, so the "
                   "audience watches the tree grow; it stays up after the story until Ctrl-C")
    m.add_argument("--host", default="127.0.0.1", help="explorer address with --serve (default 127.0.0.1)")
    m.add_argument("--port", type=_int, default=8000, help="explorer port with --serve (default 8000)")
    m.add_argument("--pace", type=float, help="seconds to wait before each step (default 2 with --serve, else 0)")

    sv = sub.add_parser("serve", help="the web explorer: pages and JSON over the audit index, following the chain",
                        description="A read-only web explorer over the audit index (the one `scfchain audit` "
                        "builds), kept up to date with the chain about once a second while it runs: overview, "
                        "receivables with their certificate trees and history, certificates with their lineage, "
                        "members with their credit profile, a live event feed, and JSON under /api/. Ctrl-C stops it.")
    sv.add_argument("--deployment", help="deployment file (default deployments/<chainId>.json)")
    sv.add_argument("--rpc-url", required=True, help="the node to follow")
    sv.add_argument("--db", help="index database, as for `scfchain audit` (default: beside the deployment file)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=_int, default=8000, help="port to listen on (default 8000; 0: any free port)")
    sv.add_argument("--confirmations", type=_int, default=12,
                    help="blocks kept provisional near the head (default 12), as for `scfchain audit index`")

    ld = sub.add_parser(
        "load", help="drive N receivables through the whole lifecycle, pipelined; report tx/s",
        description="Drives N receivables through the whole lifecycle, pipelined, then checks the money legs. "
        "With --rpc-url and --out, a run cut short (the client killed, or the node stopped and back with its "
        "chain) resumes: run the same command again and it continues on the deployment in the --out file, sending "
        "only what the chain does not show yet (transactions and tx/s count only what the resumed run sent). The "
        "embedded Anvil dies with the process, so a run without --rpc-url cannot be resumed.")
    ld.add_argument("--receivables", type=_int, default=100)
    ld.add_argument("--tiers", type=_int, default=5)
    ld.add_argument("--rpc-url", help="a node with unlocked accounts (default: an embedded Anvil, which dies with "
                    "the process: no resume)")
    ld.add_argument("--out", help="write the deployment file here (for scfchain audit); with --rpc-url, an "
                    "earlier run's deployment in this file is resumed")
    ld.add_argument("--json", action="store_true")

    s = sub.add_parser("show", help="a certificate (with its tree) or a member's holdings")
    s.add_argument("target", help="certificate id or member address")
    _common(s)

    def action(name: str, help_: str, *params: tuple[str, Any]) -> None:
        a = sub.add_parser(name, help=help_)
        for pname, ptype in params:
            if pname.startswith("--"):
                a.add_argument(pname, type=ptype)
            else:
                a.add_argument(pname, type=ptype, nargs="+" if pname == "ids" else None)
        _common(a)
        _signing(a)

    action("onboard", "onboard a member (operator)", ("account", str), ("role", str), ("name", str))
    action("suspend", "suspend a member (operator)", ("account", str))
    action("reinstate", "reinstate a member (operator)", ("account", str))
    action("credit-line", "set your credit line for a debtor (financier)", ("debtor", str), ("limit", _int))
    action("guarantee", "deposit a guarantee for a debtor (guarantor)", ("debtor", str), ("amount", _int),
           ("expiry", _int))
    action("issue", "issue a receivable (core enterprise); DOCUMENT: a bundle file from `document commit` (its root), "
           "a 0x 32-byte hash, or text to hash", ("supplier", str), ("face_value", _int), ("maturity", _int),
           ("document", str))
    action("split", "split your certificate: --to A,B --amounts 1,2", ("cert_id", _int), ("--to", str),
           ("--amounts", str))
    action("transfer", "transfer certificate units", ("to", str), ("cert_id", _int), ("amount", _int))
    action("offer", "post a financing offer (financier)", ("debtor", str), ("rate_bps", _int), ("budget", _int),
           ("min_amount", _int), ("expiry", _int))
    action("finance", "sell certificate units into an offer", ("offer_id", _int), ("cert_id", _int),
           ("amount", _int), ("--min-proceeds", _int), ("--deadline", _int))
    action("repay", "repay a receivable", ("root_id", _int), ("amount", _int))
    action("default", "declare an overdue receivable defaulted", ("root_id", _int))
    action("claim", "claim payouts for certificate ids", ("ids", _int))
    action("settle", "push payouts (clearing): --ids 1,2 --holders A,B", ("--ids", str), ("--holders", str))
    action("request-loan", "pledge certificate units for a loan: --lender A (default: any financier), --expiry T "
           "(default: a week)", ("cert_id", _int), ("units", _int), ("principal", _int), ("rate_bps", _int),
           ("--lender", str), ("--expiry", _int))
    action("cancel-loan", "withdraw your unfunded loan request (the units come back)", ("loan_id", _int))
    action("fund-loan", "fund a loan request (financier): the principal goes to the borrower", ("loan_id", _int))
    action("repay-loan", "repay a loan, up to its debt (interest first)", ("loan_id", _int), ("amount", _int))
    action("settle-loan", "settle a loan once its receivable closed: lender first, borrower the rest",
           ("loan_id", _int))
    add_audit_commands(sub)
    add_document_commands(sub)
    return p


def _signing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keystore", help="encrypted keystore (else $SCFCHAIN_PRIVATE_KEY)")
    p.add_argument("--from", dest="sender", help="an account the node holds unlocked (local Anvil only)")
    p.add_argument("--confirmations", type=_int, default=1)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--deployment", help="deployment file (default deployments/<chainId>.json)")
    p.add_argument("--rpc-url", required=True)
    p.add_argument("--json", action="store_true")


def _emit(args: argparse.Namespace, text: str, data: Any) -> None:
    print(json.dumps(data, indent=2, default=str) if args.json else text)


def _open(args: argparse.Namespace):
    from scfchain.lifecycle import Scf

    w3 = connect(args.rpc_url)
    chain = Chain(w3, confirmations=getattr(args, "confirmations", 1))
    path = Path(args.deployment) if args.deployment else default_deployment_path(chain.chain_id)
    return Scf(chain, load_deployment(path))


def cmd_deploy(args: argparse.Namespace) -> None:
    signer = load_signer(args.keystore)
    w3 = connect(args.rpc_url)
    chain = Chain(w3, confirmations=args.confirmations)
    dep = deploy(
        chain,
        signer,
        grace_period=args.grace_period,
        payment_token=args.payment_token,
        progress=None if args.json else lambda m: print(m, file=sys.stderr),
    )
    out = dep.save(args.out or default_deployment_path(dep.chain_id))
    _emit(args, f"deployment written to {out}", {"file": str(out), **{k: v["address"] for k, v in dep.contracts.items()}})


def cmd_demo(args: argparse.Namespace) -> None:
    from .demo import run_demo

    if args.serve:
        return _demo_serve(args)
    record = run_demo(args.rpc_url, args.out, say=(lambda _m: None) if args.json else print, pace=args.pace or 0.0)
    if args.json:
        print(json.dumps(record, indent=2, default=str))


def _demo_serve(args: argparse.Namespace) -> None:
    """The demo with the explorer beside it on the demo's chain; both stay up after the story until Ctrl-C."""
    from contextlib import ExitStack

    from scfchain.anvil import Anvil
    from .demo import run_demo
    from .explorer import ExplorerServer, listen

    say = (lambda _m: None) if args.json else (lambda m: print(m, flush=True))
    sock = listen(args.host, args.port)  # a port in use is refused before anything is deployed
    with ExitStack() as stack:
        stack.callback(sock.close)
        rpc_url = args.rpc_url
        if rpc_url is None:
            say("Starting a local Anvil chain …")
            rpc_url = stack.enter_context(Anvil()).url
        server: list[ExplorerServer] = []

        def on_deployed(deployment_file: Path) -> None:
            db = deployment_file.with_name("explorer.audit.sqlite")  # its own index, rebuilt for this run
            for f in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                f.unlink(missing_ok=True)
            explorer = ExplorerServer(str(deployment_file), rpc_url, f"sqlite:///{db}", args.host, args.port,
                                      confirmations=0, sock=sock)
            explorer.start()
            stack.callback(explorer.stop)
            server.append(explorer)
            print(f"\nExplorer: {explorer.url}  (open it to watch the story step by step)", flush=True)

        record = run_demo(rpc_url, args.out, say=say, on_deployed=on_deployed,
                          pace=2.0 if args.pace is None else args.pace)
        if args.json:
            print(json.dumps(record, indent=2, default=str), flush=True)
        print(f"\nThe explorer stays up on {server[0].url} with the demo's chain at {rpc_url}; Ctrl-C to stop.",
              flush=True)
        server[0].wait()
    print("explorer stopped", flush=True)


def cmd_serve(args: argparse.Namespace) -> None:
    import sqlite3

    from scfchain.audit.session import ProgressLine
    from .explorer import ExplorerServer

    line = ProgressLine(label="indexing")
    server = ExplorerServer(args.deployment, args.rpc_url, args.db, args.host, args.port, args.confirmations,
                            progress=line)
    try:
        server.start()
    except sqlite3.Error as exc:
        raise ScfError(f"audit index: {exc}") from None
    finally:
        line.done()
    print(f"Explorer: {server.url}  (following {args.rpc_url}; Ctrl-C to stop)", flush=True)
    try:
        server.wait()
    finally:
        server.stop()
    print("explorer stopped", flush=True)


def cmd_load(args: argparse.Namespace) -> None:
    from .load import print_progress, run_load

    try:
        r = run_load(args.receivables, args.tiers, args.rpc_url, progress=None if args.json else print_progress,
                     deployment_out=args.out)
    except (RpcError, *TRANSIENT) as exc:  # the node went away (or refused): one line, and how to go on
        text = str(exc) if isinstance(exc, RpcError) else f"the node stopped answering ({type(exc).__name__})"
        if args.rpc_url and args.out:
            text += f"; the same command resumes the load on {args.out} once the node answers"
        raise RpcError(text) from None
    data = {"receivables": r.receivables, "tiers": r.tiers, "transactions": r.transactions, "seconds": r.seconds,
            "tps": round(r.tps, 1), "phases": r.phases, "checks": r.checks, "resent": r.resent,
            "resumed": r.resumed, "skipped": r.skipped, "peak_mib": r.peak_mib}
    text = "\n".join([f"{r.transactions} transactions in {r.seconds:.1f}s: {r.tps:.0f} tx/s, peak memory "
                       f"{r.peak_mib:.0f} MiB"
                      + (f" ({r.resent} dropped by the node and sent again)" if r.resent else "")
                      + ("; resumed, found on chain: " + ", ".join(f"{k} {v}" for k, v in r.skipped.items())
                         if r.resumed else "")]
                      + [f"  [{'ok' if v else 'FAILED'}] {k}" for k, v in r.checks.items()])
    _emit(args, text, data)
    if not r.ok:
        raise ScfError("load finished but checks failed: " + ", ".join(k for k, v in r.checks.items() if not v))


def cmd_show(args: argparse.Namespace) -> None:
    from scfchain.render import text_tree

    scf = _open(args)
    target = args.target
    if target.startswith("0x") and len(target) == 42:
        from scfchain.lifecycle import checked_address

        target = checked_address(target, "member")
        holdings = scf.holdings(target)
        loans = scf.loans(target)
        pledged: dict[int, int] = {}
        for ln in loans:
            if ln.borrower == target and ln.pledged:
                pledged[ln.cert_id] = pledged.get(ln.cert_id, 0) + ln.units
        rows = [_loan_json(scf, ln) for ln in loans]
        text = "\n".join([f"#{i}: {v}" for i, v in sorted(holdings.items())] or ["no certificates"])
        if pledged:
            text += "\npledged to the loan desk: " + ", ".join(f"#{i}: {v}" for i, v in sorted(pledged.items()))
        text += "".join("\n" + _loan_text(r, target) for r in rows)
        _emit(args, text, {"holder": target, "holdings": holdings, "pledged": pledged, "loans": rows})
        return
    try:
        cid = int(target, 0)
    except ValueError:
        raise ScfError(f"not a certificate id or address: {target!r}") from None
    cert = scf.certificate(cid)
    if not cert.exists:
        raise ScfError(f"certificate {cid} does not exist")
    tree = scf.tree(cert.root_id)
    desk = scf.deployment.contracts.get("LoanDesk", {}).get("address", "")

    def name(address: str) -> str:
        return "LoanDesk (pledged)" if address == desk else address

    ids: list[int] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        ids.append(node.certificate.id)
        stack.extend(node.children)
    rows = [_loan_json(scf, ln) for ln in scf.loans(cert_ids=ids)]
    text = text_tree(tree, name) + "".join("\n" + _loan_text(r) for r in rows)
    _emit(args, text, {**cert.__dict__, "loans": rows})


def _loan_json(scf: Any, ln: Any) -> dict[str, Any]:
    return {"loanId": ln.id, "state": ln.state, "borrower": ln.borrower, "lender": ln.lender, "certId": ln.cert_id,
            "units": ln.units, "principal": ln.principal, "annualRateBps": ln.annual_rate_bps,
            "fundedAt": ln.funded_at, "debt": scf.debt(ln.id) if ln.state == "funded" else 0}


def _loan_text(r: dict[str, Any], member: str | None = None) -> str:
    role = "" if member is None else (" borrowed" if r["borrower"] == member else " lent")
    lender = r["lender"] if int(r["lender"], 16) else "any financier"
    debt = f", debt {r['debt']}" if r["state"] == "funded" else ""
    return (f"loan #{r['loanId']}{role}: {r['units']} units of #{r['certId']} pledged for {r['principal']} at "
            f"{r['annualRateBps'] / 100:.2f}%/yr, lender {lender}, {r['state']}{debt}")


def _csv(text: str | None, what: str, convert: Any = str) -> list[Any]:
    if not text:
        raise ScfError(f"--{what} is required (comma-separated)")
    try:
        return [convert(x.strip(), 0) if convert is int else x.strip() for x in text.split(",") if x.strip()]
    except ValueError:
        raise ScfError(f"--{what} must be comma-separated whole numbers: {text!r}") from None


def _document_hash(text: str) -> bytes:
    """The root of a bundle file made by `document commit`, a 0x-prefixed 32-byte hash as given, else the
    keccak-256 of the text (e.g. an invoice number)."""
    from eth_utils import keccak

    root = issue_document_hash(text)
    if root is not None:
        return root
    if text.startswith("0x") and len(text) == 66:
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            pass
    return keccak(text=text)


def cmd_action(args: argparse.Namespace) -> None:
    from scfchain.lifecycle import checked_address

    # Inputs are validated (addresses, amounts) before the node is contacted.
    for key in ("account", "debtor", "supplier", "to", "lender"):
        if isinstance(getattr(args, key, None), str) and args.command != "split":
            checked_address(getattr(args, key), key)
    doc = _document_hash(args.document) if args.command == "issue" else b""
    scf = _open(args)
    signer: Any = checked_address(args.sender, "--from") if args.sender else load_signer(args.keystore)
    c = args.command
    result: Any
    if c == "onboard":
        scf.onboard(signer, args.account, args.role, args.name)
        result = {"account": args.account, "role": args.role}
    elif c == "suspend":
        scf.suspend(signer, args.account)
        result = {"suspended": args.account}
    elif c == "reinstate":
        scf.reinstate(signer, args.account)
        result = {"reinstated": args.account}
    elif c == "credit-line":
        result = {"creditLimit": scf.set_credit_line(signer, args.debtor, args.limit)}
    elif c == "guarantee":
        result = {"guaranteeId": scf.provide_guarantee(signer, args.debtor, args.amount, args.expiry)}
    elif c == "issue":
        result = {"rootId": scf.issue(signer, args.supplier, args.face_value, args.maturity, doc)}
    elif c == "split":
        to = [checked_address(a, "recipient") for a in _csv(args.to, "to")]
        amounts = _csv(args.amounts, "amounts", int)
        result = {"childIds": scf.split(signer, args.cert_id, to, amounts)}
    elif c == "transfer":
        scf.transfer(signer, args.to, args.cert_id, args.amount)
        result = {"transferred": args.amount, "certId": args.cert_id, "to": args.to}
    elif c == "offer":
        result = {"offerId": scf.post_offer(signer, args.debtor, args.rate_bps, args.budget, args.min_amount,
                                            args.expiry)}
    elif c == "finance":
        result = {"proceeds": scf.finance(signer, args.offer_id, args.cert_id, args.amount, args.min_proceeds,
                                          args.deadline)}
    elif c == "repay":
        result = {"totalPaid": scf.repay(signer, args.root_id, args.amount)}
    elif c == "default":
        paid, covered = scf.declare_default(signer, args.root_id)
        result = {"paid": paid, "covered": covered}
    elif c == "claim":
        result = {"payout": scf.claim(signer, args.ids)}
    elif c == "request-loan":
        result = {"loanId": scf.request_loan(signer, args.cert_id, args.units, args.principal, args.rate_bps,
                                             args.lender, args.expiry)}
    elif c == "cancel-loan":
        scf.cancel_loan(signer, args.loan_id)
        result = {"cancelled": args.loan_id}
    elif c == "fund-loan":
        result = {"loanId": args.loan_id, "principal": scf.fund_loan(signer, args.loan_id)}
    elif c == "repay-loan":
        taken, remaining = scf.repay_loan(signer, args.loan_id, args.amount)
        result = {"loanId": args.loan_id, "repaid": taken, "remainingDebt": remaining}
    elif c == "settle-loan":
        result = {"loanId": args.loan_id, **scf.settle_loan(signer, args.loan_id)}
    else:  # settle
        ids = _csv(args.ids, "ids", int)
        holders = [checked_address(h, "holder") for h in _csv(args.holders, "holders")]
        result = {"payout": scf.settle(signer, ids, holders)}
    _emit(args, " ".join(f"{k}: {v}" for k, v in result.items()), result)


COMMANDS = {"deploy": cmd_deploy, "demo": cmd_demo, "show": cmd_show, "load": cmd_load, "serve": cmd_serve}
for _name in ("onboard", "suspend", "reinstate", "credit-line", "guarantee", "issue", "split", "transfer", "offer",
              "finance", "repay", "default", "claim", "settle", "request-loan", "cancel-loan", "fund-loan",
              "repay-loan", "settle-loan"):
    COMMANDS[_name] = cmd_action
COMMANDS["audit"] = cmd_audit
COMMANDS["document"] = cmd_document


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        COMMANDS[args.command](args)
    except (ScfError, ToolchainError, RpcError) as exc:
        again = "; run the same command again once it is back" if isinstance(exc, Unreachable) else ""
        print(f"scfchain: {exc}{again}", file=sys.stderr)
        return 1
    except TRANSIENT as exc:  # the node went away in the middle of a run, outside a retried request
        print(f"scfchain: the node stopped answering ({type(exc).__name__}); run the same command again once it "
              "is back", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as exc:  # web3's argument validation, among others: still one line
        print(f"scfchain: invalid input: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("scfchain: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
