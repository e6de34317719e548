"""Hostile and mistaken inputs fail early, say what is wrong, and never run code.

A table of wrong inputs, each given as command-line overrides. Most are checked through
the Python API (``validate(compose_config([...]))``, fast, no simulation); edge-list
files are read when the model is built, still before day 0; a few go through the CLI to
check the exit status and that no run folder looks complete (no ``summary.json``).

Every message must name the key, the value and what is allowed (the three ``needles``
of each case, searched in the error and its causes, as the CLI prints them). Inputs
that are not caught early, or whose message misses one of the three, are marked
``xfail(strict=True)`` with the reason: fixing them turns the mark into a failure, so
the mark is removed with the fix.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sim.config import validate
from sim.defaults import compose_config
from sim.model import HarmModel
from tests.helpers import run_cli


@dataclass(frozen=True)
class Wrong:
    """One wrong input: overrides, text the message must contain, when it must fail."""

    overrides: tuple[str, ...]
    needles: tuple[str, ...]
    # "config": refused by compose_config/validate; "model": when the model is built
    # (edge lists are read then), before any simulated day.
    stage: str = "config"


def case(
    name: str,
    overrides: tuple[str, ...] | str,
    needles: tuple[str, ...],
    stage: str = "config",
    xfail: str | None = None,
) -> Any:
    """A table row (``pytest.param``), strictly expected to fail when ``xfail`` is given."""
    ov = (overrides,) if isinstance(overrides, str) else overrides
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(Wrong(ov, needles, stage), id=name, marks=marks)


CASES = [
    # --- wrong types -------------------------------------------------------------------
    case("int-as-word", "population.n_users=lots", ("population.n_users", "lots", "Integer")),
    case("int-as-float", "population.n_users=2.5", ("population.n_users", "2.5", "Integer")),
    case("int-as-exponent", "population.n_users=1e4", ("population.n_users", "10000.0", "Integer")),
    case("days-as-word", "days=ten", ("days", "ten", "Integer")),
    case("seed-as-float", "seed=1.5", ("seed", "1.5", "Integer")),
    case(
        "float-as-list", "platforms.mega.reach=[1,2]", ("platforms.mega.reach", "[1, 2]", "Float")
    ),
    case("bool-as-word", "scenario.regulation=maybe", ("scenario.regulation", "maybe", "bool")),
    case(
        "float-as-bool",
        "platforms.mega.initial_effort=True",
        ("platforms.mega.initial_effort", "True", "Float"),
    ),
    # --- out of range ------------------------------------------------------------------
    case(
        "share-above-one",
        "population.share_women=1.2",
        ("population.share_women=1.2", "not allowed", "must be in [0, 1]"),
    ),
    case("negative-share", "abusers.share=-0.1", ("abusers.share=-0.1", "not allowed", "[0, 0.5]")),
    case(
        "open-lower-bound",
        "content.view_prob=0",
        ("content.view_prob=0.0", "not allowed", "must be in (0, 1]"),
    ),
    case("negative-days", "days=-5", ("days=-5", "not allowed", "must be in [1, 36500]")),
    case(
        "policy-start-after-end",
        ("days=100", "policy_start_day=101"),
        ("policy_start_day=101", "not allowed", "days=100"),
    ),
    case(
        "policy-start-below-sentinel",
        "policy_start_day=-2",
        ("policy_start_day=-2", "not allowed", "[-1, 36500]"),
    ),
    case("negative-seed", "seed=-1", ("seed=-1", "not allowed", "[0, 2147483647]")),
    case(
        "negative-deadline",
        "scenario.takedown_duty_hours=-24",
        ("scenario.takedown_duty_hours=-24.0", "not allowed", "[0.01, 8760] hours, or exactly 0"),
    ),
    case(
        # Accepted before: a near-zero deadline overflowed the cost of meeting it.
        "deadline-below-floor",
        "scenario.takedown_duty_hours=1e-300",
        ("scenario.takedown_duty_hours=1e-300", "not allowed", "[0.01, 8760] hours, or exactly 0"),
    ),
    case(
        "negative-cache-bound",
        "network_cache_max_gb=-1",
        ("network_cache_max_gb=-1.0", "not allowed", "[0, 100000] GB (1e9 bytes; 0 = no bound)"),
    ),
    case(
        "abuser-reach-above-one",
        "platforms.fringe.abuser_reach=1.5",
        ("platforms.fringe.abuser_reach=1.5", "not allowed", "[0, 1]"),
    ),
    # --- NaN and infinity --------------------------------------------------------------
    case(
        "nan-float",
        "scenario.fine_cap_multiplier=nan",
        ("scenario.fine_cap_multiplier=nan", "not allowed", "finite number"),
    ),
    case(
        "minus-inf-float",
        "regulator.fine_severity=-inf",
        ("regulator.fine_severity=-inf", "not allowed", "finite number"),
    ),
    case("nan-int", "days=nan", ("days", "nan", "Integer")),
    # --- unknown keys and groups -------------------------------------------------------
    case(
        "unknown-key-appended",
        "+population.colour=blue",
        ("population.colour='blue'", "unknown key", "n_users"),
    ),
    case(
        "misspelt-key",
        "population.n_usres=5",
        ("population.n_usres=5", "unknown key", "closest match: population.n_users"),
    ),
    case("unknown-group-option", "network=hypercube", ("network", "hypercube", "scale_free")),
    case("unknown-scenario", "scenario=martial_law", ("scenario", "martial_law", "baseline")),
    case("unknown-platforms-file", "platforms=nope", ("platforms", "nope", "uk_market")),
    case("unknown-experiment", "+experiment=nope", ("experiment", "nope", "compare_scenarios")),
    case(
        "misspelt-group",
        "scenaro=baseline",
        ("scenaro='baseline'", "unknown key", "closest match: scenario"),
    ),
    case(
        "misspelt-section",
        "populaton.n_users=5",
        ("populaton.n_users=5", "unknown key populaton", "closest match: population"),
    ),
    case(
        "misspelt-platform",
        "platforms.mgea.reach=0.5",
        ("platforms.mgea.reach=0.5", "unknown platform 'mgea'", "closest match: platforms.mega"),
    ),
    case(
        "unknown-platform",
        "+platforms.newsite.reach=0.5",
        ("platforms.newsite.reach=0.5", "configs/platforms/*.yaml", "mega"),
    ),
    case(
        "unknown-choice",
        "network.kind=torus",
        ("network.kind='torus'", "not allowed", "choose one of scale_free"),
    ),
    # --- behaviours: only registered names, never import paths or _target_ -----------
    case(
        "strategy-outside-allowlist",
        "platforms.mega.strategy=greedy",
        ("platforms.mega.strategy='greedy'", "not allowed", "expected_utility"),
    ),
    case(
        "strategy-as-import-path",
        "platforms.mega.strategy=sim.behaviours.platform.ExpectedUtility",
        (
            "platforms.mega.strategy='sim.behaviours.platform.ExpectedUtility'",
            "not allowed",
            "fixed_effort",
        ),
    ),
    case(
        "rule-as-builtin",
        "justice.rule=builtins.exec",
        ("justice.rule='builtins.exec'", "not allowed", "funnel"),
    ),
    case(
        "target-on-platform",
        "+platforms.mega._target_=os.system",
        ("platforms.mega._target_='os.system'", "unknown key", "strategy"),
    ),
    case(
        "target-at-top",
        "+_target_=builtins.exec",
        ("_target_='builtins.exec'", "unknown key", "scenario"),
    ),
    case(
        "target-in-strategy-params",
        "+platforms.mega.strategy_params._target_=os.system",
        ("platforms.mega.strategy_params._target_", "os.system", "Float"),
    ),
    case(
        "unknown-rule-param",
        "+abusers.rule_params.gain_multiplier=3",
        ("abusers.rule_params", "gain_multiplier", "sanction_weight"),
    ),
    case(
        "strategy-param-out-of-range",
        "+platforms.mega.strategy_params.adjustment=0",
        ("platforms.mega.strategy_params.adjustment=0.0", "not allowed", "(0, 1]"),
    ),
    case(
        "misspelt-strategy-param",
        "+platforms.mega.strategy_params.adjustmnt=0.3",
        (
            "platforms.mega.strategy_params.adjustmnt=0.3",
            "unknown parameter",
            "closest match: platforms.mega.strategy_params.adjustment",
        ),
    ),
    case(
        "param-for-a-strategy-without-parameters",
        "+platforms.fringe.strategy_params.speed=0.5",
        ("platforms.fringe.strategy_params.speed=0.5", "unknown parameter", "takes no parameters"),
    ),
    case(
        "rule-param-nan",
        "+abusers.rule_params.sanction_weight=nan",
        ("abusers.rule_params.sanction_weight=nan", "not allowed", "finite number"),
    ),
    case(
        "targeting-param-out-of-range",
        "+regulator.targeting_params.min_score_share=2",
        ("regulator.targeting_params.min_score_share=2.0", "not allowed", "[0, 1]"),
    ),
    # --- cross-field rules -------------------------------------------------------------
    case(
        "degree-not-below-users",
        "network.mean_degree=10000",
        ("network.mean_degree=10000.0", "not allowed", "< population.n_users=10000"),
    ),
    case(
        "two-fringe-platforms",
        "platforms.mega.fringe=true",
        (
            "platforms.mega.fringe=true and platforms.fringe.fringe=true",
            "not allowed",
            "at most one",
        ),
    ),
    case(
        "gender-shares-above-one",
        ("population.share_women=0.9", "population.share_other_gender=0.5"),
        ("population.share_women=0.9 + population.share_other_gender=0.5", "not allowed", "<= 1"),
    ),
    case(
        "abuser-reach-between-sentinel-and-zero",
        "platforms.mega.abuser_reach=-0.5",
        (
            "platforms.mega.abuser_reach=-0.5",
            "not allowed",
            "[0, 1] share of abusers, or exactly -1",
        ),
    ),
    # --- absurd sizes ------------------------------------------------------------------
    case(
        "graph-too-big-for-memory",
        ("population.n_users=5000000", "network.mean_degree=400"),
        ("population.n_users=5000000", "network.mean_degree=400.0", "16 GB"),
    ),
    case(
        "item-table-too-big-for-memory",
        ("population.n_users=20000000", "days=36500"),
        (
            "population.n_users=20000000",
            "days=36500",
            "harmful-item table ~",
            "maximum is 16 GB",
        ),
    ),
    case(
        "supercritical-spread",
        ("content.reshare_prob_per_view=1", "content.view_prob=1"),
        ("content.reshare_prob_per_view", "content.view_prob", "branching number", "< 1"),
    ),
    # --- edge lists (read when the model is built, before any simulated day) ----------
    case(
        "edge-list-without-path",
        "network=edge_list",
        ("network.path=''", "not allowed", "needs a file path"),
    ),
    case(
        "edge-list-is-a-directory",
        ("network=edge_list", "network.path={dir}"),
        ("network.path=", "not allowed", "does not exist"),
    ),
    case(
        "edge-list-missing-file",
        ("network=edge_list", "network.path={dir}/missing.txt"),
        ("network.path=", "missing.txt' is not allowed", "does not exist"),
    ),
    case(
        "edge-list-malformed",
        ("network=edge_list", "network.path={malformed}", "population.n_users=100"),
        ("network.path=", "line 2 is malformed ('foo bar')", "two integer user ids"),
        stage="model",
    ),
    case(
        "edge-list-empty",
        ("network=edge_list", "network.path={empty}", "population.n_users=100"),
        ("network.path=", "has no edges", "'u v' lines"),
        stage="model",
    ),
    case(
        "edge-list-only-self-loops",
        ("network=edge_list", "network.path={loops}", "population.n_users=100"),
        ("network.path=", "no edges after removing self-loops", "'u u'"),
        stage="model",
    ),
    case(
        "edge-list-id-out-of-range",
        ("network=edge_list", "network.path={out_of_range}", "population.n_users=100"),
        ("network.path=", "('1 99999')", "outside 0..99"),
        stage="model",
    ),
]


@pytest.fixture(scope="module")
def edge_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Edge-list files that are wrong in one way each."""
    d = tmp_path_factory.mktemp("edges")
    files = {
        "malformed": "0 1\nfoo bar\n",
        "empty": "",
        "loops": "0 0\n1 1\n2 2\n",
        "out_of_range": "0 1\n1 99999\n",
    }
    paths = {}
    for name, text in files.items():
        (d / f"{name}.txt").write_text(text)
        paths[name] = str(d / f"{name}.txt")
    paths["dir"] = str(d)
    return paths


