"""The compiled kernels (sim/kernels) give what the numpy formulations they replace give.

Each test states the array formula a kernel stands for and compares on random inputs,
exactly (``==``) where the kernel promises the same bits, so a kernel that drifts from
the model's documented mechanism fails here before it changes a result.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.content import LIVE, REMOVED, Shares, attention_fraction
from sim.kernels import spread


def _shares(rng: np.random.Generator, n: int, n_items: int) -> dict[str, np.ndarray]:
    start = 240.0
    return {
        "item": rng.integers(0, n_items, n),
        "t": start - rng.random(n) * 100 + rng.random(n) * 30,  # some shares made today
        "removed_h": np.where(rng.random(n_items) < 0.3, start + rng.random(n_items) * 30, np.inf),
        "audience": rng.integers(0, 50, n).astype(np.float64),
        "platform": rng.integers(0, 4, n_items).astype(np.int8),
        "appeal": rng.random(n_items),
    }


@pytest.mark.parametrize("seed", range(5))
def test_share_views_equal_attention_fraction_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, n_items, start, end, half, vp = 300, 40, 240.0, 264.0, 2.0, 0.3
    s = _shares(rng, n, n_items)
    window_end = np.minimum(end, s["removed_h"][s["item"]])
    want = s["audience"] * vp * attention_fraction(s["t"], start, window_end, half)
    want_views = np.zeros(n_items)
    want_views += np.bincount(s["item"], weights=want, minlength=n_items)

    tau = half / np.log(2.0)
    expo, w_end = spread.window_exponents(s["item"], s["t"], s["removed_h"], start, end, tau)
    views_col = np.zeros(n_items)
    views, by_plat, rep, resh = spread.share_views(
        np.exp(expo),
        s["audience"],
        vp,
        s["item"],
        s["platform"],
        s["appeal"],
        views_col,
        0.01,
        0.5,
        4,
    )
    assert np.array_equal(w_end, window_end)
    assert np.array_equal(views, want)
    assert np.array_equal(views_col, want_views)
    assert np.array_equal(by_plat, np.bincount(s["platform"][s["item"]], weights=want, minlength=4))
    assert np.array_equal(rep, want * 0.01)
    assert np.array_equal(resh, want * 0.5 * s["appeal"][s["item"]])


def test_new_share_views_start_at_the_share() -> None:
    rng = np.random.default_rng(1)
    n_items, end, half, vp = 30, 264.0, 3.0, 0.2
    s = _shares(rng, 100, n_items)
    t = 240.0 + rng.random(100) * 24
    want = (
        s["audience"]
        * vp
        * attention_fraction(t, t, np.minimum(end, s["removed_h"][s["item"]]), half)
    )
    tau = half / np.log(2.0)
    e = np.exp(spread.new_share_exponents(s["item"], t, s["removed_h"], end, tau))
    col, by_plat = np.ones(n_items), np.full(4, 2.0)
    extra = spread.new_share_views(e, s["audience"], vp, s["item"], s["platform"], col, by_plat)
    assert np.array_equal(extra, want)
    assert np.array_equal(col, 1.0 + np.bincount(s["item"], weights=want, minlength=n_items))
    assert np.array_equal(
        by_plat, 2.0 + np.bincount(s["platform"][s["item"]], weights=want, minlength=4)
    )


@pytest.mark.parametrize("seed", range(5))
def test_first_new_keys_is_first_occurrence_not_known(seed: int) -> None:
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 60, 80)
    known = np.unique(rng.integers(0, 60, 20))
    _, first = np.unique(keys, return_index=True)
    first = first[~np.isin(keys[first], known)]
    assert np.array_equal(spread.first_new_keys(keys, known), np.sort(first))
    assert len(spread.first_new_keys(keys, np.zeros(0, np.int64))) == len(np.unique(keys))


def test_repeat_rows_and_report_rows() -> None:
    rng = np.random.default_rng(3)
    counts = rng.poisson(0.7, 50)
    assert np.array_equal(spread.repeat_rows(counts), np.repeat(np.arange(50), counts))
    item = rng.integers(0, 10, 50)
    t = rng.random(50) * 48
    w_end = np.full(50, 48.0)
    reports_col = np.zeros(10, np.int64)
    rows, items, lo, span = spread.report_rows(counts, item, t, w_end, 24.0, reports_col)
    assert np.array_equal(rows, np.flatnonzero(counts))
    assert np.array_equal(items, item[rows])
    assert np.array_equal(reports_col, np.bincount(item, weights=counts, minlength=10))
    assert np.array_equal(lo, np.maximum(24.0, t[rows]))
    assert np.array_equal(span, np.maximum(w_end[rows] - lo, 0.0))


def test_reshare_candidates_need_contact_live_item_membership_and_time() -> None:
    item = np.array([0, 1, 2])
    t = np.array([10.0, 30.0, 20.0])
    w_end = np.array([48.0, 48.0, 25.0])
    state = np.array([LIVE, REMOVED, LIVE], np.int8)
    plat = np.array([0, 1, 1], np.int8)
    member = np.array([[True, False], [False, True], [True, True]])
    rows = np.array([0, 0, 1, 2, 2])
    sharer = np.array([0, 1, 2, -1, 2])
    new_item, p, ok, lo, span = spread.reshare_candidates(
        rows, sharer, item, t, w_end, state, plat, member, 24.0, LIVE
    )
    assert new_item.tolist() == [0, 0, 1, 2, 2]
    assert p.tolist() == [0, 0, 1, 1, 1]
    # user 1 is not on platform 0; item 1 is removed; no contact; share 2's window is over
    assert ok.tolist() == [True, False, False, False, True]
    assert lo.tolist() == [24.0, 24.0, 30.0, 24.0, 24.0]
    assert span.tolist() == [24.0, 24.0, 18.0, 1.0, 1.0]


def test_shares_drop_spent_keeps_live_recent_shares_in_order() -> None:
    sh = Shares(capacity=16)
    sh.append(
        item=np.array([0, 1, 0, 2]),
        sharer=np.array([5, 6, 7, 8]),
        t_h=np.array([0.0, 50.0, 40.0, 45.0]),
        audience=np.array([1.0, 2.0, 3.0, 4.0]),
    )
    state = np.array([LIVE, LIVE, REMOVED], np.int8)
    sh.drop_spent(state, lifetime_h=20.0, end_h=48.0)  # keeps t + 20 > 48 of live items
    assert sh.view("sharer").tolist() == [6, 7]
    assert sh.view("audience").tolist() == [2.0, 3.0]


def test_warm_up_run_calls_every_kernel() -> None:
    # `make setup` compiles the kernels with this run; a kernel it never calls is either
    # dead code or compiles in every sweep worker on first use.
    from sim.kernels.__main__ import kernels, warm_up

    assert kernels(), "no kernels found"
    assert warm_up() == []


def test_attentive_contact_steps_match_array_formulas() -> None:
    import scipy.sparse as sp

    rng = np.random.default_rng(4)
    adj = sp.random_array((40, 40), density=0.2, format="csr", rng=rng)
    adj = ((adj + adj.T) > 0).astype(np.int8).tocsr()
    users = np.flatnonzero(np.diff(adj.indptr) > 0)[:25]
    contact = rng.integers(0, 40, len(users))
    pending = np.arange(len(users))
    attention = rng.random(40)
    u = rng.random(len(pending))
    want = pending[~(u < attention[contact[pending]])]
    got = spread.rejected(u, pending, contact, attention)
    assert np.array_equal(got, want)
    u2 = rng.random(len(got))
    lo, deg = adj.indptr[users[got]], np.diff(adj.indptr)[users[got]]
    expected = contact.copy()
    expected[got] = adj.indices[lo + (u2 * deg).astype(np.int64)]
    spread.redraw_contacts(u2, got, users, adj.indptr, adj.indices, contact)
    assert np.array_equal(contact, expected)
