"""Sweep report end to end on synthetic run folders (tests/conftest.py writes them)."""

from __future__ import annotations

import contextlib
import io
import math
import re

import pandas as pd
import pytest

from sim.report import build, main

HARM = {"baseline": [10.0, 12.0, 14.0], "fast_takedown": [8.0, 11.0, 11.0, 100.0]}
HARM["no_regulation"] = [15.0, 13.0]
REMOVED = {"baseline": [100.0, 110.0, 120.0], "fast_takedown": [130.0, 141.0, 149.0, 0.0]}
REMOVED["no_regulation"] = [50.0, 60.0]
SEEDS = {"baseline": [0, 1, 2], "fast_takedown": [0, 1, 2, 3], "no_regulation": [0, 1]}
T975_2 = 4.302652730  # t(0.975, 2)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, run_folders):
    """Three scenarios; fast_takedown has an unpaired seed; one failed run, one missing run.

    expected: baseline 0-3, fast_takedown 0-3, no_regulation 0-2. baseline seed 3 is
    missing (never started), no_regulation seed 2 failed.
    """
    root = tmp_path_factory.mktemp("sweep")
    expected = [
        {"scenario": s, "seed": k}
        for s, ks in (("baseline", 4), ("fast_takedown", 4), ("no_regulation", 3))
        for k in range(ks)
    ]
    run_folders.expected_runs(root, expected)
    for scen, seeds in SEEDS.items():
        # fast_takedown sets a scenario parameter: a scenario definition, not a sweep axis.
        params = {"scenario.takedown_duty_hours": 24.0 if scen == "fast_takedown" else 0.0}
        for i, seed in enumerate(seeds):
            summary = {
                "harmful_views_per_10k": HARM[scen][i],
                "wrongful_removals": REMOVED[scen][i],
            }
            run_folders.complete(
                root,
                scen,
                seed,
                params,
                summary=summary,
                run_dir=f"scenario={scen},seed={seed}",
                description=f"Plain description of {scen}.",
                platforms=("mega", "midsize", "fringe"),
                wall_seconds=2.0,
            )
    run_folders.failed(
        root,
        "no_regulation",
        2,
        run_dir="scenario=no_regulation,seed=2",
        error_type="ValueError",
        message="injected failure <b>",
    )
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # through the CLI, to check what it prints
        code = main([str(root)])
    return root, code, printed.getvalue()


def test_report_files_exist(sweep):
    root, code, _ = sweep
    assert code == 0  # failed and missing runs are reported, not fatal
    out = root / "report"
    for name in ("runs.parquet", "scenarios.csv", "effects.csv", "report.html"):
        assert (out / name).is_file(), name
    for name in ("prevalence", "victims", "effort", "fines", "effects", "tradeoff"):
        assert (out / "figures" / f"{name}.png").is_file(), name


def test_runs_table(sweep):
    """One row per complete run with scenario, seed, varying config keys, indicators, time."""
    root, _, _ = sweep
    runs = pd.read_parquet(root / "report" / "runs.parquet")
    assert len(runs) == 9
    assert {"run_dir", "status", "scenario", "seed", "wall_seconds"} <= set(runs.columns)
    assert {"harmful_views_per_10k", "victims_women", "platform_exits"} <= set(runs.columns)
    # It varies across runs (so it is listed) but only with the scenario (so it is no axis).
    assert "scenario.takedown_duty_hours" in runs.columns
    assert set(runs["status"]) == {"complete"}
    assert runs["wall_seconds"].sum() == pytest.approx(18.0)


def test_scenarios_csv(sweep):
    root, _, _ = sweep
    t = pd.read_csv(root / "report" / "scenarios.csv")
    row = t[(t.scenario == "baseline") & (t.indicator == "harmful_views_per_10k")].iloc[0]
    half = T975_2 * 2.0 / math.sqrt(3)  # sd of [10, 12, 14] is 2
    assert (row["n"], row["mean"], row["sd"]) == (3, 12.0, 2.0)
    assert row["ci_low"] == pytest.approx(12 - half)
    assert row["ci_high"] == pytest.approx(12 + half)


