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


@njit(cache=True)
def window_exponents(
    item: np.ndarray,
    t_share: np.ndarray,
    removed_h: np.ndarray,
    start_h: float,
    end_h: float,
    tau_h: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Exponents of today's attention window for each share, and the window's end.

    The window of share ``i`` is ``[start_h, min(end_h, removed_h[item[i]]))``: an item
    draws no views after its removal.

    Args:
        item: item of each share (n,).
        t_share: hour each share was made (n,).
        removed_h: hour each item was removed, ``inf`` if not (items,).
        start_h, end_h: today's first and last hour.
        tau_h: attention time constant, half-life / ln 2 (hours).

    Returns:
        ``expo`` (2n,): ``-a / tau`` then ``-b / tau``, with ``a``, ``b`` the window's
        start and end in hours after the share (``a`` at least 0); the share's
        attention fraction today is ``max(exp(expo[i]) - exp(expo[n + i]), 0)``.
        ``window_end`` (n,): the window's end hour.
    """
    n = len(item)
    expo = np.empty(2 * n)
    window_end = np.empty(n)
    for i in range(n):
        t = t_share[i]
        w = min(end_h, removed_h[item[i]])
        window_end[i] = w
        expo[i] = -(max(start_h, t) - t) / tau_h
        expo[n + i] = -(max(w, t) - t) / tau_h
    return expo, window_end


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
    n_platforms: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
        n_platforms: number of platforms.

    Returns:
        ``views`` (n,), ``by_platform`` (n_platforms,) views per platform, ``report_rate``
        (n,) expected reports and ``reshare_rate`` (n,) expected re-shares of each share.
    """
    n = len(item)
    views = np.empty(n)
    by_platform = np.zeros(n_platforms)
    report_rate = np.empty(n)
    reshare_rate = np.empty(n)
    for i in range(n):
        frac = max(e[i] - e[n + i], 0.0)
        v = audience[i] * view_prob * frac
        views[i] = v
        by_platform[item_platform[item[i]]] += v
        report_rate[i] = v * report_prob
        reshare_rate[i] = v * reshare_prob * appeal[item[i]]
    _add_by_item(item_views, item, views)
    return views, by_platform, report_rate, reshare_rate


@njit(cache=True)
def _add_by_item(col: np.ndarray, item: np.ndarray, weights: np.ndarray) -> None:
    """``col[i] +=`` the sum of ``weights`` over the rows of item ``i``.

    Rows are summed per item first, in row order, then added: the same sums, to the
    last bit, as ``np.bincount(item, weights)`` added to ``col`` (``HarmModel._add_by_item``).
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
    reports: np.ndarray,
    item: np.ndarray,
    t_share: np.ndarray,
    window_end: np.ndarray,
    start_h: float,
    item_reports: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shares that drew bystander reports today; their reports are added to their items.

    Args:
        reports: reports each share drew today (n,).
        item, t_share, window_end: each share's item, hour and window end (n,).
        start_h: today's first hour.
        item_reports: reports of each item so far (items,), updated in place.

    Returns:
        ``rows`` (r,) the reported shares, ``items`` (r,) their items, ``lo`` (r,) the
        earliest hour a report can come (the later of today's start and the share) and
        ``span`` (r,) the hours from ``lo`` to the window's end (at least 0).
    """
    r = 0
    for i in range(len(reports)):
        if reports[i] != 0:
            r += 1
    rows = np.empty(r, np.int64)
    items = np.empty(r, np.int64)
    lo = np.empty(r)
    span = np.empty(r)
    k = 0
    for i in range(len(reports)):
        if reports[i] != 0:
            rows[k] = i
            items[k] = item[i]
            item_reports[item[i]] += reports[i]
            lo[k] = max(start_h, t_share[i])
            span[k] = max(window_end[i] - lo[k], 0.0)
            k += 1
    return rows, items, lo, span


@njit(cache=True)
def repeat_rows(counts: np.ndarray) -> np.ndarray:
    """``np.repeat(np.arange(len(counts)), counts)``: row ``i`` repeated ``counts[i]`` times."""
    out = np.empty(counts.sum(), np.int64)
    k = 0
    for i in range(len(counts)):
        for _ in range(counts[i]):
            out[k] = i
            k += 1
    return out


@njit(cache=True)
def reshare_candidates(
    rows: np.ndarray,
    new_sharer: np.ndarray,
    item: np.ndarray,
    t_share: np.ndarray,
    window_end: np.ndarray,
    item_state: np.ndarray,
    item_platform: np.ndarray,
    member: np.ndarray,
    start_h: float,
    live: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate re-shares: which can happen, and the hours they can fall in.

    A re-share of share ``rows[j]`` by contact ``new_sharer[j]`` can happen if the contact
    exists (>= 0), the item is still live, the contact is on the item's platform and the
    share's window today is not empty.

    Args:
        rows: share each candidate re-shares (m,).
        new_sharer: contact drawn to re-share, -1 if none (m,).
        item, t_share, window_end: per share (n,).
        item_state: state of each item (items,); ``live`` is the LIVE code.
        item_platform: platform index of each item (items,).
        member: (users, platforms) bool, user is on the platform.
        start_h: today's first hour.

    Returns:
        ``new_item`` (m,), ``platform`` (m,), ``possible`` (m,) bool, ``lo`` (m,) the
        earliest hour of the re-share and ``span`` (m,) hours from ``lo`` to the window's
        end (at least 0).
    """
    m = len(rows)
    new_item = np.empty(m, np.int64)
    platform = np.empty(m, np.int64)
    possible = np.empty(m, np.bool_)
    lo = np.empty(m)
    span = np.empty(m)
    for j in range(m):
        s = rows[j]
        it = item[s]
        p = item_platform[it]
        new_item[j] = it
        platform[j] = p
        u = new_sharer[j]
        lo[j] = max(start_h, t_share[s])
        span[j] = max(window_end[s] - lo[j], 0.0)
        possible[j] = u >= 0 and item_state[it] == live and member[u, p] and window_end[s] > lo[j]
    return new_item, platform, possible, lo, span


@njit(cache=True)
def first_new_keys(keys: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Positions of the keys that are neither in ``known`` (sorted) nor earlier in ``keys``.

    A user re-shares an item at most once: of several re-shares of the same item by the
    same user today only the first counts, and none if the user shared it before.

    Returns:
        Increasing positions into ``keys``.
    """
    seen = set()
    out = np.empty(len(keys), np.int64)
    k = 0
    for i in range(len(keys)):
        key = keys[i]
        if key in seen:
            continue
        seen.add(key)
        pos = np.searchsorted(known, key)
        if pos < len(known) and known[pos] == key:
            continue
        out[k] = i
        k += 1
    return out[:k]


@njit(cache=True)
def new_share_exponents(
    item: np.ndarray, t_share: np.ndarray, removed_h: np.ndarray, end_h: float, tau_h: float
) -> np.ndarray:
    """``-b / tau`` for shares made today: ``b`` hours from the share to the window's end.

    A new share's window starts at the share itself, so its attention fraction today is
    ``max(1 - exp(expo), 0)``.
    """
    n = len(item)
    expo = np.empty(n)
    for i in range(n):
        t = t_share[i]
        w = min(end_h, removed_h[item[i]])
        expo[i] = -(max(w, t) - t) / tau_h
    return expo


@njit(cache=True)
def new_share_views(
    e: np.ndarray,
    audience: np.ndarray,
    view_prob: float,
    item: np.ndarray,
    item_platform: np.ndarray,
    item_views: np.ndarray,
    by_platform: np.ndarray,
) -> np.ndarray:
    """Views of today's new shares from their hour to midnight, added to items and platforms.

    Args:
        e: ``np.exp`` of :func:`new_share_exponents` (k,).
        audience, item: per new share (k,).
        item_platform: platform index of each item (items,).
        item_views: harmful views per item (items,), updated in place.
        by_platform: harmful views per platform today, updated in place.

    Returns:
        The views of each new share (k,).
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
    return extra


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
def rejected(
    u: np.ndarray, pending: np.ndarray, contact: np.ndarray, attention: np.ndarray
) -> np.ndarray:
    """Rejection step of ``HarmModel._attentive_contacts``: the draws that are not kept.

    Args:
        u: uniform draws, one per pending position (p,).
        pending: positions whose contact is still to be accepted (p,).
        contact: contact currently drawn at each position (m,).
        attention: probability each user notices a given contact's post (users,).

    Returns:
        The pending positions whose draw ``u >= attention[contact]`` rejects.
    """
    out = np.empty(len(pending), np.int64)
    k = 0
    for i in range(len(pending)):
        if not u[i] < attention[contact[pending[i]]]:
            out[k] = pending[i]
            k += 1
    return out[:k]


@njit(cache=True)
def redraw_contacts(
    u: np.ndarray,
    pending: np.ndarray,
    users: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    contact: np.ndarray,
) -> None:
    """A uniformly random contact for ``users[pending]`` (who have contacts), in place.

    Contact ``floor(u x degree)`` in the user's CSR row, as ``HarmModel._random_contacts``.
    """
    for i in range(len(pending)):
        j = pending[i]
        lo = indptr[users[j]]
        deg = indptr[users[j] + 1] - lo
        contact[j] = indices[lo + np.int64(u[i] * deg)]
