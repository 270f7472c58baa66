"""Writes the solc standard-JSON input Slither analyses (`make lint`): every production contract (contracts/,
except the test-only contracts/test/), with the compiler settings the project builds with.

Slither's crytic-compile reads it with `--compile-force-framework solc-json` and runs it through our solc
wrapper (tools/solc.js), so the analysis needs no network and no native solc.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.toolchain import SETTINGS  # noqa: E402  (the settings compile_contracts and brownie use)


def main(out: str) -> None:
    sources = sorted(p for p in (ROOT / "contracts").rglob("*.sol") if "test" not in p.relative_to(ROOT).parts[1:2])
    request = {
        "language": "Solidity",
        "sources": {str(p.relative_to(ROOT)): {"content": p.read_text()} for p in sources},
        "settings": {k: v for k, v in SETTINGS.items() if k != "outputSelection"},
    }
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(request))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/slither/input.json")
