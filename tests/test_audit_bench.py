"""The index benchmark at a small size (the 10,000-certificate run is `make bench`): it builds the chain
it claims, and indexes exactly the logs that raw eth_getLogs returns."""
import pytest
import json

from scfchain.audit.bench import main, run

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling


def test_bench_smallRun_figuresAreConsistent():
    f = run(certificates=400, rounds=1, say=lambda _m: None)
    assert f["certificates"] == 400
    assert f["logs"] > 5 * 100  # a hundred receivables: issue, split in three, financing, repayment, claims
    assert f["raw_getlogs_seconds"] > 0 and f["index_seconds"] > 0
    assert abs(f["index_vs_raw"] - f["raw_getlogs_seconds"] / f["index_seconds"]) < 0.01
    assert f["target"] == 0.5 and f["ok"] == (f["index_vs_raw"] >= 0.5)


def test_bench_cli_writesFigures(tmp_path, capsys):
    out = tmp_path / "audit.json"
    code = main(["--certificates", "200", "--rounds", "1", "--out", str(out)])
    figures = json.loads(out.read_text())
    assert code == (0 if figures["ok"] else 1)
    printed = capsys.readouterr().out
    assert "audit index benchmark: 200 certificates" in printed and "index rate / raw rate" in printed
