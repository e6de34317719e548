"""Calibration to published figures: ``python -m sim.calibrate`` (simulated method of moments).

Examples::

    python -m sim.calibrate                       # fit configs/calibrate.yaml's parameters
    python -m sim.calibrate replicates=8 optimizer.rounds=4
    python -m sim.calibrate optimizer.method=nelder-mead
    python -m sim.calibrate twin.enabled=true     # twin experiment: recover known values

**Method.** Each target is a range of plausible values from shared/research/domain.md
(e.g. 5-15 harmful views per 10,000 views, Meta CSER). It is read as a 95% interval: the
target is its midpoint and its standard deviation a quarter of its width. For parameter
values theta the model runs ``replicates`` times with the seeds 0..R-1, the same seeds at
every theta (common random numbers), and the moments m(theta) are computed from the
pooled runs. The distance is the mean squared z-score ``mean_k ((m_k - t_k) / sd_k)**2``
over the parameters rescaled to [0, 1] (log scale where a range spans decades).

It is minimised with scipy only (installed; no new dependency), by default by a
sequential response-surface search (``optimizer.method=surface``): each round runs a
scrambled Sobol design (``scipy.stats.qmc``) in the search box, all in one parallel
batch, fits a least-squares quadratic to every moment, minimises the emulated distance
(``scipy.optimize.minimize``, L-BFGS-B) and halves the box around the minimum; it stops
when a quadratic explains too little of a moment (the box has reached the noise). A
stochastic simulator's distance is noisy and, in counts of events, flat in steps, which
stalls point-by-point searches; a quadratic over many points averages both away.
``optimizer.method=nelder-mead`` runs ``scipy.optimize.minimize(method="Nelder-Mead")``
on the simulated distance itself instead.

**Uncertainty.** J, the slope of the moments at the fitted point (from the last
quadratic, or by central differences with the same seeds for Nelder-Mead), gives the
sandwich (J'WJ)^-1 J'W Omega W J (J'WJ)^-1, with W the inverse target variances and
Omega the target variances plus the simulation variance of the moments (the spread
across replicates divided by R): the parameters' standard errors, i.e. how tightly the
target ranges and the finite number of runs pin them down. A parameter no moment
responds to gets an interval spanning its range; one fitted at the edge of its range is
flagged, its interval not meaningful.

Outputs in ``results/calibration/<name>/``: ``fit.json`` (everything), ``targets.csv``
(fit against each target), ``parameters.csv`` (values, errors, intervals),
``evaluations.csv`` (every point tried), ``fit.png`` and ``calibrated/<name>.yaml``, a
config usable as ``python -m sim.run --config-dir results/calibration/<name>
+calibrated=<name>`` (``install=true`` also copies it to ``configs/calibrated/``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import pandas as pd
from omegaconf import DictConfig

from sim.config import SimConfig, register_configs
from sim.sensitivity import (
    _atomic,
    apply_values,
    derived_indicators,
    get_value,
    indicator_words,
)

register_configs()

REPO = Path(__file__).resolve().parent.parent


# --- moments ------------------------------------------------------------------------------------


def _pooled_ratio(num: Sequence[str], den: Sequence[str]) -> Callable[[list[dict]], float]:
    """Ratio of totals over the replicates (steadier than a mean of per-run ratios)."""

    def f(runs: list[dict]) -> float:
        n = sum(r[k] for r in runs for k in num)
        d = sum(r[k] for r in runs for k in den)
        return n / d if d else math.nan

    return f


# Moments that pool the replicates in a particular way; any other name is the mean over
# replicates of a summary.json key or of a per-run derived indicator (sim.sensitivity).
POOLED: dict[str, Callable[[list[dict]], float]] = {
    "share_victims_women": _pooled_ratio(
        ["victims_women"], ["victims_women", "victims_men", "victims_other"]
    ),
    "convictions_per_police_report": _pooled_ratio(["convictions"], ["police_reports"]),
}


def moment(name: str, runs: list[dict[str, float]]) -> float:
    """One moment from a list of run summaries (replicates at one parameter point)."""
    if name in POOLED:
        return POOLED[name](runs)
    values = [r[name] if name in r else derived_indicators(r)[name] for r in runs]
    return float(np.mean(values))


# --- the problem -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """A calibrated parameter: one configuration key searched within [low, high]."""

    name: str
    key: str
    low: float
    high: float
    scale: str = "linear"
    label: str = ""

    def to_natural(self, u: float) -> float:
        """Value in the parameter's unit from its position u in [0, 1]."""
        if self.scale == "log":
            return 10 ** (math.log10(self.low) + u * (math.log10(self.high) - math.log10(self.low)))
        return self.low + u * (self.high - self.low)

    def to_unit(self, v: float) -> float:
        """Position in [0, 1] of a value in the parameter's unit."""
        if self.scale == "log":
            lo, hi = math.log10(self.low), math.log10(self.high)
            return (math.log10(v) - lo) / (hi - lo)
        return (v - self.low) / (self.high - self.low)

    def dnatural_du(self, u: float) -> float:
        """Derivative of the value with respect to u (for standard errors in the unit)."""
        if self.scale == "log":
            return self.to_natural(u) * math.log(10) * math.log10(self.high / self.low)
        return self.high - self.low


