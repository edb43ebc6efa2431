"""Kill test: a writer SIGKILLed at random moments loses nothing it reported as written."""

from __future__ import annotations

from benchmarks.killtest import run

RUNS = 10  # the benchmark does 50 (python -m benchmarks.record)


def test_sigkill_loses_no_reported_event(tmp_path):
    results = run(RUNS, tmp_path, workers=5, seed=42)
    assert sum(r.reported for r in results) > 0
    assert [r.lost for r in results] == [0] * RUNS
    for r in results:
        assert r.status == "open" and set(r.problems) <= {"no-close", "torn"}  # intact up to any torn line
        assert r.recovered_status == "interrupted"