def _message(err: BaseException) -> str:
    """The error and its causes, as the CLI shows them (Hydra prints the cause too)."""
    parts = []
    e: BaseException | None = err
    while e is not None:
        parts.append(str(e))
        e = e.__cause__ or e.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("wrong", CASES)
def test_wrong_input_fails_early_naming_key_value_and_allowed(
    wrong: Wrong, edge_files: dict[str, str]
) -> None:
    """Refused before any simulated day, with the key, the value and what is allowed."""
    overrides = [o.format(**edge_files) for o in wrong.overrides]
    model = None
    t0 = time.perf_counter()
    with pytest.raises(Exception) as err:
        cfg = validate(compose_config(overrides))
        if wrong.stage == "model":
            model = HarmModel(cfg)
    # Early: nothing was simulated, and refusing took no large allocation.
    assert model is None
    assert time.perf_counter() - t0 < 30
    assert not isinstance(err.value, (MemoryError, AssertionError))
    text = _message(err.value)
    missing = [n for n in wrong.needles if n not in text]
    assert missing == [], f"message lacks {missing}: {text!r}"


# --- config values never import or run code ---------------------------------------------

PROBE = "ohsim_probe_module"


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An importable module whose import writes a marker file (it must never be imported)."""
    marker = tmp_path / "imported.marker"
    (tmp_path / f"{PROBE}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\n"
        "class Evil:\n    def __init__(self, *a, **k):\n"
        f"        Path({str(marker)!r}).write_text('instantiated')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, PROBE, raising=False)
    return marker


@pytest.mark.parametrize(
    "override",
    [
        f"platforms.mega.strategy={PROBE}.Evil",
        f"platforms.fringe.strategy={PROBE}:Evil",
        f"regulator.targeting={PROBE}.Evil",
        f"abusers.rule={PROBE}.Evil",
        f"justice.rule={PROBE}.Evil",
        f"+platforms.mega._target_={PROBE}.Evil",
        f"+regulator._target_={PROBE}.Evil",
        f"+_target_={PROBE}.Evil",
        f"+platforms.mega.strategy_params._target_={PROBE}.Evil",
    ],
)
def test_config_values_never_import_code(override: str, probe: Path) -> None:
    """Import paths and ``_target_`` values are refused without importing the module."""
    with pytest.raises(Exception) as err:
        validate(compose_config([override]))
    assert PROBE in _message(err.value)
    assert not probe.exists(), "the module named in a config value was imported"
    assert PROBE not in sys.modules


# --- a few through the command line -----------------------------------------------------

SMALL = ("population.n_users=300", "days=20", "policy_start_day=10")


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        (("days=nan",), ("days=nan", "could not be converted to Integer")),
        (("days=10", "policy_start_day=11"), ("policy_start_day=11", "not allowed", "days=10")),
        (
            ("population.n_users=5000000", "network.mean_degree=400"),
            ("population.n_users=5000000", "16 GB"),
        ),
        (
            ("network=edge_list", "network.path={malformed}", "population.n_users=100"),
            ("line 2 is malformed", "two integer user ids"),
        ),
        (
            ("population.n_usres=5",),
            ("population.n_usres=5", "unknown key", "closest match: population.n_users"),
        ),
        (
            ("+platforms.newsite.reach=0.5",),
            ("platforms.newsite.reach=0.5", "configs/platforms/*.yaml", "mega"),
        ),
    ],
    ids=[
        "nan-int",
        "policy-start-after-end",
        "absurd-size",
        "malformed-edge-list",
        "misspelt-key",
        "unknown-platform",
    ],
)
def test_cli_refuses_wrong_input_and_leaves_nothing_complete(
    tmp_path: Path, edge_files: dict[str, str], overrides: tuple[str, ...], needles: tuple[str, ...]
) -> None:
    """`python -m sim.run` exits non-zero, names the problem, writes no summary.json."""
    out = tmp_path / "run"
    args = [*SMALL, *(o.format(**edge_files) for o in overrides), f"hydra.run.dir={out}"]
    res = run_cli(*args, timeout=120)
    assert res.returncode != 0
    text = res.stdout + res.stderr
    for needle in needles:
        assert needle in text, text
    assert "Traceback" not in text, text  # the message, not a stack trace
    assert not (out / "summary.json").exists()
    assert not (out / "timeseries.parquet").exists()


def test_cli_never_imports_a_strategy_named_by_path(
    tmp_path: Path, probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import path given as a strategy on the command line is refused, not imported."""
    out = tmp_path / "run"
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(filter(None, [str(probe.parent), os.environ.get("PYTHONPATH")])),
    )
    res = run_cli(*SMALL, f"platforms.mega.strategy={PROBE}.Evil", f"hydra.run.dir={out}")
    assert res.returncode != 0
    assert f"platforms.mega.strategy='{PROBE}.Evil' is not allowed" in res.stderr
    assert not probe.exists()
    assert not (out / "summary.json").exists()


