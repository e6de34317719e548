"""Sensitivity analysis: design, seeds, chunked evaluation, resume, launchers, analysis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from sim import sensitivity as sa
from sim.config import ConfigError
from sim.defaults import compose_config

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs"
TINY = '["population.n_users=300","days=40","policy_start_day=20"]'
TINY_LIST = ["population.n_users=300", "days=40", "policy_start_day=20"]
# Ishigami a=7, b=0.1 (Saltelli et al. 2008)
ANALYTIC = {"S1": [0.3139, 0.4424, 0.0], "ST": [0.5576, 0.4424, 0.2437]}


def app_config(*overrides: str) -> OmegaConf:
    """The sensitivity app's composed configuration (no Hydra run)."""
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name="sensitivity", overrides=list(overrides))


def run_app(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m sim.sensitivity`` in a subprocess from the repository root."""
    env = dict(os.environ)
    env.setdefault("OHSIM_CACHE", str(REPO / ".cache"))
    return subprocess.run(
        [sys.executable, "-m", "sim.sensitivity", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_row_seed_is_seedsequence_spawn_of_the_root() -> None:
    """Row i's seed is SeedSequence(root, spawn_key=(i,)): independent of any launcher."""
    root = 20231026
    expected = np.random.SeedSequence(root, spawn_key=(5,)).generate_state(1, np.uint64)[0]
    assert sa.row_seed(root, 5) == int(expected >> np.uint64(1))
    seeds = {sa.row_seed(root, r) for r in range(200)}
    assert len(seeds) == 200 and max(seeds) < 2**63


def test_row_overrides_equal_composing_the_same_override_strings() -> None:
    """The fast per-row path gives the configuration compose_config builds from the strings."""
    cfg = app_config(f"sim_overrides={TINY}")
    base = sa.base_config(cfg)
    spec = sa.build_spec(cfg, base)
    values = {f.name: (f.low + f.high) / 2 for f in spec.factors}
    given = sa.row_overrides(spec, base, values)
    seeds = sa.seed_values(spec, 3, 0, sa.row_seed(spec.root_seed, 3))
    fast = sa.apply_values(base, {**given, **seeds})
    slow = compose_config(TINY_LIST + sa.override_strings({**given, **seeds}))
    assert fast == slow
    # `platforms.*` reached every platform, scaled from its own configured value.
    assert {k for k in given if k.endswith("detection_skill")} == {
        f"platforms.{p}.detection_skill" for p in base.platforms
    }
    mega = base.platforms["mega"].detection_skill
    assert fast.platforms["mega"].detection_skill == pytest.approx(mega * values["detection"])


def test_spec_checks_ranges_and_design_size() -> None:
    """A range outside what the model allows fails early; design sizes follow the formulas."""
    spec = sa.build_spec(app_config(f"sim_overrides={TINY}", "morris.trajectories=3"))
    d = len(spec.factors)
    assert d >= 9 and spec.factors[-1].name == sa.DUMMY
    assert spec.n_rows() == 3 * (d + 1) == len(sa.make_design(spec))
    with pytest.raises(ConfigError, match=r"scenario.fine_cap_multiplier=500.0"):
        sa.build_spec(
            app_config(f"sim_overrides={TINY}", "sensitivity.parameters.fine_cap.high=500")
        )
    sob = sa.build_spec(app_config("sensitivity=ishigami", "method=sobol", "sobol.n=64"))
    assert len(sa.make_design(sob)) == 64 * (3 + 2)
    sob2 = sa.build_spec(
        app_config(
            "sensitivity=ishigami", "method=sobol", "sobol.n=64", "sobol.calc_second_order=true"
        )
    )
    assert sob2.n_rows() == 64 * (2 * 3 + 2)
    with pytest.raises(ValueError, match="power of 2"):
        sa.build_spec(app_config("sensitivity=ishigami", "method=sobol", "sobol.n=100"))


def test_failed_chunk_is_recorded_not_complete(tmp_path: Path) -> None:
    """A chunk that cannot run leaves an error file and no output, so a rerun retries it."""
    out = tmp_path / "sa"
    cfg = app_config("sensitivity=ishigami", "method=morris", f"out_dir={out}")
    spec = sa.build_spec(cfg)
    design = sa.write_design(out, spec)
    bad = sa.n_chunks(len(design), spec.chunk_size) + 3
    cfg_bad = app_config(
        "sensitivity=ishigami", "method=morris", f"out_dir={out}", "stage=evaluate", f"chunk={bad}"
    )
    with pytest.raises(ValueError, match="chunk"):
        sa.run(cfg_bad)
    assert (sa.chunk_file(out, bad).with_suffix(".error.json")).is_file()
    assert not sa.chunk_file(out, bad).is_file()
    assert sa.missing_chunks(out, spec, len(design)) == list(
        range(sa.n_chunks(len(design), spec.chunk_size))
    )


def _morris_result(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = pd.read_csv(out / "indices.csv")
    raw = pd.read_parquet(out / "outputs.parquet").drop(columns=["run_seconds"])
    return idx, raw


def test_morris_joblib_and_submitit_local_give_identical_results(tmp_path: Path) -> None:
    """The same tiny Morris analysis through two launchers: identical design, runs, indices."""
    common = [
        f"sim_overrides={TINY}",
        "morris.trajectories=2",
        "chunk_size=6",
        "analysis.num_resamples=100",
        "plots=false",  # figures are checked on the Ishigami run; here only numbers matter
    ]
    a, b = tmp_path / "joblib", tmp_path / "submitit"
    res = run_app(*common, f"out_dir={a}")
    assert res.returncode == 0, res.stderr[-3000:]
    res = run_app(*common, f"out_dir={b}", "hydra/launcher=submitit_local")
    assert res.returncode == 0, res.stderr[-3000:]
    assert (b / "jobs" / ".submitit").is_dir()  # it really went through submitit
    idx_a, raw_a = _morris_result(a)
    idx_b, raw_b = _morris_result(b)
    pd.testing.assert_frame_equal(idx_a, idx_b)
    pd.testing.assert_frame_equal(raw_a, raw_b)
    assert (a / "design.csv").read_text() == (b / "design.csv").read_text()
    design = pd.read_csv(a / "design.csv")
    assert set(idx_a["indicator"]) == {
        "harmful_views_per_10k",
        "wrongful_removals",
        "victims_women",
        "deepfakes_created",
    }
    assert {"parameter", "indicator", "index", "value", "conf"} <= set(idx_a.columns)
    assert set(idx_a["index"]) == {"mu_star", "mu", "sigma"}
    # Each row ran with its own recorded seed and overrides.
    assert (raw_a["root_seed"].to_numpy() == design["row_seed"].to_numpy()).all()
    assert raw_a["overrides"].str.contains("scenario.fine_cap_multiplier=").all()


def test_ishigami_sobol_matches_analytic_indices_and_resumes(tmp_path: Path) -> None:
    """Sobol on the Ishigami function through the same machinery: analytic values within CI.

    Then the resume rule: a rerun after deleting one chunk evaluates only that chunk and
    reproduces the indices exactly.
    """
    out = tmp_path / "ishigami"
    args = ["sensitivity=ishigami", "method=sobol", "sobol.n=1024", f"out_dir={out}"]
    res = run_app(*args)
    assert res.returncode == 0, res.stderr[-3000:]
    first = pd.read_csv(out / "indices.csv")
    idx = first.set_index(["parameter", "index"])
    for index, truth in ANALYTIC.items():
        for name, value in zip(["x1", "x2", "x3"], truth, strict=True):
            est, conf = idx.loc[(name, index), ["value", "conf"]]
            assert abs(est - value) <= conf, (name, index, est, conf, value)
    assert (out / "plots" / "sobol_y.png").is_file()

    n = json.loads((out / "spec.json").read_text())["n_chunks"]
    sa.chunk_file(out, 2).unlink()
    res = run_app(*args, "plots=false")
    assert res.returncode == 0, res.stderr[-3000:]
    assert f"1 of {n} chunks to run" in res.stdout
    pd.testing.assert_frame_equal(pd.read_csv(out / "indices.csv"), first)


@pytest.mark.slow
@pytest.mark.skipif(
    "n_jobs" in OmegaConf.load(CONFIGS / "config.yaml").get("hydra", {}).get("launcher", {}),
    reason="configs/config.yaml sets hydra.launcher.n_jobs, which the submitit launcher's "
    "schema rejects: remove it (joblib's default is already -1), see docs/sweeps.md",
)
def test_sim_run_sweep_same_through_submitit_local_and_joblib(tmp_path: Path) -> None:
    """A 2-run sim.run sweep gives byte-identical summary.json files under both launchers."""
    from tests.helpers import run_cli

    args = [
        "-m",
        "scenario=baseline,fast_takedown",
        "population.n_users=300",
        "days=40",
        "policy_start_day=20",
    ]
    dirs = {}
    for launcher in ("joblib", "submitit_local"):
        d = tmp_path / launcher
        res = run_cli(*args, f"hydra/launcher={launcher}", f"hydra.sweep.dir={d}")
        assert res.returncode == 0, res.stderr[-3000:]
        dirs[launcher] = d
    summaries = sorted(p.relative_to(dirs["joblib"]) for p in dirs["joblib"].glob("*/summary.json"))
    assert len(summaries) == 2
    for rel in summaries:
        assert (dirs["joblib"] / rel).read_bytes() == (dirs["submitit_local"] / rel).read_bytes()
