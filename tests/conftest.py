"""Shared fixtures: a writer of synthetic run folders in the format of docs/outputs.md.

Report and aggregation tests use it to build sweeps in ``tmp_path`` without running the
model, so they stay fast and their expected numbers can be computed by hand.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

SUMMARY_KEYS = [
    "harmful_views_per_10k",
    "harmful_views",
    "total_views",
    "harmful_items_created",
    "harmful_items_removed",
    "median_takedown_hours",
    "proactive_detection_share",
    "victims_women",
    "victims_men",
    "victims_other",
    "victims_children",
    "wrongful_removals",
    "self_censoring_users",
    "users_left_platform",
    "moderation_spend_gbp",
    "fines_imposed_gbp",
    "fines_paid_gbp",
    "fines_count",
    "max_fine_to_cap_ratio",
    "investigations_opened",
    "business_disruption_orders",
    "regulator_cost_gbp",
    "police_reports",
    "charges",
    "convictions",
    "deepfakes_created",
    "fringe_abuse_share",
    "platform_exits",
]
MODEL_COLUMNS = [
    "total_views",
    "harmful_views",
    "harmful_views_per_10k",
    "harmful_items_created",
    "harassment_items_created",
    "deepfake_items_shared",
    "deepfakes_created",
    "harmful_items_removed",
    "harmful_items_removed_proactive",
    "live_harmful_items",
    "victims_new_women",
    "victims_new_men",
    "victims_new_other",
    "victims_new_children",
    "wrongful_removals",
    "self_censoring_users",
    "users_left_any_platform",
    "abusers_offending_share",
    "perceived_certainty_mean",
    "fines_imposed_gbp",
    "open_investigations",
    "regulator_cost_gbp",
    "police_reports",
    "charges",
    "convictions",
]
PLATFORM_METRICS = [
    "effort",
    "recall",
    "false_positive_rate",
    "review_capacity_per_day",
    "members",
    "harmful_views",
    "harmful_items_created",
    "moderation_spend_gbp",
    "revenue_gbp",
    "fines_gbp",
    "exited",
]
PLATFORM_LABELS = {
    "mega": "Very large ad-funded platform",
    "midsize": "Mid-size platform",
    "fringe": "Small, lightly moderated fringe site",
}


def _rng(*parts: Any) -> np.random.Generator:
    """A generator fixed by the parts (stable across processes, unlike hash())."""
    return np.random.default_rng(zlib.crc32(repr(parts).encode()))


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"a.b": 1} -> {"a": {"b": 1}}."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


class RunFolderWriter:
    """Writes run folders (complete, failed, interrupted) and a sweep's expected-run list.

    Values not given are drawn from a generator seeded by scenario, seed and parameters, so
    the same call always writes the same folder.
    """

    def complete(
        self,
        sweep_dir: Path,
        scenario: str = "baseline",
        seed: int = 0,
        params: Mapping[str, Any] | None = None,
        summary: Mapping[str, float] | None = None,
        *,
        run_dir: str | None = None,
        description: str | None = None,
        days: int = 60,
        policy_start_day: int = 30,
        platforms: Iterable[str] = ("mega", "fringe"),
        wall_seconds: float = 1.5,
    ) -> Path:
        """A complete run: config.yaml, .hydra/, metadata.json, parquet files, summary.json.

        Args:
            params: extra config keys, dotted (``{"scenario.fine_cap_multiplier": 2.0}``).
            summary: indicator values that override the generated ones.
        """
        params = dict(params or {})
        d = self._folder(sweep_dir, scenario, seed, params, run_dir)
        platforms = list(platforms)
        rng = _rng(scenario, seed, sorted(params.items()))
        cfg = {
            "seed": seed,
            "root_seed": 12345,
            "days": days,
            "policy_start_day": policy_start_day,
            "scenario.name": scenario,
            "scenario.description": description or f"Synthetic scenario {scenario}.",
            "scenario.counterfactual": scenario not in ("baseline",),
            **{f"platforms.{p}.label": PLATFORM_LABELS.get(p, p) for p in platforms},
            **params,
        }
        (d / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(_nest(cfg))))
        self._timeseries(rng, days, platforms).to_parquet(d / "timeseries.parquet", index=False)
        self._events(policy_start_day, platforms).to_parquet(d / "events.parquet", index=False)
        overrides = self._overrides(scenario, seed, params)
        meta = {
            "run_id": d.name,
            "seed": seed,
            "root_seed": 12345,
            "scenario": scenario,
            "git_commit": "0123456789abcdef",
            "git_dirty": False,
            "wall_seconds": wall_seconds,
            "overrides": overrides,
            "status": "complete",
        }
        (d / "metadata.json").write_text(json.dumps(meta))
        values = {k: float(rng.uniform(1, 100)) for k in SUMMARY_KEYS}
        values.update(summary or {})
        (d / "summary.json").write_text(json.dumps(values))
        return d

    def failed(
        self,
        sweep_dir: Path,
        scenario: str = "baseline",
        seed: int = 0,
        params: Mapping[str, Any] | None = None,
        *,
        run_dir: str | None = None,
        error_type: str = "RuntimeError",
        message: str = "synthetic failure",
    ) -> Path:
        """A failed run: .hydra/ and error.json, no summary.json."""
        params = dict(params or {})
        d = self._folder(sweep_dir, scenario, seed, params, run_dir)
        err = {
            "error_type": error_type,
            "message": message,
            "traceback": f"Traceback (most recent call last):\n{error_type}: {message}\n",
            "overrides": self._overrides(scenario, seed, params),
        }
        (d / "error.json").write_text(json.dumps(err))
        return d

    def interrupted(
        self, sweep_dir: Path, scenario: str = "baseline", seed: int = 0, **kw: Any
    ) -> Path:
        """A run that started and stopped: everything but summary.json."""
        d = self.complete(sweep_dir, scenario, seed, **kw)
        (d / "summary.json").unlink()
        return d

    def expected_runs(self, sweep_dir: Path, runs: Iterable[Mapping[str, Any]]) -> list[dict]:
        """Write ``expected_runs.json`` from dicts of ``scenario``, ``seed`` and ``params``."""
        entries = []
        for r in runs:
            params = dict(r.get("params", {}))
            overrides = self._overrides(r.get("scenario", "baseline"), r.get("seed", 0), params)
            entries.append({"run_dir": ",".join(sorted(overrides)), "overrides": overrides})
        sweep_dir.mkdir(parents=True, exist_ok=True)
        (sweep_dir / "expected_runs.json").write_text(json.dumps(entries, indent=1))
        return entries

    @staticmethod
    def _overrides(scenario: str, seed: int, params: Mapping[str, Any]) -> list[str]:
        return [f"scenario={scenario}", f"seed={seed}", *(f"{k}={v}" for k, v in params.items())]

    def _folder(
        self,
        sweep_dir: Path,
        scenario: str,
        seed: int,
        params: Mapping[str, Any],
        run_dir: str | None,
    ) -> Path:
        """The folder, named like Hydra's override_dirname (sorted key=value, comma-joined)."""
        overrides = self._overrides(scenario, seed, params)
        d = Path(sweep_dir) / (run_dir or ",".join(sorted(overrides)))
        (d / ".hydra").mkdir(parents=True, exist_ok=True)
        (d / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
        return d

    @staticmethod
    def _timeseries(rng: np.random.Generator, days: int, platforms: list[str]) -> pd.DataFrame:
        cols: dict[str, Any] = {"day": np.arange(days, dtype=np.int64)}
        for c in MODEL_COLUMNS:
            cols[c] = rng.poisson(20, days).astype(float)
        cols["total_views"] = rng.uniform(9e4, 1.1e5, days)
        cols["harmful_views_per_10k"] = rng.uniform(3, 6, days)
        cols["fines_imposed_gbp"] = np.where(rng.uniform(size=days) < 0.05, 2.5e6, 0.0)
        for p in platforms:
            for m in PLATFORM_METRICS:
                cols[f"{m}__{p}"] = rng.uniform(0, 1, days)
            cols[f"exited__{p}"] = np.zeros(days)
        return pd.DataFrame(cols)

    @staticmethod
    def _events(start: int, platforms: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "day": [start + 5, start + 20],
                "kind": ["investigation_opened", "fine"],
                "platform": [platforms[0], platforms[0]],
                "offence": ["", ""],
                "amount_gbp": [0.0, 2.5e6],
                "cap_gbp": [0.0, 1.8e7],
                "detail": ["", "synthetic"],
            }
        )


@pytest.fixture(scope="session")
def run_folders() -> RunFolderWriter:
    """Factory of synthetic run folders: ``run_folders.complete(sweep_dir, "baseline", 0)``."""
    return RunFolderWriter()