@dataclass(frozen=True)
class Target:
    """A published figure as a plausible range, read as a 95% interval."""

    name: str
    low: float
    high: float
    source: str = ""

    @property
    def value(self) -> float:
        """Midpoint of the range."""
        return 0.5 * (self.low + self.high)

    @property
    def sd(self) -> float:
        """A quarter of the range: the range is +-2 standard deviations."""
        return 0.25 * (self.high - self.low)


def read_params(cfg: DictConfig) -> list[Param]:
    """The calibrated parameters from the configuration."""
    out = []
    for name, p in cfg.parameters.items():
        par = Param(
            name=str(name),
            key=str(p.key),
            low=float(p.low),
            high=float(p.high),
            scale=str(p.get("scale", "linear")),
            label=str(p.get("label", name)),
        )
        if not par.low < par.high or (par.scale == "log" and par.low <= 0):
            raise ValueError(f"parameters.{name}: need low < high (and low > 0 on a log scale)")
        out.append(par)
    return out


def read_targets(cfg: DictConfig) -> list[Target]:
    """The targets from the configuration."""
    out = []
    for name, t in cfg.targets.items():
        tg = Target(str(name), float(t.low), float(t.high), str(t.get("source", "")))
        if not tg.low < tg.high:
            raise ValueError(f"targets.{name}: need low < high")
        out.append(tg)
    return out


# --- running the model ---------------------------------------------------------------------------


def _run_one(cfg: SimConfig) -> dict[str, float]:
    """One simulation's summary (runs in a worker process)."""
    from sim.model import HarmModel

    model = HarmModel(cfg)
    model.run_for(cfg.days)
    return model.summary()


class Simulator:
    """Evaluates moments at parameter points, replicates in parallel, with a log of all points.

    Args:
        base: configuration every run starts from.
        params: the calibrated parameters.
        seeds: replicate seeds (the same at every point: common random numbers).
        n_jobs: worker processes (joblib; -1 = one per core, 1 = in this process).
    """

    def __init__(
        self, base: SimConfig, params: list[Param], seeds: Sequence[int], n_jobs: int = -1
    ) -> None:
        self.base = base
        self.params = params
        self.seeds = list(seeds)
        self.n_jobs = n_jobs
        self.log: list[dict[str, Any]] = []
        self._cache: dict[tuple[float, ...], dict[str, float]] = {}

    def natural(self, u: Sequence[float]) -> dict[str, float]:
        """Parameter values (their units) at a point of the unit cube."""
        return {p.name: p.to_natural(float(x)) for p, x in zip(self.params, u, strict=True)}

    def _key(self, values: dict[str, float], seed: int) -> tuple[float, ...]:
        return (*(round(values[p.name], 12) for p in self.params), seed)

    def runs_many(
        self, points: list[dict[str, float]], seeds: Sequence[int] | None = None
    ) -> list[list[dict[str, float]]]:
        """Replicate summaries at several points, all runs in one parallel batch (memoised)."""
        seeds = list(self.seeds if seeds is None else seeds)
        todo = {}
        for values in points:
            for s in seeds:
                k = self._key(values, s)
                if k not in self._cache and k not in todo:
                    keyed = {p.key: values[p.name] for p in self.params}
                    todo[k] = apply_values(self.base, {**keyed, "seed": s})
        if todo:
            cfgs = list(todo.values())
            if self.n_jobs == 1 or len(cfgs) == 1:
                out = [_run_one(c) for c in cfgs]
            else:
                from joblib import Parallel, delayed

                out = Parallel(n_jobs=self.n_jobs)(delayed(_run_one)(c) for c in cfgs)
            self._cache.update(zip(todo, out, strict=True))
        return [[self._cache[self._key(v, s)] for s in seeds] for v in points]

    def runs(self, values: dict[str, float], seeds: Sequence[int] | None = None) -> list[dict]:
        """Replicate summaries at one point."""
        return self.runs_many([values], seeds)[0]

    def record(
        self, u: np.ndarray, m: np.ndarray, d: float, targets: list[Target], stage: str
    ) -> None:
        """Add one evaluated point to the log (``evaluations.csv``)."""
        values = self.natural(u)
        self.log.append(
            {
                "evaluation": len(self.log),
                "stage": stage,
                **values,
                **dict(zip(_names(targets), m, strict=True)),
                "distance": d,
            }
        )


