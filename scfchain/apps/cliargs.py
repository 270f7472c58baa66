"""Argument types and error messages shared by the `scfchain` command line and its `audit` and `document`
subcommands."""
from __future__ import annotations

import argparse

from scfchain.errors import ScfError


def whole_number(text: str) -> int:
    """An argparse type: a whole number >= 0, decimal or 0x-prefixed hex."""
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def os_error(exc: OSError) -> ScfError:
    """A file the command could not read or write, as its one-line error: the reason and the file."""
    return ScfError(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
