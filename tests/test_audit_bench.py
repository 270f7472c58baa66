"""The index benchmark at a small size (10,000 and 100,000 certificates are `make bench`): it builds the chain
it claims with the load's pipeline, and indexes into SQLite and PostgreSQL exactly the logs that raw
eth_getLogs returns."""
import json

import pytest

from tools.bench_audit import TARGET, main, run

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling


def test_bench_smallRun_figuresAreConsistent():
    f = run(certificates=400, rounds=1, say=lambda _m: None)
    assert (f["certificates"], f["receivables"]) == (400, 100)
    assert f["logs"] > 5 * 100  # a hundred receivables: issue, splits down four tiers, financing, repayment, claims
    assert set(f["engines"]) == {"sqlite", "postgresql"}
    for e in f["engines"].values():
        assert e["raw_getlogs_seconds"] > 0 and e["index_seconds"] > 0
        assert abs(e["index_vs_raw"] - e["raw_getlogs_seconds"] / e["index_seconds"]) < 0.01
        assert abs(e["seconds_per_10k_certificates"] - e["index_seconds"] * 10_000 / 400) < 0.01
    assert f["target"] == TARGET == 0.5
    assert f["ok"] == all(e["index_vs_raw"] >= 0.5 for e in f["engines"].values())


def test_bench_cli_writesFigures(tmp_path, capsys):
    out = tmp_path / "audit.json"
    code = main(["--certificates", "200,400", "--rounds", "1", "--engines", "sqlite", "--out", str(out)])
    figures = json.loads(out.read_text())
    assert code == (0 if figures["ok"] else 1)
    assert [f["certificates"] for f in figures["sizes"]] == [200, 400]
    assert set(figures["seconds_per_10k_certificates"]["sqlite"]) == {"200", "400"}
    printed = capsys.readouterr().out
    assert "audit index benchmark: 200 certificates" in printed and "index rate / raw rate" in printed
    assert "cost per 10,000 certificates: sqlite " in printed


def test_bench_failedTransaction_namesItAndWhy(monkeypatch):
    """A chain the benchmark cannot build stops with the transaction and its decoded reason."""
    import pytest

    from scfchain.apps import load as load_module
    from scfchain.errors import ScfError

    data = load_module._data

    def zero_face(name, *args):  # issue(supplier, 0, …) is sent (the pipeline does not estimate) and reverts
        return data(name, args[0], 0, *args[2:]) if name == "issue" else data(name, *args)

    monkeypatch.setattr(load_module, "_data", zero_face)
    with pytest.raises(ScfError) as err:
        run(certificates=40, rounds=1, say=lambda _m: None, engines=("sqlite",))
    message = str(err.value)
    assert message.startswith("10 of 10 transactions reverted; the first, 0x")
    assert "(issue from 0x" in message and "InvalidFaceValue" in message, message
