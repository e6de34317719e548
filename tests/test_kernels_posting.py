"""Kernels of posting (sim/kernels/posting.py) give bit-for-bit the array code they replace.

Each test runs the numpy formulation the kernel replaced (kept here as the reference)
and the model's kernel-based code on the same inputs and random stream, and requires
equal results and an equally advanced stream.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sim.content import DEEPFAKE, HARASSMENT
from sim.kernels import posting
from sim.model import HarmModel
from tests.helpers import small_config


def test_numpy_sum_is_numpys_sum_bit_for_bit():
    """Pairwise summation in numpy's order, for short, blocked and halved lengths."""
    rng = np.random.default_rng(0)
    for n in [*range(300), 1000, 4097, 8192, 8193, 100_003]:
        a = rng.random(n + 3) * np.exp(rng.normal(0.0, 5.0, n + 3))
        got = posting.numpy_sum(a, 2, n)
        assert got == a[2 : 2 + n].sum(), n
    assert np.signbit(posting.numpy_sum(np.array([-0.0]), 0, 1)) == np.signbit(
        np.array([-0.0]).sum()
    )


def reference_platforms(member, creators, pull, r):
    """The numpy code ``HarmModel._choose_platforms`` used before its kernel."""
    w = member[creators] * pull[None, :]
    tot = w.sum(axis=1)
    cum = np.cumsum(w, axis=1)
    choice = (cum <= (r * tot)[:, None]).sum(axis=1)
    return np.where(tot > 0, np.minimum(choice, len(pull) - 1), -1)


@pytest.mark.parametrize("n_plat", [1, 2, 4, 7, 8, 9, 20])
def test_choose_platforms_matches_the_array_code(n_plat):
    rng = np.random.default_rng(n_plat)
    member = rng.random((300, n_plat)) < 0.4
    member[:20] = False  # creators on no platform get -1
    creators = rng.integers(0, 300, 500)
    pull = np.exp(-2.0 * rng.random(n_plat)) * (rng.random(n_plat) < 0.8)
    r = rng.random(len(creators))
    got = posting.choose_platforms(member, creators, pull, r)
    np.testing.assert_array_equal(got, reference_platforms(member, creators, pull, r))
    assert (got == -1).any()


def reference_targets(model, creators, kind, rng):
    """The numpy code ``HarmModel._choose_targets`` used before its kernels."""
    k = len(creators)
    n = model.users.n
    cum = model._cum_weights[kind]
    glob = np.searchsorted(cum, rng.random(k) * cum[-1], side="right")
    glob = np.minimum(glob, n - 1)
    local = rng.random(k) < model.cfg.abusers.local_target_prob
    if local.any():
        users = creators[local]
        indptr, indices = model.adj.indptr, model.adj.indices
        lo, hi = indptr[users], indptr[users + 1]
        deg = hi - lo
        has = deg > 0
        c = np.full(len(users), -1, np.int64)
        c[has] = indices[lo[has] + (rng.random(int(has.sum())) * deg[has]).astype(np.int64)]
        accept_p = model._gender_accept[kind]
        accept = (c >= 0) & (rng.random(len(c)) < accept_p[model.users.gender[np.maximum(c, 0)]])
        glob[local] = np.where(accept, c, glob[local])
    same = glob == creators
    glob[same] = (glob[same] + 1) % n
    return glob


@pytest.mark.parametrize("local_prob", [0.0, 0.5, 1.0])
def test_choose_targets_matches_the_array_code(local_prob):
    """Same targets and the same stream, with isolated creators and self-targets."""
    model = HarmModel(small_config(f"abusers.local_target_prob={local_prob}", n_users=400))
    # Cut every contact of the first 30 users: they have no contact to pick.
    adj = model.adj.tolil()
    for u in range(30):
        for v in adj.rows[u]:
            adj[v, u] = 0
        adj[u, :] = 0
    model.adj = sp.csr_array(adj.tocsr())
    model.adj.eliminate_zeros()
    rng = np.random.default_rng(7)
    creators = np.concatenate([np.arange(40), rng.integers(0, 400, 200)]).astype(np.int64)
    for kind in (HARASSMENT, DEEPFAKE):
        for seed in range(5):
            ours, ref = np.random.default_rng(seed), np.random.default_rng(seed)
            got = model._choose_targets(creators, kind, ours)
            np.testing.assert_array_equal(got, reference_targets(model, creators, kind, ref))
            assert ours.bit_generator.state == ref.bit_generator.state
            assert not (got == creators).any()
