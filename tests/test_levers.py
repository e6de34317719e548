"""Levers act in the expected direction, on means over 5 replicates at the default size."""

from __future__ import annotations

import numpy as np
import pytest

from sim.defaults import compose_config
from sim.model import HarmModel

SEEDS = range(5)


def _summaries(scenario: str) -> list[dict[str, float]]:
    out = []
    for seed in SEEDS:
        model = HarmModel(compose_config([f"scenario={scenario}", f"seed={seed}"]))
        model.run_for(model.cfg.days)
        out.append(model.summary())
    return out


@pytest.fixture(scope="module")
def runs() -> dict[str, list[dict[str, float]]]:
    """Baseline, no regulation, deepfake offence and fast takedown, 5 seeds each."""
    return {
        s: _summaries(s) for s in ("baseline", "no_regulation", "deepfake_offence", "fast_takedown")
    }


def _mean(runs, scenario, key):
    return float(np.mean([r[key] for r in runs[scenario]]))


def test_regulation_lowers_prevalence(runs):
    """No regulation has more harmful views per 10,000 than the Act as enacted."""
    assert _mean(runs, "no_regulation", "harmful_views_per_10k") > _mean(
        runs, "baseline", "harmful_views_per_10k"
    )


def test_deepfake_offence_deters_creation(runs):
    """Criminalising creation means fewer sexual deepfakes are created."""
    assert _mean(runs, "deepfake_offence", "deepfakes_created") < _mean(
        runs, "baseline", "deepfakes_created"
    )


def test_fast_takedown_is_faster(runs):
    """A 24-hour duty lowers the median time from a user's report to takedown (what the
    duty bounds; over 20 seeds by 10.4 h, se 2.8, of 48.7 h), and the median time from
    posting to takedown, which also counts proactive removals (by 1.7 h, se 1.0)."""
    assert _mean(runs, "fast_takedown", "median_report_to_takedown_hours") < _mean(
        runs, "baseline", "median_report_to_takedown_hours"
    )
    assert _mean(runs, "fast_takedown", "median_takedown_hours") < _mean(
        runs, "baseline", "median_takedown_hours"
    )


def test_no_fine_exceeds_its_cap(runs):
    """Fines plus daily penalties stay within the statutory cap in every run."""
    for scenario in runs.values():
        for r in scenario:
            assert r["max_fine_to_cap_ratio"] <= 1.0