def distance(m: np.ndarray, targets: list[Target]) -> float:
    """Mean squared z-score of the moments against the targets."""
    z = np.array([(mi - t.value) / t.sd for mi, t in zip(m, targets, strict=True)])
    # A moment that cannot be computed (e.g. no police report at all) is a bad fit, not a crash.
    z = np.where(np.isfinite(z), z, 10.0)
    return float(np.mean(z**2))


def moments(runs: list[dict], targets: list[Target]) -> np.ndarray:
    """The target moments from replicate summaries."""
    return np.array([moment(t.name, runs) for t in targets])


def _names(targets: list[Target]) -> list[str]:
    return [t.name for t in targets]


# --- fitting: sequential response surfaces (default) ----------------------------------------------


def _quad_features(z: np.ndarray) -> np.ndarray:
    """Full quadratic in z (rows = points): 1, z_i, z_i * z_j (i <= j)."""
    n, d = z.shape
    cols = [np.ones(n)] + [z[:, i] for i in range(d)]
    cols += [z[:, i] * z[:, j] for i in range(d) for j in range(i, d)]
    return np.column_stack(cols)


class Surface:
    """Least-squares quadratic of each moment over a box of the unit cube (an emulator).

    Averaging many points smooths the simulator's noise and the steps common random
    numbers leave (counts change in whole units), which stall point-by-point optimisers.
    """

    def __init__(self, u: np.ndarray, m: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        self.center, self.half = (lo + hi) / 2, np.maximum((hi - lo) / 2, 1e-9)
        x = _quad_features((u - self.center) / self.half)
        self.coef = np.zeros((x.shape[1], m.shape[1]))
        self.r2 = np.full(m.shape[1], np.nan)
        for k in range(m.shape[1]):
            ok = np.isfinite(m[:, k])
            if ok.sum() < x.shape[1]:
                continue  # too few finite values to fit this moment: it stays NaN
            self.coef[:, k] = np.linalg.lstsq(x[ok], m[ok, k], rcond=None)[0]
            resid = m[ok, k] - x[ok] @ self.coef[:, k]
            tot = np.sum((m[ok, k] - m[ok, k].mean()) ** 2)
            self.r2[k] = 1 - np.sum(resid**2) / tot if tot > 0 else np.nan

    def predict(self, u: np.ndarray) -> np.ndarray:
        """Emulated moments at points u (rows) or one point."""
        u2 = np.atleast_2d(u)
        out = _quad_features((u2 - self.center) / self.half) @ self.coef
        return out[0] if np.ndim(u) == 1 else out

    def jacobian(self, u: np.ndarray, h: float = 1e-5) -> np.ndarray:
        """d moments / d u at one point (central differences on the smooth emulator)."""
        cols = []
        for j in range(len(u)):
            e = np.zeros(len(u))
            e[j] = h
            cols.append((self.predict(u + e) - self.predict(u - e)) / (2 * h))
        return np.column_stack(cols)


def fit_surface(
    sim: Simulator,
    targets: list[Target],
    start: dict[str, float],
    opt: Any,
    seed: int,
    verbose: bool = True,
) -> dict[str, Any]:
    """Sequential response-surface search.

    Each round evaluates a scrambled Sobol design in the current box (all runs in one
    parallel batch), fits a quadratic to every moment over the points inside the box,
    minimises the emulated distance, and halves the box around that minimum. The last
    round's emulator gives the Jacobian for the standard errors.
    """
    from scipy.optimize import minimize
    from scipy.stats import qmc

    d = len(sim.params)
    n_terms = 1 + d + d * (d + 1) // 2
    # Two points per coefficient, rounded up to a power of 2 for a balanced Sobol design.
    m_exp = max(3, math.ceil(math.log2(max(int(opt.get("points_factor", 2)) * n_terms, 8))))
    rounds = int(opt.get("rounds", 3))
    shrink = float(opt.get("shrink", 0.5))
    min_r2 = float(opt.get("min_r2", 0.8))
    rounds_used = 0
    sd = np.array([t.sd for t in targets])
    tv = np.array([t.value for t in targets])
    lo, hi = np.zeros(d), np.ones(d)
    u_best = np.array([min(max(p.to_unit(start[p.name]), 0.0), 1.0) for p in sim.params])
    all_u: list[np.ndarray] = []
    all_m: list[np.ndarray] = []
    t0 = time.perf_counter()
    surface: Surface | None = None
    for r in range(rounds):
        design = qmc.Sobol(d, scramble=True, seed=seed + r).random_base2(m_exp)
        pts = lo + design * (hi - lo)
        pts = np.vstack([pts, u_best])  # keep the current best in every round
        results = sim.runs_many([sim.natural(u) for u in pts])
        for u, runs in zip(pts, results, strict=True):
            m = moments(runs, targets)
            sim.record(u, m, distance(m, targets), targets, f"round {r + 1}")
            all_u.append(u)
            all_m.append(m)
        uu, mm = np.array(all_u), np.array(all_m)
        inside = np.all((uu >= lo - 1e-12) & (uu <= hi + 1e-12), axis=1)
        candidate = Surface(uu[inside], mm[inside], lo, hi)
        r2_min = float(np.nanmin(candidate.r2)) if np.any(np.isfinite(candidate.r2)) else 0.0
        if surface is not None and r2_min < min_r2:
            # The box has become smaller than the noise allows: a quadratic no longer explains
            # the moments, so this round's minimum would chase noise. Keep the last estimate.
            if verbose:
                print(
                    f"[round {r + 1}/{rounds}] emulator R2 {r2_min:.2f} < {min_r2}: box below "
                    "the noise level; keeping the previous round's estimate",
                    flush=True,
                )
            break
        surface = candidate
        rounds_used = r + 1

        def emulated(u: np.ndarray, s: Surface = surface) -> float:
            z = (s.predict(u) - tv) / sd
            return float(np.mean(np.nan_to_num(z, nan=10.0) ** 2))

        # Start from the best simulated point and a few design points; keep the best result.
        dist = np.array([distance(m, targets) for m in mm[inside]])
        starts = [uu[inside][np.argmin(dist)], (lo + hi) / 2, *pts[:4]]
        best = min(
            (
                minimize(emulated, x0, method="L-BFGS-B", bounds=list(zip(lo, hi, strict=True)))
                for x0 in starts
            ),
            key=lambda res: res.fun,
        )
        u_best = np.clip(best.x, 0.0, 1.0)
        if verbose:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in sim.natural(u_best).items())
            r2 = ", ".join(f"{t.name} {v:.2f}" for t, v in zip(targets, surface.r2, strict=True))
            print(
                f"[round {r + 1}/{rounds}] {len(pts)} points x {len(sim.seeds)} runs; "
                f"emulated optimum {shown} (distance {best.fun:.3f}); R2: {r2}",
                flush=True,
            )
        half = (hi - lo) / 2 * shrink
        lo, hi = np.clip(u_best - half, 0, 1), np.clip(u_best + half, 0, 1)
    m_hat = moments(sim.runs(sim.natural(u_best)), targets)
    d_hat = distance(m_hat, targets)
    sim.record(u_best, m_hat, d_hat, targets, "fitted")
    assert surface is not None
    return {
        "u": u_best,
        "values": sim.natural(u_best),
        "distance": d_hat,
        "evaluations": len(sim.log),
        "converged": True,
        "message": f"{rounds_used} response-surface round(s); emulator R2 "
        + ", ".join(f"{t.name}={v:.2f}" for t, v in zip(targets, surface.r2, strict=True)),
        "seconds": time.perf_counter() - t0,
        "jacobian": surface.jacobian(u_best),
        "surface_r2": surface.r2.tolist(),
    }


