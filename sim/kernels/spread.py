"""Compiled steps of :meth:`sim.model.HarmModel.spread_harmful_items` (views, reports, re-shares).

Attention to a share decays as ``exp(-(t - t_share) / tau)`` (``sim.content.attention_fraction``).
The exponentials themselves are taken by the caller with numpy's ``np.exp`` on the
exponents these kernels return, so the values are those of the array code to the last
bit (numba's ``exp`` differs from numpy's SIMD one in the last bit). All times are hours
since the start of the run; views are expected harmful views.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernels.posting import DEEPFAKE, LIVE, _numpy_sum


@njit(cache=True)
def window_exponents(
    item: np.ndarray,
    t_share: np.ndarray,
    removed_h: np.ndarray,
    start_h: float,
    end_h: float,
    tau_h: float,
    expo: np.ndarray,
    window_end: np.ndarray,
) -> None:
    """Exponents of today's attention window for each share, and the window's end.

    The window of share ``i`` is ``[start_h, min(end_h, removed_h[item[i]]))``: an item
    draws no views after its removal.

    Args:
        item: item of each share (n,).
        t_share: hour each share was made (n,).
        removed_h: hour each item was removed, ``inf`` if not (items,).
        start_h, end_h: today's first and last hour.
        tau_h: attention time constant, half-life / ln 2 (hours).
        expo: out (2n,): ``-a / tau`` then ``-b / tau``, with ``a``, ``b`` the window's
            start and end in hours after the share (``a`` at least 0); the share's
            attention fraction today is ``max(exp(expo[i]) - exp(expo[n + i]), 0)``.
        window_end: out (n,): the window's end hour.
    """
    n = len(item)
    for i in range(n):
        t = t_share[i]
        w = min(end_h, removed_h[item[i]])
        window_end[i] = w
        expo[i] = -(max(start_h, t) - t) / tau_h
        expo[n + i] = -(max(w, t) - t) / tau_h


@njit(cache=True)
def share_views(
    e: np.ndarray,
    audience: np.ndarray,
    view_prob: float,
    item: np.ndarray,
    item_platform: np.ndarray,
    appeal: np.ndarray,
    item_views: np.ndarray,
    report_prob: float,
    reshare_prob: float,
    by_platform: np.ndarray,
    report_rate: np.ndarray,
    reshare_rate: np.ndarray,
) -> float:
    """Harmful views of each share today, added to its item; the rates of what they cause.

    Args:
        e: ``np.exp`` of :func:`window_exponents`' ``expo`` (2n,).
        audience: contacts who can see each share (n,).
        view_prob: share of an audience that sees a post.
        item: item of each share (n,).
        item_platform: platform index of each item (items,).
        appeal: each item's appeal in [0, 1] (items,).
        item_views: harmful views of each item so far (items,); today's are added in place.
        report_prob: bystander reports per harmful view.
        reshare_prob: re-shares per harmful view of an item of appeal 1.
        by_platform: views per platform today (n_platforms,), added in place.
        report_rate, reshare_rate: out (n,): expected reports and re-shares of each share.

    Returns:
        The views of all shares today, summed as numpy's ``.sum()`` does.
    """
    n = len(item)
    views = np.empty(n)
    for i in range(n):
        frac = max(e[i] - e[n + i], 0.0)
        v = audience[i] * view_prob * frac
        views[i] = v
        by_platform[item_platform[item[i]]] += v
        report_rate[i] = v * report_prob
        reshare_rate[i] = v * reshare_prob * appeal[item[i]]
    _add_by_item(item_views, item, views)
    return _numpy_sum(views, 0, n)


@njit(cache=True)
def _add_by_item(col: np.ndarray, item: np.ndarray, weights: np.ndarray) -> None:
    """``col[i] +=`` the sum of ``weights`` over the rows of item ``i``.

    Rows are summed per item first, in row order, then added: the same sums, to the
    last bit, as ``np.bincount(item, weights)`` added to ``col``.
    """
    if len(item) == 0:
        return
    lo = item.min()
    sums = np.zeros(item.max() - lo + 1)
    for i in range(len(item)):
        sums[item[i] - lo] += weights[i]
    for j in range(len(sums)):
        col[lo + j] += sums[j]


@njit(cache=True)
def report_rows(
    events: np.ndarray,
    item: np.ndarray,
    t_share: np.ndarray,
    window_end: np.ndarray,
    start_h: float,
    item_reports: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shares that drew bystander reports today; their reports are added to their items.

    Args:
        events: the share of each report today, ascending (``sim.sampling.poisson_rows``).
        item, t_share, window_end: each share's item, hour and window end (n,).
        start_h: today's first hour.
        item_reports: reports of each item so far (items,), updated in place.

    Returns:
        ``rows`` (r,) the reported shares, each once, ``items`` (r,) their items, ``lo``
        (r,) the earliest hour a report can come (the later of today's start and the
        share) and ``span`` (r,) the hours from ``lo`` to the window's end (at least 0).
    """
    r = 0
    for j in range(len(events)):
        if j == 0 or events[j] != events[j - 1]:
            r += 1
    rows = np.empty(r, np.int64)
    items = np.empty(r, np.int64)
    lo = np.empty(r)
    span = np.empty(r)
    k = -1
    for j in range(len(events)):
        i = events[j]
        item_reports[item[i]] += 1
        if j == 0 or i != events[j - 1]:
            k += 1
            rows[k] = i
            items[k] = item[i]
            lo[k] = max(start_h, t_share[i])
            span[k] = max(window_end[i] - lo[k], 0.0)
    return rows, items, lo, span