def test_effects_are_hand_computed_paired_differences(sweep):
    """fast_takedown - baseline by seed: harm diffs -2, -1, -3 (seed 3 has no partner)."""
    root, _, _ = sweep
    eff = pd.read_csv(root / "report" / "effects.csv").set_index(["scenario", "indicator"])
    harm = eff.loc[("fast_takedown", "harmful_views_per_10k")]
    half = T975_2 * 1.0 / math.sqrt(3)
    assert (harm["pairs"], harm["unpaired_seeds"]) == (3, 1)
    assert harm["diff_mean"] == pytest.approx(-2.0)
    assert harm["ci_low"] == pytest.approx(-2 - half)
    assert harm["ci_high"] == pytest.approx(-2 + half)
    assert harm["rel_change_pct"] == pytest.approx(-2 / 12 * 100)
    assert not harm["distinguishable"]
    removed = eff.loc[("fast_takedown", "wrongful_removals")]
    assert removed["diff_mean"] == pytest.approx(30.0) and removed["distinguishable"]
    # no_regulation: seeds 0 and 1 pair; diffs 5 and 1; baseline mean over pairs 11.
    none = eff.loc[("no_regulation", "harmful_views_per_10k")]
    assert (none["pairs"], none["diff_mean"]) == (2, pytest.approx(3.0))
    assert none["rel_change_pct"] == pytest.approx(3 / 11 * 100)