# --- fitting: Nelder-Mead ---------------------------------------------------------------------------


def fit_nelder_mead(
    sim: Simulator, targets: list[Target], start: dict[str, float], opt: Any, verbose: bool = True
) -> dict[str, Any]:
    """Minimise the simulated distance with Nelder-Mead over the unit cube."""
    from scipy.optimize import minimize

    params = sim.params
    u0 = np.array([min(max(p.to_unit(start[p.name]), 0.02), 0.98) for p in params])
    step = float(opt.get("initial_step", 0.15))
    # Initial simplex: the start plus one step along each axis, turned inwards at the edge.
    simplex = [u0]
    for i in range(len(params)):
        v = u0.copy()
        v[i] = v[i] + step if v[i] + step <= 1 else v[i] - step
        simplex.append(v)
    t0 = time.perf_counter()

    def objective(u: np.ndarray) -> float:
        u = np.clip(u, 0.0, 1.0)
        m = moments(sim.runs(sim.natural(u)), targets)
        d = distance(m, targets)
        sim.record(u, m, d, targets, "nelder-mead")
        if verbose:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in sim.natural(u).items())
            print(f"[fit {len(sim.log):3d}] {shown}  distance {d:.3f}", flush=True)
        return d

    res = minimize(
        objective,
        u0,
        method="Nelder-Mead",
        bounds=[(0.0, 1.0)] * len(params),
        options={
            "initial_simplex": np.array(simplex),
            "maxfev": int(opt.get("max_evals", 150)),
            "xatol": float(opt.get("xatol", 0.01)),
            "fatol": float(opt.get("fatol", 0.01)),
        },
    )
    u_hat = np.clip(res.x, 0.0, 1.0)
    return {
        "u": u_hat,
        "values": sim.natural(u_hat),
        "distance": float(res.fun),
        "evaluations": int(res.nfev),
        "converged": bool(res.success),
        "message": str(res.message),
        "seconds": time.perf_counter() - t0,
        "jacobian": finite_difference_jacobian(
            sim, targets, u_hat, float(opt.get("jacobian_step", 0.05))
        ),
    }