def _search_path(tmp_path: Path, files: dict[str, str]) -> str:
    """A config search path holding extra group files (``group/name.yaml``: text)."""
    for rel, text in files.items():
        (tmp_path / "sp" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "sp" / rel).write_text(text)
    return f"hydra.searchpath=[file://{tmp_path / 'sp'}]"


@pytest.mark.parametrize(
    "extra",
    [
        ("-m", "population.n_usres=5,6", "seed=0,1"),
        ("-m", "platforms=uk_market,copycat_midsize", "platforms.mgea.reach=0.1,0.2"),
        ("+experiment={typo}",),
    ],
    ids=["misspelt-key", "misspelt-platform", "misspelt-key-in-experiment-file"],
)
def test_cli_sweep_with_unknown_key_fails_before_any_folder(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    """A sweep (or an experiment file's sweep parameters) with a typo stops before any job.

    The keys are checked once, before Hydra expands the sweep: the message names the key,
    the values and the closest known key, and no sweep or run folder is created.
    """
    searchpath = _search_path(
        tmp_path,
        {
            "experiment/typo.yaml": "# @package _global_\nhydra:\n  mode: MULTIRUN\n"
            "  sweeper:\n    params:\n      scenario.fine_cap_multipler: 0.5,1\n"
        },
    )
    sweep = tmp_path / "sweep"
    flags = [a for a in extra if a == "-m"]  # options before overrides, as argparse wants
    rest = [a.format(typo="typo") for a in extra if a != "-m"]
    args = [*flags, *SMALL, searchpath, *rest]
    res = run_cli(*args, f"hydra.sweep.dir={sweep}", f"hydra.run.dir={tmp_path / 'run'}")
    assert res.returncode != 0
    assert "is not allowed: unknown" in res.stderr, res.stderr
    assert "closest match: " in res.stderr
    assert not sweep.exists() and not (tmp_path / "run").exists()


def test_target_in_a_group_file_is_refused_without_import(tmp_path: Path, probe: Path) -> None:
    """A ``_target_`` written into a group file is an unknown key, never an import."""
    searchpath = _search_path(
        tmp_path, {"scenario/evil.yaml": f"name: evil\n_target_: {PROBE}.Evil\n"}
    )
    with pytest.raises(Exception) as err:
        validate(compose_config([searchpath, "scenario=evil"]))
    assert "scenario._target_" in _message(err.value)
    assert not probe.exists()
    assert PROBE not in sys.modules


@pytest.mark.parametrize(
    "overrides",
    [
        ["scenario=government_package", "population.n_users=2000", "seed=3"],
        ["platforms=copycat_midsize", "platforms.midsize.strategy_params.speed=0.3"],
        ["+platforms.mega.strategy_params.adjustment=0.2", "platforms.fringe.abuser_reach=-1"],
        ["+experiment=fines_by_capacity", "hydra/launcher=basic", "hydra.launcher.n_jobs=2"],
        ["-m", "scenario=baseline,fast_takedown", "seed=range(0,3)", "network=small_world"],
        # A group from another config directory (how sim.calibrate's output is used).
        ["--config-dir", "results/calibration/x", "+calibrated=x", "--cfg", "job"],
    ],
)
def test_command_line_check_accepts_valid_overrides(overrides: list[str]) -> None:
    """The schema check before Hydra refuses nothing Hydra and validate() would accept."""
    from sim.run import check_command_line

    check_command_line(overrides)
    if not any(o.startswith(("-", "+experiment", "hydra")) for o in overrides):
        validate(compose_config(overrides))
