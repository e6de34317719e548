"""The command line: one run, reproducibility across processes, wrong input, sweeps."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import run_cli

SMALL = ["population.n_users=500", "days=60", "policy_start_day=30"]
REQUIRED = [
    "harmful_views_per_10k",
    "harmful_items_created",
    "harmful_items_removed",
    "median_takedown_hours",
    "victims_women",
    "victims_men",
    "victims_children",
    "wrongful_removals",
    "self_censoring_users",
    "moderation_spend_gbp",
    "fines_imposed_gbp",
    "fines_count",
    "max_fine_to_cap_ratio",
    "charges",
    "convictions",
    "deepfakes_created",
    "fringe_abuse_share",
    "platform_exits",
]


def test_default_run_writes_a_complete_folder(tmp_path):
    """`python -m sim.run` at the default size writes every documented file."""
    out = tmp_path / "run"
    res = run_cli(f"hydra.run.dir={out}")
    assert res.returncode == 0, res.stderr
    for name in (
        "config.yaml",
        "metadata.json",
        "timeseries.parquet",
        "events.parquet",
        "summary.json",
    ):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert set(REQUIRED) <= set(summary)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["wall_seconds"] < 60  # seconds, not minutes, at 10,000 users x 730 days
    assert meta["packages"]["mesa"].startswith("3.5")
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 730 and "effort__mega" in ts
    assert "Harmful views per 10,000 views" in res.stdout


def test_same_config_and_seed_identical_across_processes(tmp_path):
    """Two separate processes with the same config and seed write identical summaries."""
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        res = run_cli(*SMALL, "seed=7", "scenario=fast_takedown", f"hydra.run.dir={d}")
        assert res.returncode == 0, res.stderr
    assert (a / "summary.json").read_text() == (b / "summary.json").read_text()
    assert pd.read_parquet(a / "timeseries.parquet").equals(
        pd.read_parquet(b / "timeseries.parquet")
    )


@pytest.mark.parametrize(
    ("override", "needles"),
    [
        ("scenario=martial_law", ["scenario", "martial_law", "baseline"]),
        (
            "scenario.fine_cap_multiplier=-2",
            ["scenario.fine_cap_multiplier=-2.0", "must be in [0, 100]"],
        ),
        (
            "population.report_prob_target=1.5",
            ["population.report_prob_target=1.5", "must be in [0, 1]"],
        ),
        ("population.n_users=0", ["population.n_users=0", "must be in [100, 20000000]"]),
        (
            "platforms.mega.strategy=evil.module.Class",
            ["platforms.mega.strategy", "choose one of", "expected_utility"],
        ),
    ],
)
def test_wrong_input_fails_early_and_leaves_nothing_complete(tmp_path, override, needles):
    """A wrong value exits non-zero, names key/value/allowed, and no run looks complete."""
    out = tmp_path / "run"
    res = run_cli(*SMALL, override, f"hydra.run.dir={out}")
    assert res.returncode != 0
    text = res.stdout + res.stderr
    for needle in needles:
        assert needle in text
    assert not (out / "summary.json").exists()


def test_missing_edge_list_fails_early(tmp_path):
    """A missing edge-list file is named before anything runs."""
    out = tmp_path / "run"
    res = run_cli(
        *SMALL, "network=edge_list", f"network.path={tmp_path / 'none.txt'}", f"hydra.run.dir={out}"
    )
    assert res.returncode != 0
    assert "network.path=" in res.stderr and "does not exist" in res.stderr
    assert not (out / "summary.json").exists()


def _finished(sweep: Path) -> dict[str, str]:
    return {
        p.parent.name: json.loads(p.read_text())["finished_at"]
        + json.loads(p.read_text())["run_id"]
        for p in sweep.glob("*/metadata.json")
    }


def test_sweep_resumes_only_missing_runs_and_isolates_failures(tmp_path):
    """A rerun skips complete runs; a failing run is recorded and does not stop the others."""
    sweep = tmp_path / "sweep"
    args = ["-m", *SMALL, "scenario=baseline,fast_takedown", "seed=0,1", f"hydra.sweep.dir={sweep}"]
    res = run_cli(*args)
    assert res.returncode == 0, res.stderr
    runs = json.loads((sweep / "expected_runs.json").read_text())
    assert len(runs) == 4
    assert all((sweep / r["run_dir"] / "summary.json").is_file() for r in runs)
    before = _finished(sweep)
    # Simulate an interrupted sweep: one run lost its completion marker.
    victim = sweep / runs[2]["run_dir"]
    (victim / "summary.json").unlink()
    res = run_cli(*args)
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("[skip]") == 3
    after = _finished(sweep)
    changed = [k for k in before if before[k] != after[k]]
    assert changed == [] or changed == [victim.name]
    assert (victim / "summary.json").is_file()
    # A run that raises is recorded as failed; the others complete; exit code is 1.
    bad = tmp_path / "bad"
    res = run_cli("-m", *SMALL, "scenario.fine_cap_multiplier=1,-1", f"hydra.sweep.dir={bad}")
    assert res.returncode == 1
    err = json.loads(next(bad.glob("*=-1*/error.json")).read_text())
    assert err["error_type"] == "ConfigError" and "fine_cap_multiplier" in err["message"]
    assert len(list(bad.glob("*/summary.json"))) == 1
    assert "1 failed" in res.stdout