def finite_difference_jacobian(
    sim: Simulator, targets: list[Target], u: np.ndarray, h: float
) -> np.ndarray:
    """d moments / d u by central differences on the simulator (same seeds)."""
    pts = []
    for j in range(len(u)):
        up, down = u.copy(), u.copy()
        up[j], down[j] = min(u[j] + h, 1.0), max(u[j] - h, 0.0)
        pts += [up, down]
    res = sim.runs_many([sim.natural(x) for x in pts])
    jac = np.zeros((len(targets), len(u)))
    for j in range(len(u)):
        m_up, m_dn = moments(res[2 * j], targets), moments(res[2 * j + 1], targets)
        jac[:, j] = (m_up - m_dn) / (pts[2 * j][j] - pts[2 * j + 1][j])
    return jac


# --- uncertainty ------------------------------------------------------------------------------------


def uncertainty(
    sim: Simulator, targets: list[Target], u_hat: np.ndarray, jac: np.ndarray
) -> dict[str, Any]:
    """Standard errors of the fitted parameters from the slope of the moments (sandwich).

    Returns the covariance of u, per-parameter standard errors on the search scale (u)
    and in the parameters' units (delta method), and the moments' simulation noise.
    """
    params = sim.params
    runs = sim.runs(sim.natural(u_hat))
    per_run = np.array([[moment(t.name, [r]) for t in targets] for r in runs])
    # Simulation noise of the pooled moments: variance across replicates / R.
    n = len(runs)
    sim_var = np.nanvar(per_run, axis=0, ddof=1) / n if n > 1 else np.zeros(len(targets))
    sd = np.array([t.sd for t in targets])
    w = np.diag(1.0 / sd**2)
    omega = np.diag(sd**2 + np.nan_to_num(sim_var))
    jac_f = np.nan_to_num(jac)
    bread = jac_f.T @ w @ jac_f
    try:
        inv = np.linalg.inv(bread)
        cov_u = inv @ jac_f.T @ w @ omega @ w @ jac_f @ inv
    except np.linalg.LinAlgError:  # a parameter no moment responds to: not identified
        cov_u = np.full((len(params), len(params)), np.inf)
    se_u = np.sqrt(np.clip(np.diag(cov_u), 0, None))
    se = {p.name: float(se_u[j] * p.dnatural_du(float(u_hat[j]))) for j, p in enumerate(params)}
    return {"jacobian": jac, "cov_u": cov_u, "se_u": se_u, "se": se, "sim_sd": np.sqrt(sim_var)}