@njit(cache=True)
def new_reshares(
    rows: np.ndarray,
    new_sharer: np.ndarray,
    u: np.ndarray,
    item: np.ndarray,
    t_share: np.ndarray,
    window_end: np.ndarray,
    item_state: np.ndarray,
    item_platform: np.ndarray,
    item_kind: np.ndarray,
    member: np.ndarray,
    start_h: float,
    known_keys: np.ndarray,
    n_users: int,
    item_shares: np.ndarray,
    out_item: np.ndarray,
    out_sharer: np.ndarray,
    out_t: np.ndarray,
    out_platform: np.ndarray,
) -> tuple[int, int]:
    """The re-shares that happen, of the candidates drawn today (``spread_harmful_items``).

    Candidate ``j`` re-shares share ``rows[j]`` by contact ``new_sharer[j]``. It can happen
    if the contact exists (>= 0), the item is still live, the contact is on the item's
    platform and the share's window today is not empty; it comes at hour ``lo + u[j] x
    span``, ``lo`` the later of today's start and the share, ``span`` the hours from ``lo``
    to the window's end. A user shares an item at most once (saturation): a candidate
    whose (item, user) key (``item x n_users + user``) is in ``known_keys`` (sorted) or
    came earlier today is dropped. The re-shares that happen are counted in
    ``item_shares`` and written, in candidate order, to the start of the ``out_*`` arrays.

    Args:
        rows, new_sharer, u: per candidate (m,).
        item, t_share, window_end: per share (n,).
        item_state, item_platform, item_kind: per item; ``LIVE`` is the live state.
        member: (users, platforms) bool, user is on the platform.
        out_item, out_sharer, out_t, out_platform: out (m,): item, user, hour and platform
            of each re-share.

    Returns:
        ``(k, n_deepfake)``: the number of re-shares and how many are of deepfakes.
    """
    seen = set()
    k = 0
    n_deepfake = 0
    for j in range(len(rows)):
        s = rows[j]
        it = item[s]
        p = item_platform[it]
        usr = new_sharer[j]
        lo = max(start_h, t_share[s])
        span = max(window_end[s] - lo, 0.0)
        t = lo + u[j] * span
        if not (usr >= 0 and item_state[it] == LIVE and member[usr, p] and window_end[s] > lo):
            continue
        key = np.int64(it) * n_users + np.int64(usr)
        if key in seen:
            continue
        seen.add(key)
        pos = np.searchsorted(known_keys, key)
        if pos < len(known_keys) and known_keys[pos] == key:
            continue
        out_item[k], out_sharer[k], out_t[k], out_platform[k] = it, usr, t, p
        item_shares[it] += 1
        if item_kind[it] == DEEPFAKE:
            n_deepfake += 1
        k += 1
    return k, n_deepfake


