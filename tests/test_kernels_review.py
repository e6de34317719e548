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
        due = np.full(len(state) - lo, -1)
        n_due = k.due_for_review(state, lo, len(state), LIVE, due_h, 24.0, due)
        assert_array_equal(due[:n_due], ref)


def test_review_removes_and_takes_back_views(rng: np.random.Generator) -> None:
    """decide_and_remove then after_removal, against the numpy code of review_reports
    (with ``_remove``) before the kernels."""
    n_items, n_sh, half, end = 300, 1000, 2.0, 48.0
    platform = rng.integers(0, N_PLAT, n_items).astype(np.int8)
    proactive = rng.random(n_items) < 0.3
    accuracy = np.array([0.9, 0.5, 0.0, 1.0])
    due_h = rng.random(n_items) * 50  # some after the shares, some before
    state = np.full(n_items, LIVE, np.int8)
    removed_h = np.full(n_items, np.inf)
    due = np.sort(rng.choice(np.arange(50, 250), 80, replace=False))
    draw = rng.random(80)
    share_item = rng.integers(0, n_items, n_sh + 7)  # rows past n_sh are not shares
    t_share = rng.random(n_sh + 7) * 48
    audience = rng.random(n_sh + 7) * 50
    # Some items lose more than they had: their views are floored at 0.
    views = rng.random(n_items) * 3
    potential = np.where(rng.random(n_items) < 0.2, 0.0, rng.random(n_items) * 12)
    by_plat = rng.random(N_PLAT) * 1e3
    suspension = np.array([0.0, 0.5, 1.0, 0.2])

    # The numpy code it replaced.
    ref_due_h, ref_removed_h, ref_state = due_h.copy(), removed_h.copy(), state.copy()
    ref_views, ref_plat = views.copy(), by_plat.copy()
    remove = proactive[due] | (draw < accuracy[platform[due]])
    gone_ref, kept = due[remove], due[~remove]
    ref_removed_h[gone_ref] = ref_due_h[gone_ref]
    ref_state[gone_ref] = REMOVED
    ref_due_h[kept] = np.inf
    rows_ref = np.flatnonzero(np.isin(share_item[:n_sh], gone_ref))
    hit = share_item[rows_ref]
    frac = attention_fraction(
        t_share[rows_ref], ref_removed_h[hit], np.full(len(rows_ref), end), half
    )
    extra_ref = audience[rows_ref] * 0.3 * frac
    lo = int(hit.min())
    sums = np.bincount(hit - lo, weights=-extra_ref)
    ref_views[lo : lo + len(sums)] += sums
    span = ref_views[hit.min() : hit.max() + 1]
    np.maximum(span, 0.0, out=span)
    ref_plat -= np.bincount(platform[hit], weights=extra_ref, minlength=N_PLAT)
    draw2 = rng.random(len(gone_ref))
    pot = potential[gone_ref]
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(pot > 0, 1.0 - ref_views[gone_ref] / np.maximum(pot, 1e-12), 0.0)
    denied_ref = np.bincount(platform[gone_ref], weights=np.clip(d, 0.0, 1.0), minlength=N_PLAT)
    suspended_ref = gone_ref[draw2 < suspension[platform[gone_ref]]]

    dismissed = np.full(N_PLAT, 99)  # overwritten
    rows, expo = np.empty(n_sh, np.int64), np.empty(2 * n_sh)
    n_gone, n_rows = k.decide_and_remove(
        due, 80, draw, platform, proactive, accuracy, due_h, removed_h, state, REMOVED,
        dismissed, share_item, t_share, n_sh, end, half / np.log(2.0), rows, expo,
    )  # fmt: skip
    gone = due[:n_gone]
    assert_array_equal(gone, gone_ref)
    assert_array_equal(due_h, ref_due_h)
    assert_array_equal(removed_h, ref_removed_h)
    assert_array_equal(state, ref_state)
    assert_array_equal(dismissed, np.bincount(platform[kept], minlength=N_PLAT))
    assert_array_equal(rows[:n_rows], rows_ref)
    denied = np.full(N_PLAT, 99.0)  # overwritten
    suspended = np.empty(n_gone, np.int64)
    taken, n_hit = k.after_removal(
        gone, draw2, platform, views, potential, suspension, denied, rows, n_rows,
        np.exp(expo[: 2 * n_rows]), share_item, audience, 0.3, by_plat, suspended,
    )  # fmt: skip
    assert taken == extra_ref.sum()
    assert_array_equal(views, ref_views)
    assert_array_equal(by_plat, ref_plat)
    assert (extra_ref == 0).any() and (extra_ref > 0).any()
    assert (views[gone] == 0).any() and (views >= 0).all()
    assert_array_equal(denied, denied_ref)
    assert_array_equal(suspended[:n_hit], suspended_ref)
    assert 0 < n_hit < n_gone


