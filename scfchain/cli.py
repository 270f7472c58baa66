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

from .chain import Chain, RpcError, connect, load_signer
from .deploy import DEFAULT_GRACE_PERIOD, default_deployment_path, deploy, load_deployment
from .errors import ScfError
from .toolchain import ToolchainError


def _int(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


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

    s = sub.add_parser("show", help="a certificate (with its tree) or a member's holdings")
    s.add_argument("target", help="certificate id or member address")
    _common(s)
    return p


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--deployment", help="deployment file (default deployments/<chainId>.json)")
    p.add_argument("--rpc-url", required=True)
    p.add_argument("--json", action="store_true")


def _emit(args: argparse.Namespace, text: str, data: Any) -> None:
    print(json.dumps(data, indent=2, default=str) if args.json else text)


def _open(args: argparse.Namespace):
    from .lifecycle import Scf

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

    record = run_demo(args.rpc_url, args.out, say=(lambda _m: None) if args.json else print)
    if args.json:
        print(json.dumps(record, indent=2, default=str))


def cmd_show(args: argparse.Namespace) -> None:
    from .render import text_tree

    scf = _open(args)
    target = args.target
    if target.startswith("0x") and len(target) == 42:
        holdings = scf.holdings(target)
        text = "\n".join(f"#{i}: {v}" for i, v in sorted(holdings.items())) or "no certificates"
        _emit(args, text, {"holder": target, "holdings": holdings})
        return
    try:
        cid = int(target, 0)
    except ValueError:
        raise ScfError(f"not a certificate id or address: {target!r}") from None
    cert = scf.certificate(cid)
    if not cert.exists:
        raise ScfError(f"certificate {cid} does not exist")
    tree = scf.tree(cert.root_id)
    _emit(args, text_tree(tree), cert.__dict__)


COMMANDS = {"deploy": cmd_deploy, "demo": cmd_demo, "show": cmd_show}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        COMMANDS[args.command](args)
    except (ScfError, ToolchainError, RpcError) as exc:
        print(f"scfchain: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("scfchain: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
