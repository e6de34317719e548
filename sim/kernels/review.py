"""Kernels of the processes after spread: review, takedown, items ending, abusers' decisions.

Each kernel fuses the deterministic glue between two random draws of one process of
``sim/model.py`` (the draws stay there, in numpy). Floating-point sums are accumulated
in the order ``np.bincount`` and ``np.add.at`` use (sequentially, into zeros, then added
to the target), so results are bit-for-bit those of the array code they replaced.
Item ids index the columns of :class:`sim.content.HarmfulItems`; platform indices the
model's ``platform_list``; hours are hours since the start of the run.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def live_items(state: np.ndarray, lo: int, n: int, live: int) -> np.ndarray:
    """Ids ``i`` in ``[lo, n)`` with ``state[i] == live`` (increasing, int64).

    Used by :meth:`sim.content.HarmfulItems.live_ids`.
    """
    count = 0
    for i in range(lo, n):
        if state[i] == live:
            count += 1
    out = np.empty(count, np.int64)
    k = 0
    for i in range(lo, n):
        if state[i] == live:
            out[k] = i
            k += 1
    return out


@numba.njit(cache=True)
def due_for_review(live: np.ndarray, review_due_h: np.ndarray, end_h: float) -> np.ndarray:
    """The ``live`` items whose pending review falls due before ``end_h`` (hours).

    Used by :meth:`sim.model.HarmModel.review_reports`.
    """
    mask = np.empty(len(live), np.bool_)
    for k in range(len(live)):
        mask[k] = review_due_h[live[k]] < end_h
    return live[mask]


@numba.njit(cache=True)
def decide_reviews(
    due: np.ndarray,
    draw: np.ndarray,
    platform: np.ndarray,
    proactive: np.ndarray,
    accuracy: np.ndarray,
    review_due_h: np.ndarray,
    n_plat: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome of the reviews of the ``due`` items, given one uniform ``draw`` per item.

    An automated detection (``proactive``) is removed outright; a human review removes
    the item when ``draw < accuracy`` of its platform. Items kept have their review
    closed (``review_due_h`` set to ``inf``, in place).

    Returns:
        (ids removed, the hour each is removed (its review hour), reviews per platform
        that left the item up (int64, shape (n_plat,))).
        Used by :meth:`sim.model.HarmModel.review_reports`.
    """
    remove = np.empty(len(due), np.bool_)
    dismissed = np.zeros(n_plat, np.int64)
    for k in range(len(due)):
        i = due[k]
        remove[k] = proactive[i] or draw[k] < accuracy[platform[i]]
    gone = due[remove]
    at_h = review_due_h[gone]
    for k in range(len(due)):
        if not remove[k]:
            i = due[k]
            review_due_h[i] = np.inf
            dismissed[platform[i]] += 1
    return gone, at_h, dismissed


@numba.njit(cache=True)
def shares_of(share_item: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Rows of ``share_item`` (the item of each share) whose item is one of ``ids``.

    A lookup table over the span of ``ids`` (non-empty). Used by
    :meth:`sim.model.HarmModel._remove`.
    """
    lo = ids.min()
    table = np.zeros(ids.max() - lo + 1, np.bool_)
    for i in ids:
        table[i - lo] = True
    mask = np.zeros(len(share_item), np.bool_)
    for r in range(len(share_item)):
        rel = share_item[r] - lo
        if rel >= 0 and rel < len(table):
            mask[r] = table[rel]
    return np.flatnonzero(mask)


@numba.njit(cache=True)
def uncount_views(
    rows: np.ndarray,
    share_item: np.ndarray,
    audience: np.ndarray,
    view_prob: float,
    frac: np.ndarray,
    views: np.ndarray,
    platform: np.ndarray,
    views_by_platform: np.ndarray,
) -> np.ndarray:
    """Take back the views that share ``rows`` would have drawn after their items' removal.

    Share ``rows[k]`` loses ``audience x view_prob x frac[k]`` views (``frac``: share of
    its attention after the removal). In place: the ``views`` of each item drop by the
    sum over its shares (not below 0), and ``views_by_platform`` by that of its
    platform's shares. Sums are formed as ``np.bincount`` forms them (in row order, from
    0.0). Returns the views taken back per row. Used by :meth:`sim.model.HarmModel._remove`.
    """
    extra = np.empty(len(rows))
    lo = share_item[rows[0]]
    hi = lo
    for k in range(len(rows)):
        i = share_item[rows[k]]
        extra[k] = audience[rows[k]] * view_prob * frac[k]
        lo = min(lo, i)
        hi = max(hi, i)
    sums = np.zeros(hi - lo + 1)
    by_plat = np.zeros(len(views_by_platform))
    for k in range(len(rows)):
        i = share_item[rows[k]]
        sums[i - lo] += -extra[k]
        by_plat[platform[i]] += extra[k]
    for k in range(len(sums)):
        v = views[lo + k] + sums[k]
        views[lo + k] = 0.0 if v < 0.0 else v  # np.maximum(v, 0.0): keeps -0.0
    for j in range(len(by_plat)):
        views_by_platform[j] -= by_plat[j]
    return extra


@numba.njit(cache=True)
def after_removal(
    gone: np.ndarray,
    draw: np.ndarray,
    platform: np.ndarray,
    views: np.ndarray,
    potential_views: np.ndarray,
    suspension_prob: np.ndarray,
    n_plat: int,
) -> tuple[np.ndarray, np.ndarray]:
    """What the removals of ``gone`` cost their creators, given one uniform ``draw`` each.

    Returns:
        (share of each item's expected views the removal prevented, clipped to [0, 1]
        and summed per platform (shape (n_plat,)); rows of ``gone`` whose creator's
        account is suspended, ``draw < suspension_prob`` of the platform).
        Used by :meth:`sim.model.HarmModel.review_reports`.
    """
    denied = np.zeros(n_plat)
    hit = np.zeros(len(gone), np.bool_)
    for k in range(len(gone)):
        i = gone[k]
        pot = potential_views[i]
        d = 1.0 - views[i] / max(pot, 1e-12) if pot > 0 else 0.0
        d = min(max(d, 0.0), 1.0)
        denied[platform[i]] += d
        hit[k] = draw[k] < suspension_prob[platform[i]]
    return denied, np.flatnonzero(hit)
