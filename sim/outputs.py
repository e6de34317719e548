"""The one results writer: a run folder's files, provenance, and completeness.

A run folder is complete if and only if ``summary.json`` exists: every other file is
written first, and ``summary.json`` last, by writing a temporary file and renaming it
(``os.replace`` is atomic on POSIX). A folder without it is recomputed on the next run of
the same sweep command.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import platform as pyplatform
import socket
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

PACKAGES = (
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "networkx",
    "hydra-core",
    "omegaconf",
    "matplotlib",
    "ohsim",
)
REPO = Path(__file__).resolve().parent.parent


def now_utc() -> str:
    """Current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def config_hash(resolved: dict[str, Any]) -> str:
    """Stable hash of a resolved configuration (to tell if a finished run is still valid)."""
    blob = json.dumps(resolved, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def git_state() -> tuple[str, bool | None]:
    """(commit, dirty) of the code that ran; ("unknown", None) outside a git checkout."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        return commit, bool(status)
    except (OSError, subprocess.SubprocessError):
        return "unknown", None


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def provenance() -> dict[str, Any]:
    """Code version, packages and machine of this process.

    Found once per process and reused: a sweep worker runs many jobs, and asking git
    (two subprocesses) and the package metadata again for each costs about 30 ms of a
    ~1.6 s run. The code a process runs is the code it imported, so the state at its
    first job describes all of its jobs (a file edited mid-sweep is not re-imported).
    """
    return copy.deepcopy(_process_provenance())


@functools.cache
def _process_provenance() -> dict[str, Any]:
    commit, dirty = git_state()
    return {
        "git_commit": commit,
        "git_dirty": dirty,
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": pyplatform.platform(),
        "hostname": socket.gethostname(),
    }


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON to ``path`` via a temporary file and an atomic rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_jsonable) + "\n")
    os.replace(tmp, path)


def _jsonable(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    return str(x)


def is_complete(run_dir: Path, expected_hash: str | None = None) -> bool:
    """True if the folder holds a finished run (of the same configuration, if a hash is given)."""
    if not (run_dir / "summary.json").is_file():
        return False
    if expected_hash is None:
        return True
    try:
        meta = json.loads((run_dir / "metadata.json").read_text())
    except (OSError, ValueError):
        return False
    return meta.get("config_hash") == expected_hash


def write_run(
    run_dir: Path,
    *,
    resolved_config_yaml: str,
    metadata_: dict[str, Any],
    timeseries: pd.DataFrame,
    events: pd.DataFrame,
    summary: dict[str, Any],
    job_started: float | None = None,
) -> None:
    """Write a complete run folder, ``metadata.json`` then ``summary.json`` last.

    ``job_started`` (``time.perf_counter()`` when the job started) sets
    ``metadata["job_seconds"]`` after the tables are written, so a run's time includes
    writing its outputs (seconds).
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "summary.json").unlink(missing_ok=True)
    (run_dir / "error.json").unlink(missing_ok=True)
    _write_text(run_dir / "config.yaml", resolved_config_yaml)
    _write_parquet(run_dir / "timeseries.parquet", timeseries)
    _write_parquet(run_dir / "events.parquet", events)
    if job_started is not None:
        metadata_ = {**metadata_, "job_seconds": round(time.perf_counter() - job_started, 3)}
    write_json_atomic(run_dir / "metadata.json", metadata_)
    write_json_atomic(run_dir / "summary.json", summary)


def write_failure(run_dir: Path, err: BaseException, overrides: list[str]) -> None:
    """Record a failed run (its traceback) without making it look complete."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "summary.json").unlink(missing_ok=True)
    write_json_atomic(
        run_dir / "error.json",
        {
            "error_type": type(err).__name__,
            "message": str(err),
            "traceback": "".join(traceback.format_exception(err)),
            "overrides": overrides,
            "failed_at": now_utc(),
        },
    )


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write_parquet(path: Path, df: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)