def interval(p: Param, u: float, se_u: float) -> tuple[float, float]:
    """Approximate 95% interval, computed on the search scale and clipped to the range."""
    if not math.isfinite(se_u):
        return (p.low, p.high)
    lo, hi = max(u - 1.96 * se_u, 0.0), min(u + 1.96 * se_u, 1.0)
    return (p.to_natural(lo), p.to_natural(hi))


# --- outputs -------------------------------------------------------------------------------------


def calibrated_yaml(name: str, params: list[Param], values: dict[str, float], note: str) -> str:
    """A ``# @package _global_`` config setting the fitted values (nested keys)."""
    tree: dict[str, Any] = {}
    for p in params:
        node = tree
        *parents, last = p.key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = _round_sig(values[p.name])
    lines = [
        "# @package _global_",
        f"# Calibrated values written by `python -m sim.calibrate` ({name}).",
        *(f"# {line}" for line in note.splitlines()),
    ]

    def emit(node: dict[str, Any], depth: int) -> None:
        for k, v in node.items():
            if isinstance(v, dict):
                lines.append("  " * depth + f"{k}:")
                emit(v, depth + 1)
            else:
                lines.append("  " * depth + f"{k}: {v!r}")

    emit(tree, 0)
    return "\n".join(lines) + "\n"


def _round_sig(x: float, digits: int = 4) -> float:
    """Round to significant digits: the fit is not more precise than that."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def plot_fit(
    path: Path,
    targets: list[Target],
    start_m: np.ndarray,
    fit_m: np.ndarray,
    fit_se: np.ndarray,
    title: str,
    range_word: str = "published range",
) -> None:
    """One panel per target: its range, the model before fitting and after (with its CI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(targets), 1, figsize=(8.5, 1.15 * len(targets) + 1.6))
    axes = np.atleast_1d(axes)
    for ax, t, m0, m1, s1 in zip(axes, targets, start_m, fit_m, fit_se, strict=True):
        label, _ = indicator_words(t.name)
        half = 1.96 * s1 if np.isfinite(s1) else 0.0
        vals = [v for v in (t.low, t.high, m0, m1 - half, m1 + half) if np.isfinite(v)]
        pad = 0.12 * (max(vals) - min(vals) or 1.0)
        ax.axvspan(t.low, t.high, color="tab:green", alpha=0.2, label=range_word)
        ax.axvline(t.value, color="tab:green", lw=1, label="target (midpoint)")
        # Before above, after below: they stay visible when they nearly coincide.
        if np.isfinite(m0):
            ax.plot(m0, 0.3, "o", mfc="white", mec="0.35", ms=8, label="model before fitting")
        if np.isfinite(m1):
            ax.errorbar(
                m1,
                -0.3,
                xerr=half or None,
                fmt="o",
                color="tab:blue",
                capsize=4,
                ms=8,
                label="model calibrated, 95% interval of its mean",
            )
        ax.set_xlim(min(vals) - pad, max(vals) + pad)
        ax.set_ylim(-0.8, 0.8)
        ax.set_yticks([])
        ax.set_title(f"{label}  ({t.source})" if t.source else label, fontsize=8.5, loc="left")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.89))
    fig.legend(
        handles,
        labels,
        loc="upper center",
        ncol=4,
        fontsize=7.5,
        frameon=False,
        bbox_to_anchor=(0.5, 0.915),
    )
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)


# --- the app -------------------------------------------------------------------------------------