@njit(cache=True)
def new_share_exponents(
    item: np.ndarray,
    t_share: np.ndarray,
    removed_h: np.ndarray,
    end_h: float,
    tau_h: float,
    expo: np.ndarray,
) -> None:
    """``expo = -b / tau`` for shares made today: ``b`` hours from the share to the window's end.

    A new share's window starts at the share itself, so its attention fraction today is
    ``max(1 - exp(expo), 0)``. ``expo`` is the output, shape (n,) like ``item``.
    """
    for i in range(len(item)):
        t = t_share[i]
        w = min(end_h, removed_h[item[i]])
        expo[i] = -(max(w, t) - t) / tau_h


@njit(cache=True)
def new_share_views(
    e: np.ndarray,
    audience: np.ndarray,
    view_prob: float,
    item: np.ndarray,
    item_platform: np.ndarray,
    item_views: np.ndarray,
    by_platform: np.ndarray,
) -> float:
    """Views of today's new shares from their hour to midnight, added to items and platforms.

    Args:
        e: ``np.exp`` of :func:`new_share_exponents` (k,).
        audience, item: per new share (k,).
        item_platform: platform index of each item (items,).
        item_views: harmful views per item (items,), updated in place.
        by_platform: harmful views per platform today, updated in place.

    Returns:
        The views of the new shares, summed as numpy's ``.sum()`` does.
    """
    k = len(item)
    extra = np.empty(k)
    add = np.zeros(len(by_platform))
    for i in range(k):
        # exp(-0 / tau) is exactly 1: the window opens at the share.
        v = audience[i] * view_prob * max(1.0 - e[i], 0.0)
        extra[i] = v
        add[item_platform[item[i]]] += v
    for j in range(len(by_platform)):
        by_platform[j] += add[j]
    _add_by_item(item_views, item, extra)
    return _numpy_sum(extra, 0, k)


@njit(cache=True)
def compact_shares(
    item: np.ndarray,
    sharer: np.ndarray,
    t_share: np.ndarray,
    audience: np.ndarray,
    n: int,
    item_state: np.ndarray,
    live: int,
    lifetime_h: float,
    end_h: float,
) -> int:
    """Drop, in place, the shares that no longer draw views; return how many are kept.

    A share is kept while its item is live (state ``live``) and
    ``t_share + lifetime_h > end_h`` (its attention is not yet spent).
    """
    k = 0
    for i in range(n):
        if item_state[item[i]] == live and t_share[i] + lifetime_h > end_h:
            item[k] = item[i]
            sharer[k] = sharer[i]
            t_share[k] = t_share[i]
            audience[k] = audience[i]
            k += 1
    return k


@njit(cache=True)
def attentive_contacts(
    users: np.ndarray,
    u: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    attention: np.ndarray,
    contact: np.ndarray,
) -> None:
    """One contact per user, drawn with probability proportional to its attention.

    Inverse CDF over the user's CSR row: contact ``c`` of ``users[j]`` is chosen when
    ``u[j] x total`` falls in ``c``'s part of the running total of ``attention`` over the
    row (a rounding overshoot takes the last contact). Used by
    :meth:`sim.model.HarmModel._attentive_contacts`.

    Args:
        users: who draws (m,).
        u: one uniform in [0, 1) per user (m,).
        indptr, indices: the network in CSR form.
        attention: each user's attention, > 0 (n,) (``sim.content.reshare_attention``).
        contact: out (m,): the contact drawn, -1 for a user without contacts.
    """
    for j in range(len(users)):
        lo, hi = indptr[users[j]], indptr[users[j] + 1]
        if hi == lo:
            contact[j] = -1
            continue
        total = 0.0
        for e in range(lo, hi):
            total += attention[indices[e]]
        x = u[j] * total
        run = 0.0
        pick = hi - 1
        for e in range(lo, hi):
            run += attention[indices[e]]
            if x < run:
                pick = e
                break
        contact[j] = indices[pick]
