"""`scfchain load` end to end on its own embedded Anvil: every receivable through the lifecycle, checks hold."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_load_runsLifecycleAndChecksHold():
    r = subprocess.run([str(Path(sys.executable).parent / "scfchain"), "load", "--receivables", "12", "--tiers", "3",
                        "--json"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # 12 issues, 2 split phases of 12, 12 sales, 12 repayments, claims batched per holder.
    assert out["transactions"] >= 12 * 5
    assert all(out["checks"].values()) and len(out["checks"]) == 6
    assert out["tps"] > 0


def test_revert_load_badTiers():
    r = subprocess.run([str(Path(sys.executable).parent / "scfchain"), "load", "--tiers", "0"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip() == "scfchain: --tiers must be between 1 and 10, got 0"
