"""The review kernels (sim/kernels/review.py) give bit-for-bit what the numpy code they
replaced gave, on random inputs with repeated indices and edge cases.

Each test writes the replaced numpy expression out as the reference; equality is exact
(``assert_array_equal`` compares floats bit-for-bit up to the sign of zero).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sim.content import DEEPFAKE, EXPIRED, LIVE, REMOVED, attention_fraction
from sim.kernels import review as k

N_PLAT = 4


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def test_count_live_and_due_for_review(rng: np.random.Generator) -> None:
    state = rng.choice([LIVE, REMOVED, EXPIRED], size=500).astype(np.int8)
    for lo in (0, 1, 250, 499, 500):
        ref = lo + np.flatnonzero(state[lo:] == LIVE)
        first = ref[0] if len(ref) else len(state)
        assert k.count_live(state, lo, len(state), LIVE) == (len(ref), first)
    live = np.flatnonzero(state == LIVE)
    due_h = np.where(rng.random(500) < 0.5, np.inf, rng.random(500) * 48)
    for lo in (0, 7, 500):
        ref = live[(live >= lo) & (due_h[live] < 24.0)]
        assert_array_equal(k.due_for_review(state, lo, len(state), LIVE, due_h, 24.0), ref)


def test_decide_reviews(rng: np.random.Generator) -> None:
    platform = rng.integers(0, N_PLAT, 300).astype(np.int8)
    proactive = rng.random(300) < 0.3
    accuracy = np.array([0.9, 0.5, 0.0, 1.0])
    due_h = rng.random(300) * 24
    due = np.sort(rng.choice(300, 80, replace=False))
    draw = rng.random(80)
    ref_due_h = due_h.copy()
    remove = proactive[due] | (draw < accuracy[platform[due]])
    gone_ref, kept = due[remove], due[~remove]
    at_ref = ref_due_h[gone_ref]
    ref_due_h[kept] = np.inf
    dismissed = np.full(N_PLAT, 99)  # overwritten
    gone, at_h = k.decide_reviews(due, draw, platform, proactive, accuracy, due_h, dismissed)
    assert_array_equal(gone, gone_ref)
    assert_array_equal(at_h, at_ref)
    assert_array_equal(due_h, ref_due_h)
    assert_array_equal(dismissed, np.bincount(platform[kept], minlength=N_PLAT))


def test_removed_shares_and_uncount_views(rng: np.random.Generator) -> None:
    n_items, n_sh, half, end = 200, 1000, 2.0, 48.0
    share_item = rng.integers(0, n_items, n_sh)
    t_share = rng.random(n_sh) * 48
    removed_h = np.full(n_items, np.inf)
    ids = np.sort(rng.choice(np.arange(50, 150), 20, replace=False))
    removed_h[ids] = rng.random(20) * 50  # some after the shares, some before
    rows, expo = k.removed_shares(share_item, t_share, ids, removed_h, end, half / np.log(2.0))
    assert_array_equal(rows, np.flatnonzero(np.isin(share_item, ids)))
    audience = rng.random(n_sh) * 50
    # Some items lose more than they had: their views are floored at 0.
    views = rng.random(n_items) * 3
    platform = rng.integers(0, N_PLAT, n_items).astype(np.int8)
    by_plat = rng.random(N_PLAT) * 1e3
    ref_views, ref_plat = views.copy(), by_plat.copy()
    hit = share_item[rows]
    # The numpy code it replaced (HarmModel._remove before the kernels).
    frac = attention_fraction(t_share[rows], removed_h[hit], np.full(len(rows), end), half)
    extra_ref = audience[rows] * 0.3 * frac
    lo = int(hit.min())
    sums = np.bincount(hit - lo, weights=-extra_ref)
    ref_views[lo : lo + len(sums)] += sums
    span = ref_views[hit.min() : hit.max() + 1]
    np.maximum(span, 0.0, out=span)
    ref_plat -= np.bincount(platform[hit], weights=extra_ref, minlength=N_PLAT)
    extra = k.uncount_views(rows, share_item, audience, 0.3, np.exp(expo), views, platform, by_plat)
    assert_array_equal(extra, extra_ref)
    assert_array_equal(views, ref_views)
    assert_array_equal(by_plat, ref_plat)
    assert (extra == 0).any() and (extra > 0).any()
    assert (views[ids] == 0).any() and (views >= 0).all()


def test_after_removal(rng: np.random.Generator) -> None:
    platform = rng.integers(0, N_PLAT, 100).astype(np.int8)
    views = rng.random(100) * 10
    potential = np.where(rng.random(100) < 0.2, 0.0, rng.random(100) * 12)
    suspension = np.array([0.0, 0.5, 1.0, 0.2])
    gone = np.sort(rng.choice(100, 40, replace=False))
    draw = rng.random(40)
    pot = potential[gone]
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(pot > 0, 1.0 - views[gone] / np.maximum(pot, 1e-12), 0.0)
    denied_ref = np.bincount(platform[gone], weights=np.clip(d, 0.0, 1.0), minlength=N_PLAT)
    denied = np.full(N_PLAT, 99.0)  # overwritten
    hit = k.after_removal(gone, draw, platform, views, potential, suspension, denied)
    assert_array_equal(denied, denied_ref)
    assert_array_equal(hit, np.flatnonzero(draw < suspension[platform[gone]]))


def test_end_items_harms_targets(rng: np.random.Generator) -> None:
    n = 300
    state = rng.choice([LIVE, REMOVED, EXPIRED], size=n, p=[0.6, 0.2, 0.2]).astype(np.int8)
    responded = (state != LIVE) & (rng.random(n) < 0.5)
    responded[:40] = state[:40] != LIVE
    created_h = rng.random(n) * 200
    lo = 40
    live = np.flatnonzero(state == LIVE)
    ref_state, ref_resp = state.copy(), responded.copy()
    old = live[created_h[live] + 7 * 24.0 <= 190.0]
    ref_state[old] = EXPIRED
    ended_ref = lo + np.flatnonzero((ref_state[lo:] != LIVE) & ~ref_resp[lo:])
    ref_resp[ended_ref] = True
    pending = np.flatnonzero(~ref_resp[lo:])
    lo_ref = lo + int(pending[0]) if len(pending) else n
    views = rng.random(n) * 5
    potential = np.where(rng.random(n) < 0.1, 0.0, rng.random(n) * 6)
    kind = rng.integers(0, 2, n).astype(np.int8)
    target = rng.integers(0, 20, n)  # many items per target: order of additions matters
    harm = rng.random(20)
    ref_harm = harm.copy()
    pot = np.maximum(potential[ended_ref], 1e-9)
    exposure_ref = 0.5 + 0.5 * np.minimum(1.0, views[ended_ref] / pot)
    weight = np.where(kind[ended_ref] == DEEPFAKE, 3.0, 1.0)
    np.add.at(ref_harm, target[ended_ref], weight * exposure_ref)
    content = (views, potential, kind, target, DEEPFAKE, 3.0, harm)

    ended, exposure, new_lo = k.end_items(
        live[0], created_h, 7 * 24.0, 190.0, state, responded, lo, LIVE, EXPIRED, *content
    )
    assert_array_equal(ended, ended_ref)
    assert new_lo == lo_ref
    assert_array_equal(state, ref_state)
    assert_array_equal(responded, ref_resp)
    assert_array_equal(exposure, exposure_ref)
    assert_array_equal(harm, ref_harm)
    # Nothing new to respond to: the mark stays and nobody is harmed.
    again, none, same_lo = k.end_items(
        0, created_h, 7 * 24.0, 190.0, state, responded, new_lo, LIVE, EXPIRED, *content
    )
    assert len(again) == 0 and len(none) == 0 and same_lo == new_lo
    assert_array_equal(harm, ref_harm)


def test_abuser_kernels(rng: np.random.Generator) -> None:
    a = 200
    alpha = rng.random((a, 3)) * 3 + 0.1
    beta = rng.random((a, 3)) * 30 + 0.1
    severity = np.array([0.4, 1.3, 0.8])
    active = np.array([True, False, True])
    incap = rng.integers(-1, 20, a)
    propensity = rng.random(a) * 0.2
    sanction, rate, free = np.empty((3, a)), np.empty(a), np.empty(a, bool)
    k.deterrence_inputs(alpha, beta, severity, active, incap, 10, propensity, sanction, rate, free)
    ref_free = incap < 10
    assert_array_equal(sanction, (alpha / (alpha + beta) * severity * active).T)
    assert_array_equal(rate, propensity * ref_free)
    assert_array_equal(free, ref_free)

    attempts = rng.poisson(rate * 20)
    deepfakes = rng.binomial(attempts, 0.3)
    willing = rng.random((3, a)) < 0.7  # one row per offence
    created = deepfakes * willing[2]
    shared_draw = rng.binomial(created, 0.5)
    acts = rng.random((a, 3))  # yesterday's, overwritten
    harass, shared, unshared = (rng.integers(0, 9, a) for _ in range(3))  # overwritten
    n_created, share = k.tally_acts(
        attempts, deepfakes, created, shared_draw, willing, free, acts, harass, shared, unshared
    )
    assert_array_equal(harass, (attempts - deepfakes) * willing[0])
    assert_array_equal(shared, shared_draw * willing[1])
    assert_array_equal(unshared, created - shared)
    assert_array_equal(acts, np.stack([harass, shared, created], axis=1).astype(float))
    assert n_created == int(created.sum())
    assert share == np.count_nonzero(willing[0, free]) / np.count_nonzero(free)

    ref_alpha = 0.5 + (alpha - 0.5) * 0.99
    ref_beta = 9.5 + (beta - 9.5) * 0.99
    ref_beta += acts * active
    k.forget_and_count(alpha, beta, 0.5, 9.5, 0.99, acts, active)
    assert_array_equal(alpha, ref_alpha)
    assert_array_equal(beta, ref_beta)


def test_day_counts_and_items_per_platform(rng: np.random.Generator) -> None:
    gender = rng.integers(0, 3, 100).astype(np.int8)
    child = rng.random(100) < 0.2
    victims = rng.integers(0, 100, 30)
    kind = rng.integers(0, 2, 50).astype(np.int8)
    proactive = rng.random(50) < 0.4
    new, removed = np.arange(20, 50), np.array([1, 7, 30, 44])
    by_gender, by_kind = np.full(3, 99), np.full(2, 99)  # overwritten
    n_child, n_pro = k.day_counts(
        victims, gender, child, new, kind, removed, proactive, by_gender, by_kind
    )
    assert_array_equal(by_gender, np.bincount(gender[victims], minlength=3))
    assert n_child == np.count_nonzero(child[victims])
    assert_array_equal(by_kind, np.bincount(kind[new], minlength=2))
    assert n_pro == np.count_nonzero(proactive[removed])
    platform = rng.integers(0, N_PLAT, 50).astype(np.int8)
    counts = np.full(N_PLAT, 99)  # overwritten
    for ids in (new, removed, new[:0]):
        k.items_per_platform(ids, platform, counts)
        assert_array_equal(counts, np.bincount(platform[ids], minlength=N_PLAT))
