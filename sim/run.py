"""Entry point: ``python -m sim.run [overrides]`` runs one simulation (or a sweep with ``-m``).

Examples::

    python -m sim.run scenario=fast_takedown
    python -m sim.run -m scenario=baseline,higher_fines seed='range(0,10)'
    python -m sim.run +experiment=compare_scenarios      # a ready-made sweep

Each job writes its run folder (docs/outputs.md). In a sweep, a job whose folder is
already complete for the same configuration is skipped, and a job that fails records
``error.json`` with its traceback and lets the others finish; the command then exits 1.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.config import ConfigError, SimConfig, register_configs, to_simconfig, validate
from sim.outputs import config_hash, is_complete, now_utc, provenance, write_failure, write_run

register_configs()

HEADLINE = (
    ("harmful_views_per_10k", "Harmful views per 10,000 views", "{:.2f}"),
    ("harmful_items_created", "Harmful items created", "{:,.0f}"),
    ("median_takedown_hours", "Median time to takedown (hours)", "{:.1f}"),
    ("median_report_to_takedown_hours", "Median report to takedown (hours)", "{:.1f}"),
    ("proactive_detection_share", "Share removed proactively", "{:.0%}"),
    ("victims_women", "Victims: women", "{:,.0f}"),
    ("victims_men", "Victims: men", "{:,.0f}"),
    ("victims_children", "Victims: children (13-17)", "{:,.0f}"),
    ("wrongful_removals", "Lawful posts wrongly removed", "{:,.0f}"),
    ("self_censoring_users", "Users self-censoring", "{:,.0f}"),
    ("moderation_spend_gbp", "Moderation spend (GBP m)", "m"),
    ("fines_count", "Fines imposed", "{:,.0f}"),
    ("fines_imposed_gbp", "Fines and penalties (GBP m)", "m"),
    ("max_fine_to_cap_ratio", "Largest fine / statutory cap", "{:.4f}"),
    ("charges", "Criminal charges", "{:,.0f}"),
    ("convictions", "Convictions", "{:,.0f}"),
    ("deepfakes_created", "Sexual deepfakes created", "{:,.0f}"),
    ("fringe_abuse_share", "Share of abuse on the fringe site", "{:.0%}"),
    ("platform_exits", "Platforms that left the UK", "{:,.0f}"),
)


def simulate(cfg: SimConfig, progress: bool = False) -> Any:
    """Build and run one model for ``cfg.days`` days; returns the finished model."""
    from sim.model import HarmModel

    model = HarmModel(cfg)
    if progress:
        from tqdm import tqdm

        for _ in tqdm(
            range(cfg.days), desc=f"{cfg.scenario.name} seed {cfg.seed}", unit="day", leave=False
        ):
            model.run_for(1)
    else:
        model.run_for(cfg.days)
    return model


def summary_table(summary: dict[str, float], title: str) -> str:
    """The one-screen table printed at the end of a run."""
    lines = [title, "-" * len(title)]
    for key, label, fmt in HEADLINE:
        v = summary.get(key, float("nan"))
        text = f"{v / 1e6:,.2f}" if fmt == "m" else fmt.format(v)
        lines.append(f"{label:<38}{text:>16}")
    return "\n".join(lines)


def run_job(cfg: DictConfig) -> dict[str, float] | None:
    """Run the simulation a Hydra job describes and write its folder."""
    from sim.sweeps import JOB_STARTED

    job_t0 = JOB_STARTED[0] if JOB_STARTED else time.perf_counter()
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    overrides = list(hc.overrides.task)
    multirun = hc.mode == RunMode.MULTIRUN
    try:
        sim_cfg = validate(to_simconfig(cfg))
        resolved = OmegaConf.to_container(OmegaConf.structured(sim_cfg), resolve=True)
        chash = config_hash(resolved)
        if multirun and is_complete(out, chash):
            print(f"[skip] {out.name}: already complete", flush=True)
            return json.loads((out / "summary.json").read_text())
        started, t0 = now_utc(), time.perf_counter()
        progress = sim_cfg.output.progress and not multirun and sys.stderr.isatty()
        model = simulate(sim_cfg, progress=progress)
        summary = model.summary()
        meta = {
            "run_id": out.name,
            "seed": sim_cfg.seed,
            "root_seed": sim_cfg.root_seed,
            "scenario": sim_cfg.scenario.name,
            "config_hash": chash,
            "overrides": overrides,
            "hydra_choices": dict(hc.runtime.choices),
            "started_at": started,
            "finished_at": now_utc(),
            "wall_seconds": round(time.perf_counter() - t0, 3),
            # The whole job as the worker saw it: Hydra set-up, validation, model, writing
            # (write_run sets it again once the tables are written).
            "job_seconds": round(time.perf_counter() - job_t0, 3),
            "status": "complete",
            **provenance(),
        }
        write_run(
            out,
            resolved_config_yaml=OmegaConf.to_yaml(resolved),
            metadata_=meta,
            timeseries=model.timeseries(),
            events=model.events() if sim_cfg.output.events else model.events().iloc[:0],
            summary=summary,
            job_started=job_t0,
        )
    except Exception as err:
        write_failure(out, err, overrides)
        if not multirun:
            raise
        print(f"[failed] {out.name}: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        return None
    if sim_cfg.output.summary_table and not multirun:
        period = f"days {sim_cfg.policy_start_day}-{sim_cfg.days - 1}"
        title = f"{sim_cfg.scenario.name}, seed {sim_cfg.seed}: policy period ({period})"
        print(summary_table(summary, title))
        print(f"\nRun folder: {out}  ({meta['wall_seconds']:.1f} s)")
    return summary


def check_command_line(argv: list[str]) -> None:
    """Check the command line's overrides against the schema before Hydra composes them.

    Hydra refuses an unknown key before :func:`main` runs, with a message that lists no
    allowed keys; this names them (and the closest), for single runs and sweeps alike.

    Raises:
        ConfigError: naming the key, the value and the keys allowed there.
    """
    from hydra._internal.utils import get_args_parser  # Hydra's own argv parser (<1.4)

    from sim.overrides import check_overrides

    args, _ = get_args_parser().parse_known_args(argv)
    if args.config_name not in (None, "config") or args.config_path is not None:
        return  # another primary config: Hydra and validate() check it
    check_overrides(args.overrides, config_dir=args.config_dir)


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def main(cfg: DictConfig) -> dict[str, float] | None:
    """Hydra task: one simulation run.

    A single run refused for a wrong value (:class:`ConfigError`, or a
    :class:`~sim.network.NetworkError` for an unusable edge list) prints the message, not
    a traceback, and exits 1 (its run folder keeps ``error.json``); in a sweep the
    failure is recorded and the other runs go on (:func:`run_job`).
    """
    from sim.network import NetworkError

    try:
        return run_job(cfg)
    except (ConfigError, NetworkError) as err:
        print(f"Error in the configuration: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    try:
        check_command_line(sys.argv[1:])
    except ConfigError as err:
        # Nothing has been created yet: no run or sweep folder.
        print(f"Error in the command line: {err}", file=sys.stderr)
        sys.exit(1)
    main()
    # The callback object lives in sim.sweeps (imported by Hydra), not in __main__.
    from sim.sweeps import SweepBookkeeping

    sys.exit(1 if SweepBookkeeping.failed else 0)