def test_review_without_removals_or_shares(rng: np.random.Generator) -> None:
    """Nothing removed: nothing changes but closed reviews; removals without shares."""
    platform = np.zeros(10, np.int8)
    due_h, removed_h = np.arange(10.0), np.full(10, np.inf)
    state = np.full(10, LIVE, np.int8)
    share_item, t_share = np.array([2, 3]), np.array([1.0, 2.0])
    rows, expo = np.full(2, -1), np.full(4, -1.0)
    dismissed = np.zeros(1, np.int64)
    due = np.array([2, 3, 5])
    args = (platform, np.zeros(10, bool), np.array([0.5]), due_h, removed_h, state, REMOVED)
    n_gone, n_rows = k.decide_and_remove(
        due, 3, np.full(3, 0.9), *args, dismissed, share_item, t_share, 2, 24.0, 3.0, rows, expo
    )
    assert (n_gone, n_rows) == (0, 0) and dismissed[0] == 3
    assert np.isinf(due_h[[2, 3, 5]]).all() and (state == LIVE).all()
    assert (rows == -1).all() and (expo == -1.0).all()
    due = np.array([6, 7])
    n_gone, n_rows = k.decide_and_remove(
        due, 2, np.full(2, 0.1), *args, dismissed, share_item, t_share, 0, 24.0, 3.0, rows, expo
    )
    assert (n_gone, n_rows) == (2, 0) and dismissed[0] == 0
    assert_array_equal(removed_h[[6, 7]], [6.0, 7.0])
    views, denied = np.ones(10), np.zeros(1)
    taken, n_hit = k.after_removal(
        due[:2], np.full(2, 0.5), platform, views, np.full(10, 4.0), np.zeros(1), denied,
        rows, 0, expo[:0], share_item, np.ones(2), 0.3, np.zeros(1), np.empty(2, np.int64),
    )  # fmt: skip
    assert (taken, n_hit) == (0.0, 0) and denied[0] == 1.5 and (views == 1).all()


@pytest.mark.parametrize("lo", [40, 0])  # the search from above or below the first live item
def test_end_items_harms_targets(rng: np.random.Generator, lo: int) -> None:
    n = 300
    state = rng.choice([LIVE, REMOVED, EXPIRED], size=n, p=[0.6, 0.2, 0.2]).astype(np.int8)
    state[:3] = REMOVED
    responded = (state != LIVE) & (rng.random(n) < 0.5)
    responded[:40] = state[:40] != LIVE
    created_h = rng.random(n) * 200
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

    ended, exposure = np.empty(n - lo, np.int64), np.empty(n - lo)
    n_ended, new_lo = k.end_items(
        live[0], created_h, 7 * 24.0, 190.0, state, n, responded, lo, LIVE, EXPIRED, *content,
        ended, exposure,
    )  # fmt: skip
    ended, exposure = ended[:n_ended], exposure[:n_ended]
    assert_array_equal(ended, ended_ref)
    assert new_lo == lo_ref
    assert_array_equal(state, ref_state)
    assert_array_equal(responded, ref_resp)
    assert_array_equal(exposure, exposure_ref)
    assert_array_equal(harm, ref_harm)
    # Nothing new to respond to: the mark stays and nobody is harmed.
    n_again, same_lo = k.end_items(
        0, created_h, 7 * 24.0, 190.0, state, n, responded, new_lo, LIVE, EXPIRED, *content,
        np.empty(n - new_lo, np.int64), np.empty(n - new_lo),
    )  # fmt: skip
    assert n_again == 0 and same_lo == new_lo
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
    u = rng.random(2 * attempts.sum())
    willing = rng.random((3, a)) < 0.7  # one row per offence
    # The array formula: attempt e of abuser row[e] uses u[2e] (kind) and u[2e + 1] (shared).
    row = np.repeat(np.arange(a), attempts)
    is_df = u[0::2] < 0.3
    deepfakes = np.bincount(row[is_df], minlength=a)
    offered = np.bincount(row[is_df & (u[1::2] < 0.5)], minlength=a)
    created = deepfakes * willing[2]
    acts = rng.random((a, 3))  # yesterday's, overwritten
    harass, shared, unshared = (rng.integers(0, 9, a) for _ in range(3))  # overwritten
    n_created, share = k.tally_acts(
        attempts, u, 0.3, 0.5, willing, free, acts, harass, shared, unshared
    )
    assert deepfakes.any() and (attempts - deepfakes).any() and offered.any()
    assert_array_equal(harass, (attempts - deepfakes) * willing[0])
    assert_array_equal(shared, offered * willing[2] * willing[1])
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
