"""Shared test helpers: role ids, document hashes, custom-error matching."""
from __future__ import annotations

from contextlib import contextmanager

import brownie
from eth_utils import keccak

from scfchain.constants import DAY, ROLES  # noqa: F401 — DAY for the tests; the six role names besides DEFAULT_ADMIN_ROLE

# the ids as OpenZeppelin's AccessControl defines them (keccak256 of the name), not scfchain's table
ROLE = {name: "0x" + keccak(text=name).hex() for name in ROLES}
ROLE["DEFAULT_ADMIN_ROLE"] = "0x" + "00" * 32


def doc_hash(text: str) -> str:
    return "0x" + keccak(text=text).hex()


def _fmt(arg) -> str:
    """Formats one argument as brownie's custom-error decoder prints it."""
    if hasattr(arg, "address"):
        arg = arg.address
    if isinstance(arg, str) and arg.startswith("0x") and len(arg) == 42:
        return arg.lower()
    if isinstance(arg, str) and arg.startswith("0x") and len(arg) == 66:
        return str(bytes.fromhex(arg[2:]))
    if isinstance(arg, bool):
        return str(arg)
    return str(arg)


def error(name: str, *args) -> str:
    """The revert message brownie reports for custom error `name(args…)`."""
    return f"{name}: {', '.join(_fmt(a) for a in args)}" if args else f"{name}: "


@contextmanager
def reverts(name: str, *args):
    """Asserts the block reverts with exactly the custom error `name(*args)`."""
    with brownie.reverts(error(name, *args)):
        yield
