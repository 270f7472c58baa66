"""Argument types shared by the `scfchain` command line and its `audit` subcommands."""
from __future__ import annotations

import argparse


def whole_number(text: str) -> int:
    """An argparse type: a whole number >= 0, decimal or 0x-prefixed hex."""
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value