def run(cfg: DictConfig) -> dict[str, Any]:
    """Calibrate (or run the twin experiment) and write the outputs."""
    from sim.defaults import compose_config

    twin = bool(cfg.twin.enabled)
    out = Path(str(cfg.out_dir)).resolve()
    if twin:  # never overwrite a real calibration with a twin experiment's
        out = out / "twin"
    out.mkdir(parents=True, exist_ok=True)
    base = compose_config([str(o) for o in cfg.sim_overrides])
    params = read_params(cfg)
    for p in params:
        get_value(base, p.key)  # fails early, naming the key, if it does not exist
        for end in (p.low, p.high):
            apply_values(base, {p.key: end})  # and if a range's end is not allowed
    seeds = list(range(int(cfg.replicates)))
    sim = Simulator(
        apply_values(base, {"root_seed": int(cfg.root_seed)}), params, seeds, int(cfg.n_jobs)
    )
    defaults = {p.name: float(get_value(base, p.key)) for p in params}
    truth: dict[str, float] = {}
    if twin:
        targets, truth = twin_targets(cfg, sim, params)
    else:
        targets = read_targets(cfg)
    given = {str(k): float(v) for k, v in (cfg.get("start") or {}).items()}
    if unknown := set(given) - set(defaults):
        raise ValueError(f"start: {sorted(unknown)} are not calibrated parameters")
    # The search starts at the configured values (clipped into the ranges) unless told.
    start = {p.name: min(max(given.get(p.name, defaults[p.name]), p.low), p.high) for p in params}
    print(
        f"[calibrate] {len(params)} parameters, {len(targets)} targets, "
        f"{len(seeds)} replicates per point -> {out}",
        flush=True,
    )
    start_m = moments(sim.runs(start), targets)
    method = str(cfg.optimizer.method)
    if method == "surface":
        res = fit_surface(sim, targets, start, cfg.optimizer, seed=int(cfg.root_seed) % 2**31)
    elif method == "nelder-mead":
        res = fit_nelder_mead(sim, targets, start, cfg.optimizer)
    else:
        raise ValueError(f"optimizer.method={method!r} is not allowed: surface or nelder-mead")
    unc = uncertainty(sim, targets, res["u"], res["jacobian"])
    fit_m = moments(sim.runs(res["values"]), targets)

    tgt_rows = []
    for t, m0, m1, s in zip(targets, start_m, fit_m, unc["sim_sd"], strict=True):
        tgt_rows.append(
            {
                "target": t.name,
                "low": t.low,
                "high": t.high,
                "value": t.value,
                "sd": t.sd,
                "model_start": m0,
                "model_fit": m1,
                "model_fit_sim_se": s,
                "z": (m1 - t.value) / t.sd,
                "within_range": bool(t.low <= m1 <= t.high),
                "source": t.source,
            }
        )
    par_rows = []
    for j, p in enumerate(params):
        lo95, hi95 = interval(p, float(res["u"][j]), float(unc["se_u"][j]))
        row = {
            "parameter": p.name,
            "key": p.key,
            "label": p.label,
            "start": start[p.name],
            "fitted": res["values"][p.name],
            "se": unc["se"][p.name],
            "ci95_low": lo95,
            "ci95_high": hi95,
            "low": p.low,
            "high": p.high,
            "scale": p.scale,
            # At an edge the targets pull beyond the range: the interval is then not valid.
            "at_bound": bool(min(res["u"][j], 1 - res["u"][j]) < 0.005),
        }
        if twin:
            tv = truth[p.name]
            row["truth"] = tv
            row["error_share_of_range"] = float(res["u"][j]) - p.to_unit(tv)
            row["z_vs_truth"] = (float(res["u"][j]) - p.to_unit(tv)) / unc["se_u"][j]
        par_rows.append(row)
    targets_df, params_df = pd.DataFrame(tgt_rows), pd.DataFrame(par_rows)
    name = str(cfg.name)
    _atomic(out / "targets.csv", lambda p: targets_df.to_csv(p, index=False))
    _atomic(out / "parameters.csv", lambda p: params_df.to_csv(p, index=False))
    evals = pd.DataFrame(sim.log)
    _atomic(out / "evaluations.csv", lambda p: evals.to_csv(p, index=False))
    summary = {
        "name": name,
        "twin": twin,
        "method": "simulated method of moments; scipy.optimize.minimize(Nelder-Mead) on the "
        "unit cube; common random numbers; sandwich standard errors from the Jacobian",
        "replicates": len(seeds),
        "sim_overrides": list(cfg.sim_overrides),
        "distance": res["distance"],
        "evaluations": res["evaluations"],
        "converged": res["converged"],
        "message": res["message"],
        "seconds": round(res["seconds"], 1),
        "targets": tgt_rows,
        "parameters": par_rows,
        "jacobian_per_unit_range": unc["jacobian"].tolist(),
        "overrides": [f"{p.key}={_round_sig(res['values'][p.name])!r}" for p in params],
    }
    if twin:
        tol = float(cfg.twin.tolerance)
        errs = [abs(r["error_share_of_range"]) for r in par_rows]
        summary["twin_tolerance_share_of_range"] = tol
        summary["twin_recovered"] = bool(max(errs) <= tol)
        summary["twin_truth_in_ci95"] = all(
            r["ci95_low"] <= r["truth"] <= r["ci95_high"] for r in par_rows
        )
    _atomic(
        out / "fit.json",
        lambda p: p.write_text(json.dumps(summary, indent=1, default=float) + "\n"),
    )
    note = (
        f"distance {res['distance']:.3g} after {res['evaluations']} evaluations x {len(seeds)} "
        f"runs; targets: {', '.join(t.name for t in targets)}\n"
        f"sim_overrides: {list(cfg.sim_overrides)}; details in {out / 'fit.json'}"
    )
    yaml_text = calibrated_yaml(name, params, res["values"], note)
    (out / "calibrated").mkdir(exist_ok=True)
    _atomic(out / "calibrated" / f"{name}.yaml", lambda p: p.write_text(yaml_text))
    if bool(cfg.install) and not twin:
        dest = REPO / "configs" / "calibrated" / f"{name}.yaml"
        dest.parent.mkdir(exist_ok=True)
        dest.write_text(yaml_text)
        print(f"Installed {dest}: use +calibrated={name}")
    what = "Twin experiment (targets made by the model)" if twin else "Calibration"
    title = f"{what} '{name}': model against each target\n{len(seeds)} runs per point"
    word = "target range (+-2 sd)" if twin else "published range"
    plot_fit(out / "fit.png", targets, start_m, fit_m, unc["sim_sd"], title, word)
    report(summary, targets_df, params_df, out, name)
    return summary


