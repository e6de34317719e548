"""The per-agent Mesa baseline computes what the engine computes, so their speeds compare.

``benchmarks/mesa_baseline.py`` re-implements the engine's daily core with one Mesa agent
per user; ``benchmarks.run`` reports the engine's speed-up over it. That ratio only
means something if both programs produce the same outputs from the same inputs. Here
both run the core (benchmarks/core.py) at 2,000 users for 60 days on 12 replicates;
each replicate gives both programs the same network, abusers and memberships, so the
comparison is paired by replicate.

Criterion: the relative difference of the means over replicates, |baseline - engine| /
engine, must be below a margin. The margins come from 30 replicates measured when the
baseline was written: the per-replicate relative differences had standard deviations of
10% (items created per day), 16% (harmful views per 10k) and 15% (share removed), so
with 12 replicates the standard error of the mean difference is about 3%, 5% and 4%.
Margins of 15%, 20% and 20% are 4-5 standard errors: a correct baseline fails with
probability below 1e-4 whatever random numbers a future engine draws, while a mechanism
that shifts an indicator by more than the margin fails (the slow power check below:
without upload detection the share removed falls by half). The failure message also
gives the 95% interval of the paired difference. The median takedown time
is not tested: its distribution is bimodal (automated removals within hours, reviewed
reports after a day or more), so the median jumps between the modes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

from benchmarks.core import CoreIndicators, CoreInputs, core_config, engine_indicators
from benchmarks.mesa_baseline import Abuser, CoreBaseline, User
from sim.model import HarmModel

N_USERS = 2_000
DAYS = 60
SEEDS = range(12)
MARGINS = {"items_per_day": 0.15, "harmful_views_per_10k": 0.20, "share_removed": 0.20}


def run_pair(
    seed: int, cache: str, detection: bool = True
) -> tuple[CoreIndicators, CoreIndicators]:
    """Engine and baseline on identical inputs for one replicate (optionally without detection)."""
    cfg = core_config(N_USERS, DAYS, seed, f"network_cache_dir={cache}")
    engine = HarmModel(cfg)
    inputs = CoreInputs.from_engine(engine)
    if not detection:
        blind = tuple(dataclasses.replace(p, recall=(0.0, 0.0)) for p in inputs.platforms)
        inputs = dataclasses.replace(inputs, platforms=blind)
    baseline = CoreBaseline(inputs, rng=seed)
    engine.run_for(DAYS)
    baseline.run_for(DAYS)
    return engine_indicators(engine), baseline.indicators()


def consistent(
    pairs: list[tuple[CoreIndicators, CoreIndicators]], key: str, margin: float
) -> tuple[bool, str]:
    """Is |mean(baseline) - mean(engine)| / mean(engine) below ``margin``? (and a message)."""
    e = np.array([getattr(p[0], key) for p in pairs])
    b = np.array([getattr(p[1], key) for p in pairs])
    d = b - e
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    rel = abs(b.mean() - e.mean()) / e.mean()
    msg = (
        f"{key}: engine mean {e.mean():.3f}, baseline mean {b.mean():.3f}, relative "
        f"difference {rel:.1%} (allowed {margin:.0%}); 95% CI of the paired difference "
        f"[{d.mean() - half:.3f}, {d.mean() + half:.3f}]"
    )
    return bool(rel < margin), msg


@pytest.fixture(scope="module")
def network_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private network cache (the engine and its replicas reuse each built graph)."""
    return str(tmp_path_factory.mktemp("networks"))


@pytest.fixture(scope="module")
def pairs(network_cache: str) -> list[tuple[CoreIndicators, CoreIndicators]]:
    """(engine, baseline) core indicators for each replicate."""
    return [run_pair(seed, network_cache) for seed in SEEDS]


def test_baseline_builds_with_no_arguments_and_runs_ten_days():
    """Like every Mesa example: constructible with defaults, runs ten steps."""
    model = CoreBaseline(rng=1)
    model.run_for(10)
    assert model.time == 10.0
    assert len(model.datacollector.get_model_vars_dataframe()) == 10


def test_baseline_starts_from_the_engines_inputs(network_cache):
    """Same graph (edge for edge), same abusers and propensities, same memberships."""
    engine = HarmModel(core_config(N_USERS, DAYS, 0, f"network_cache_dir={network_cache}"))
    inputs = CoreInputs.from_engine(engine)
    model = CoreBaseline(inputs, rng=0)
    assert model.grid.G.number_of_edges() == engine.adj.nnz // 2
    users = {a.cell.coordinate: a for a in model.user_list}
    for node in (0, 1, N_USERS // 2, N_USERS - 1):
        lo, hi = engine.adj.indptr[node], engine.adj.indptr[node + 1]
        contacts = {c.coordinate for c in users[node].cell.neighborhood}
        assert contacts == set(engine.adj.indices[lo:hi].tolist())
    abusers = sorted(
        (a.cell.coordinate, a.propensity) for a in model.user_list if isinstance(a, Abuser)
    )
    assert [a for a, _ in abusers] == engine.abusers.ids.tolist()
    assert np.allclose([p for _, p in abusers], engine.abusers.propensity)
    member = np.array(
        [[p in users[i].platforms for p in model.platform_list] for i in range(N_USERS)]
    )
    assert np.array_equal(member, engine.users.member)
    assert all(isinstance(a, User) for a in model.user_list)


def test_baseline_and_engine_agree_on_the_core(pairs):
    """Harmful items per day, harmful views per 10k and share removed: the same means.

    One test for the three indicators, so that under pytest-xdist the replicates are
    simulated once, not once per worker.
    """
    results = [consistent(pairs, key, margin) for key, margin in MARGINS.items()]
    assert all(ok for ok, _ in results), "\n".join(msg for _, msg in results)


@pytest.mark.slow
def test_criterion_detects_a_wrong_mechanism(pairs, network_cache):
    """Power check: a baseline without upload detection fails the share-removed criterion."""
    wrong = [
        (pairs[i][0], run_pair(seed, network_cache, detection=False)[1])
        for i, seed in enumerate(SEEDS)
    ]
    ok, msg = consistent(wrong, "share_removed", MARGINS["share_removed"])
    assert not ok, msg
