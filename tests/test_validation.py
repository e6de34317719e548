"""Stylised-fact validation (``sim.validate``): the cheap checks in CI, all of them when slow.

``pytest -m validation`` runs the quick subset (six baseline runs shared by checks 1, 2,
3, 9 and 10; well under a minute on 2 cores); ``pytest -m "validation and slow"`` runs
the full suite (~430 runs, ~10-15 minutes on an idle machine). A check that fails because of the model is
marked ``xfail(strict=True)`` with the measured figures and the diagnosis, so the mark
has to go when the model is fixed. The other tests here exercise the machinery (tail
exponent, trend test, run planning, command line) without simulating.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim import validate as v

# Known failures of the model (see docs/validation.md for the figures and diagnosis).
MODEL_FAILURES: dict[int, str] = {}


def _param(number: int) -> Any:
    """A check number as a test parameter, strictly expected to fail if the model fails it."""
    reason = MODEL_FAILURES.get(number)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(number, id=f"check{number}", marks=marks)


QUICK = [c.number for c in v.select(quick=True)]
ALL = sorted(v.CHECKS)


@pytest.fixture(scope="module")
def quick_results() -> dict[int, v.CheckResult]:
    """The quick suite, run once for the module (2 worker processes)."""
    return {r.number: r for r in v.run_checks(quick=True, workers=2)}


@pytest.fixture(scope="module")
def full_results() -> dict[int, v.CheckResult]:
    """The full suite, run once for the module (2 worker processes)."""
    return {r.number: r for r in v.run_checks(workers=2)}


@pytest.mark.validation
@pytest.mark.parametrize("number", [_param(n) for n in QUICK])
def test_quick_check_passes(number: int, quick_results: dict[int, v.CheckResult]) -> None:
    """Each cheap stylised fact holds at the default scale (quick replicates)."""
    result = quick_results[number]
    assert result.passed, result.line()


@pytest.mark.validation
@pytest.mark.slow
@pytest.mark.parametrize("number", [_param(n) for n in ALL])
def test_full_check_passes(number: int, full_results: dict[int, v.CheckResult]) -> None:
    """Each stylised fact holds with the full number of replicates."""
    result = full_results[number]
    assert result.passed, result.line()


# --- the machinery, without simulating --------------------------------------------------


def test_quick_subset_is_the_cheap_checks_on_shared_baseline_runs() -> None:
    """Quick checks need only the baseline replicates, and they share them."""
    assert QUICK == [1, 2, 3, 9, 10]
    plans = [v.CHECKS[n].needs(v.CHECKS[n].replicates[1]) for n in QUICK]
    keys = {k for plan in plans for ks in plan.values() for k in ks}
    assert len(keys) == v.CHECKS[1].replicates[1]  # one run per seed, reused by all five


def test_full_suite_fits_its_time_budget() -> None:
    """The union of all checks' runs stays within ~10 minutes on 2 cores.

    A run of 10,000 users x 730 days takes ~0.5-1 s (benchmarks/README.md); 1,000 runs are
    ~5-8 minutes on 2 cores. (The budget was 700 runs at ~1-3 s a run before the engine
    was compiled; check 7 now takes 30 seeds, 750 of the 920 runs.)
    """
    keys = {k for c in v.CHECKS.values() for ks in c.needs(c.replicates[0]).values() for k in ks}
    assert len(keys) <= 1000
    assert all(c.replicates[0] >= 10 and c.replicates[1] >= 6 for c in v.CHECKS.values())


def test_paired_variants_share_seeds_and_differ_only_in_their_levers() -> None:
    """Within a check every variant has the same seeds, so comparisons are paired."""
    for c in v.CHECKS.values():
        groups = c.needs(4)
        seeds = {label: [k[-1] for k in ks] for label, ks in groups.items()}
        assert len({tuple(s) for s in seeds.values()}) == 1, c.number
        assert all(k[0] == f"population.n_users={v.N_USERS}" for ks in groups.values() for k in ks)


def test_every_check_names_its_source_and_test() -> None:
    """Docstrings cite the source and say which statistical test decides."""
    for c in v.CHECKS.values():
        doc = c.evaluate.__doc__ or ""
        assert "Source:" in doc and "Test" in doc, c.number


def test_tail_exponent_recovers_a_known_power_law() -> None:
    """The discrete MLE finds the exponent of a Zipf sample (Clauset et al. 2009)."""
    sample = stats.zipf.rvs(2.5, size=200_000, random_state=np.random.default_rng(1))
    for xmin in (1, 2, 5):
        assert abs(v.tail_exponent(sample, xmin=xmin) - 2.5) < 0.05
    assert np.isnan(v.tail_exponent(np.ones(100, dtype=int)))


def test_trend_test_detects_direction_and_refuses_noise() -> None:
    """Per-seed Spearman with a t-interval: a clear trend passes, pure noise does not."""
    rng = np.random.default_rng(0)
    levels = [1.0, 2.0, 3.0, 4.0]
    rising = np.array(levels)[None, :] + rng.normal(0, 0.5, (12, 4))
    assert v._trend(levels, rising, +1)[0]
    assert not v._trend(levels, rising, -1)[0]
    noise = rng.normal(0, 1, (12, 4))
    assert not v._trend(levels, noise, +1)[0] or not v._trend(levels, noise, -1)[0]
    assert v._sign_p([1, 2, 3, 4, 5, 6, 7, 8]) < 0.01
    assert v._sign_p([0, 0]) == 1.0


def test_result_line_has_every_field() -> None:
    """One printed line: number, name, measured, expected, source, replicates, verdict."""
    r = v.CheckResult(3, "name", "0.97", ">= 0.9", "Deeptrace", "6 runs", "t", True)
    line = r.line()
    for part in ("3.", "name", "measured: 0.97", "expected: >= 0.9", "Deeptrace", "6 runs", "PASS"):
        assert part in line
    assert v.CheckResult(3, "n", "m", "e", "s", "r", "t", False).line().endswith("FAIL")


def test_command_line_prints_one_line_per_check_and_exits_1_on_failure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m sim.validate` exit status: 0 if all pass, 1 if any fails."""

    def fake(
        only: list[int], quick: bool, workers: int, progress: bool = False
    ) -> list[v.CheckResult]:
        return [v.CheckResult(n, f"check {n}", "m", "e", "s", "r", "t", n != 2) for n in only]

    monkeypatch.setattr(v, "run_checks", fake)
    assert v.main(["--only", "2,3"]) == 1
    out = capsys.readouterr().out
    assert "check 2" in out and "FAIL" in out and "1/2 passed; failed: 2" in out
    assert v.main(["--quick", "--only", "3,9"]) == 0
    assert capsys.readouterr().out.count("PASS") == 2
    with pytest.raises(SystemExit) as err:
        v.main(["--only", "99"])
    assert err.value.code == 2