def twin_targets(
    cfg: DictConfig, sim: Simulator, params: list[Param]
) -> tuple[list[Target], dict[str, float]]:
    """Targets generated by the model itself at known values, with other seeds."""
    truth_cfg = cfg.twin.get("truth") or {}
    truth = {p.name: float(truth_cfg.get(p.name, p.to_natural(0.5))) for p in params}
    offset = int(cfg.twin.seed_offset)
    seeds = list(range(offset, offset + int(cfg.twin.replicates)))
    runs = sim.runs(truth, seeds=seeds)
    rel = float(cfg.twin.rel_sd)
    targets = []
    for name in cfg.twin.moments:
        v = moment(str(name), runs)
        half = 2 * max(rel * abs(v), 1e-9)  # +-2 sd = the "published range"
        targets.append(Target(str(name), v - half, v + half, "twin: model at the true values"))
    print("[twin] truth: " + ", ".join(f"{k}={v:.4g}" for k, v in truth.items()))
    print("[twin] targets: " + ", ".join(f"{t.name}={t.value:.4g}" for t in targets), flush=True)
    return targets, truth


def report(
    summary: dict, targets_df: pd.DataFrame, params_df: pd.DataFrame, out: Path, name: str
) -> None:
    """Print the fit on screen."""
    pd.set_option("display.width", 160)
    print(
        f"\nFit against each target (distance {summary['distance']:.3g}, "
        f"{summary['evaluations']} evaluations, {summary['seconds']} s):"
    )
    cols = ["target", "low", "high", "model_start", "model_fit", "model_fit_sim_se", "within_range"]
    print(targets_df[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print("\nFitted parameters (95% interval from the local curvature):")
    cols = ["parameter", "key", "start", "fitted", "se", "ci95_low", "ci95_high"]
    if "truth" in params_df:
        cols += ["truth", "error_share_of_range"]
    print(params_df[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for _, row in params_df[params_df["at_bound"]].iterrows():
        print(
            f"  note: {row['parameter']} ended at the edge of its range ({row['fitted']:.4g}): "
            "the targets pull beyond it, so its interval is not meaningful; widen the range "
            "or calibrate another parameter for that target"
        )
    if summary.get("twin"):
        ok = "recovered" if summary["twin_recovered"] else "NOT recovered"
        inside = "inside" if summary["twin_truth_in_ci95"] else "NOT all inside"
        print(
            f"\nTwin experiment: {ok} within {summary['twin_tolerance_share_of_range']:.0%} "
            f"of each parameter's range; true values {inside} the 95% intervals"
        )
    print("\nOverrides: " + " ".join(summary["overrides"]))
    print(f"Config: python -m sim.run --config-dir {out} +calibrated={name}")


@hydra.main(version_base="1.3", config_path="../configs", config_name="calibrate")
def main(cfg: DictConfig) -> None:
    """Hydra task: one calibration (see the module docstring)."""
    run(cfg)


if __name__ == "__main__":
    main()
