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
    expo, w_end = np.empty(2 * n), np.empty(n)
    spread.window_exponents(s["item"], s["t"], s["removed_h"], start, end, tau, expo, w_end)
    views_col, by_plat = np.zeros(n_items), np.zeros(4)
    rep, resh = np.empty(n), np.empty(n)
    total = spread.share_views(
        np.exp(expo),
        s["audience"],
        vp,
        s["item"],
        s["platform"],
        s["appeal"],
        views_col,
        0.01,
        0.5,
        by_plat,
        rep,
        resh,
    )
    assert np.array_equal(w_end, window_end)
    assert total == want.sum()
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
    expo = np.empty(100)
    spread.new_share_exponents(s["item"], t, s["removed_h"], end, tau, expo)
    e = np.exp(expo)
    col, by_plat = np.ones(n_items), np.full(4, 2.0)
    extra = spread.new_share_views(e, s["audience"], vp, s["item"], s["platform"], col, by_plat)
    assert extra == want.sum()
    assert np.array_equal(col, 1.0 + np.bincount(s["item"], weights=want, minlength=n_items))
    assert np.array_equal(
        by_plat, 2.0 + np.bincount(s["platform"][s["item"]], weights=want, minlength=4)
    )


def test_report_rows() -> None:
    rng = np.random.default_rng(3)
    counts = rng.poisson(0.7, 50)
    events = np.repeat(np.arange(50), counts)
    item = rng.integers(0, 10, 50)
    t = rng.random(50) * 48
    w_end = np.full(50, 48.0)
    reports_col = np.zeros(10, np.int64)
    rows, items, lo, span = spread.report_rows(events, item, t, w_end, 24.0, reports_col)
    assert np.array_equal(rows, np.flatnonzero(counts))
    assert np.array_equal(items, item[rows])
    assert np.array_equal(reports_col, np.bincount(item, weights=counts, minlength=10))
    assert np.array_equal(lo, np.maximum(24.0, t[rows]))
    assert np.array_equal(span, np.maximum(w_end[rows] - lo, 0.0))
    none = spread.report_rows(events[:0], item, t, w_end, 24.0, reports_col)
    assert all(len(a) == 0 for a in none)


def test_new_reshares_need_contact_live_item_membership_time_and_novelty() -> None:
    item = np.array([0, 1, 2])
    t = np.array([10.0, 30.0, 20.0])
    w_end = np.array([48.0, 48.0, 25.0])
    state = np.array([LIVE, REMOVED, LIVE], np.int8)
    plat = np.array([0, 1, 1], np.int8)
    kind = np.array([0, 0, 1], np.int8)
    member = np.array([[True, False], [False, True], [True, True], [True, True]])
    rows = np.array([0, 0, 1, 2, 2, 2, 0])
    sharer = np.array([0, 1, 2, -1, 2, 2, 3])
    u = np.linspace(0.0, 0.9, len(rows))
    known = np.array([0 * 4 + 3])  # user 3 shared item 0 before
    shares = np.zeros(3, np.int64)
    out_i, out_s, out_p = (np.empty(len(rows), np.int64) for _ in range(3))
    out_t = np.empty(len(rows))
    k, n_df = spread.new_reshares(
        rows, sharer, u, item, t, w_end, state, plat, kind, member, 24.0, known, 4, shares,
        out_i, out_s, out_t, out_p,
    )  # fmt: skip
    # user 1 is not on platform 0; item 1 is removed; no contact; user 2 already re-shared
    # item 2 (row 5); user 3 shared item 0 before (row 6)
    assert k == 2 and n_df == 1
    assert out_i[:k].tolist() == [0, 2]
    assert out_s[:k].tolist() == [0, 2]
    assert out_p[:k].tolist() == [0, 1]
    # lo + u x span: the later of today's start and the share, to the window's end
    assert out_t[:k].tolist() == [24.0 + u[0] * 24.0, 24.0 + u[4] * 1.0]
    assert shares.tolist() == [1, 0, 1]


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


def _contacts_graph(rng: np.random.Generator):
    import scipy.sparse as sp

    adj = sp.random_array((40, 40), density=0.1, format="csr", rng=rng)
    adj = ((adj + adj.T) > 0).astype(np.int8).tolil()
    adj[:10, :], adj[:, :10] = 0, 0  # users 0-9 have no contacts
    return adj.tocsr()


def test_attentive_contacts_invert_the_running_attention() -> None:
    rng = np.random.default_rng(4)
    adj = _contacts_graph(rng)
    users = rng.integers(0, 40, 30)
    deg = np.diff(adj.indptr)
    assert (deg[users] == 0).any() and (deg[users] > 0).any()
    attention = rng.random(40) + 0.01
    u = rng.random(30)
    contact = np.empty(30, np.int64)
    spread.attentive_contacts(users, u, adj.indptr, adj.indices, attention, contact)
    for j, user in enumerate(users):
        row = adj.indices[adj.indptr[user] : adj.indptr[user + 1]]
        if len(row) == 0:
            assert contact[j] == -1
            continue
        cum = np.cumsum(attention[row])
        assert (
            contact[j] == row[min(np.searchsorted(cum, u[j] * cum[-1], side="right"), len(row) - 1)]
        )


def test_attentive_contacts_are_drawn_in_proportion_to_attention() -> None:
    from scipy import stats

    rng = np.random.default_rng(5)
    adj = _contacts_graph(rng)
    user = int(np.argmax(np.diff(adj.indptr)))
    row = adj.indices[adj.indptr[user] : adj.indptr[user + 1]]
    attention = np.where(np.arange(40) % 2 == 0, 1.0, 0.2)
    m = 20_000
    contact = np.empty(m, np.int64)
    spread.attentive_contacts(
        np.full(m, user), rng.random(m), adj.indptr, adj.indices, attention, contact
    )
    observed = np.array([(contact == c).sum() for c in row])
    expected = attention[row] / attention[row].sum() * m
    assert observed.sum() == m
    assert stats.chisquare(observed, expected).pvalue > 1e-3