def test_html_is_self_contained_and_lists_problems(sweep):
    root, _, _ = sweep
    page = (root / "report" / "report.html").read_text()
    assert page.count("src='data:image/png;base64,") >= 6
    sources = re.findall(r"""src=['"]([^'"]*)""", page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in page and "<script" not in page
    assert "scenario=no_regulation,seed=2" in page  # failed run
    assert "ValueError" in page and "injected failure &lt;b&gt;" in page  # escaped message
    assert "scenario=baseline,seed=3" in page  # missing run
    assert "Plain description of fast_takedown." in page
    assert "Act as enacted" in page and "24-hour takedown duty" in page
    # The interval of fast_takedown on harm spans zero: it must not be called an effect.
    assert "no difference distinguishable from zero at this number of replicates" in page
    assert "Rerunning the same sweep command" in page


def test_cli_summary_and_exit_codes(sweep, tmp_path, capsys):
    root, _, printed = sweep
    assert "9 complete runs (of 11 expected), 1 missing, 1 failed" in printed
    assert "failed: scenario=no_regulation,seed=2: ValueError" in printed
    assert f"report: {(root / 'report' / 'report.html').resolve()}" in printed
    assert main([str(tmp_path / "does-not-exist")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_no_complete_run_is_an_error(tmp_path, run_folders, capsys):
    run_folders.failed(tmp_path, "baseline", 0)
    run_folders.interrupted(tmp_path, "baseline", 1)
    assert main([str(tmp_path)]) == 1
    assert "no complete run" in capsys.readouterr().err


def test_missing_baseline_skips_effects(tmp_path, run_folders, capsys):
    """Effects need the baseline; --out writes elsewhere."""
    for scen in ("higher_fines", "fast_takedown"):
        for seed in (0, 1):
            run_folders.complete(tmp_path, scen, seed, platforms=("mega",))
    out = tmp_path / "elsewhere"
    assert main([str(tmp_path), "--out", str(out)]) == 0
    assert "No scenario named 'baseline'" in capsys.readouterr().out
    assert (out / "runs.parquet").is_file() and not (out / "effects.csv").exists()
    assert "No scenario named" in (out / "report.html").read_text()


def test_two_parameter_grid_draws_heatmaps(tmp_path, run_folders):
    """A 2 x 2 grid of levers (one scenario) gives annotated heatmaps of the cell means."""
    for cap in (1.0, 2.0):
        for capacity in (1.0, 4.0):
            for seed in (0, 1):
                params = {
                    "scenario.fine_cap_multiplier": cap,
                    "scenario.regulator_capacity_multiplier": capacity,
                }
                run_folders.complete(tmp_path, "baseline", seed, params)
    res = build(tmp_path)
    figs = tmp_path / "report" / "figures"
    assert (figs / "heatmap_harmful_views_per_10k.png").is_file()
    assert (figs / "heatmap_wrongful_removals.png").is_file()
    assert res.sweep.swept == [
        "scenario.fine_cap_multiplier",
        "scenario.regulator_capacity_multiplier",
    ]
    t = pd.read_csv(tmp_path / "report" / "scenarios.csv")
    assert len(t[t.indicator == "harmful_views_per_10k"]) == 4  # one row per cell
    assert (t["n"] == 2).all()


def test_one_parameter_sweep_draws_a_line(tmp_path, run_folders):
    for hours in (0.0, 24.0, 48.0):
        for seed in (0, 1):
            run_folders.complete(
                tmp_path, "baseline", seed, {"scenario.takedown_duty_hours": hours}
            )
    build(tmp_path)
    assert (tmp_path / "report" / "figures" / "sweep_takedown_duty_hours.png").is_file()


def test_collect_classifies_folders(tmp_path, run_folders):
    """Interrupted runs count as missing; duplicates and non-model keys do not split arms."""
    from sim.report import collect

    run_folders.complete(tmp_path, "baseline", 0, {"output.progress": True})
    run_folders.complete(tmp_path, "baseline", 1, {"output.progress": False})
    run_folders.complete(tmp_path, "baseline", 1, run_dir="again/seed=1")  # nested, repeated
    run_folders.interrupted(tmp_path, "baseline", 2)
    run_folders.failed(tmp_path, "baseline", 3, message="boom")
    sweep = collect(tmp_path)
    assert sweep.swept == [] and "output.progress" not in sweep.runs.columns
    assert sorted(sweep.runs["seed"]) == [0, 1]
    assert sweep.duplicates == ["again/seed=1"]  # of two identical runs, the last by name stays
    assert [m["state"] for m in sweep.missing] == ["started, not finished"]
    assert [f["message"] for f in sweep.failed] == ["boom"]


# --- on real model output (slow: runs the simulator; `pytest -m slow`) ----------------------

TINY = ["population.n_users=400", "days=60", "policy_start_day=30"]


@pytest.mark.slow
def test_report_on_a_real_sweep(tmp_path):
    """The model's own run folders satisfy the report's format (docs/outputs.md)."""
    from tests.helpers import run_cli

    root = tmp_path / "s"
    res = run_cli(
        "-m", *TINY, "scenario=baseline,fast_takedown", "seed=0,1", f"hydra.sweep.dir={root}"
    )
    assert res.returncode == 0, res.stderr
    result = build(root)
    assert len(result.sweep.runs) == 4 and not result.sweep.missing
    eff = pd.read_csv(root / "report" / "effects.csv")
    assert set(eff["pairs"]) == {2}
    for name in ("prevalence", "victims", "effort", "fines", "effects", "tradeoff"):
        assert (root / "report" / "figures" / f"{name}.png").is_file(), name


@pytest.mark.slow
def test_effects_identical_with_one_or_two_workers(tmp_path):
    """The same sweep run with one or two joblib workers gives identical effects."""
    from tests.helpers import run_cli

    out = {}
    for jobs in (1, 2):
        root = tmp_path / f"w{jobs}"
        res = run_cli(
            "-m",
            *TINY,
            "scenario=baseline,higher_fines",
            "seed=0,1",
            f"hydra.launcher.n_jobs={jobs}",
            f"hydra.sweep.dir={root}",
        )
        assert res.returncode == 0, res.stderr
        build(root)
        out[jobs] = pd.read_csv(root / "report" / "effects.csv")
    pd.testing.assert_frame_equal(out[1], out[2])
