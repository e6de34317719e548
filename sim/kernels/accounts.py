"""Compiled kernels of the daily bookkeeping: platform accounts, 30-day windows, the record.

Each replaces a short Python loop over the platforms (or a chain of numpy calls) with
one call that performs the same floating-point operations in the same order, so the
results are bit-for-bit those of the code it replaces. Sums over a rolling window follow
Python's built-in ``sum`` (which the windows used when they were deques): plain
left-to-right addition for numpy floats, Neumaier's compensated summation for Python
floats (CPython >= 3.12); :func:`_python_float_sum` and :func:`_plain_sum`.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.kernels.posting import _numpy_sum

HARASSMENT = 0  # item kind / column of ``ModerationTable.recall`` (sim.content.HARASSMENT)


@numba.njit(cache=True)
def _python_float_sum(values: np.ndarray, j: int, q: int, oldest: int, held: int) -> float:
    """Python's ``sum`` of Python floats ``values[j, (oldest + i) % days, q]``, i < held.

    CPython (>= 3.12) adds floats with Neumaier's compensation and adds the compensation
    at the end when it is non-zero and finite (``builtin_sum_impl``); starting from the
    integer 0 adds nothing. ``values`` is (n, days, k). Used by :func:`window_sums`.
    """
    days = values.shape[1]
    total = 0.0
    c = 0.0
    r = oldest
    for _ in range(held):
        x = values[j, r, q]
        r = r + 1 if r + 1 < days else 0
        t = total + x
        if abs(total) >= abs(x):
            c += (total - t) + x
        else:
            c += (x - t) + total
        total = t
    if c != 0.0 and np.isfinite(c):
        total += c
    return total


@numba.njit(cache=True)
def _plain_sum(values: np.ndarray, j: int, q: int, oldest: int, held: int) -> float:
    """Python's ``sum`` of numpy floats ``values[j, (oldest + i) % days, q]``, i < held:
    plain addition in turn (numpy scalars take no compensation). Used by :func:`window_sums`."""
    days = values.shape[1]
    total = 0.0
    r = oldest
    for _ in range(held):
        total += values[j, r, q]
        r = r + 1 if r + 1 < days else 0
    return total


@numba.njit(cache=True)
def window_push(values: np.ndarray, today: np.ndarray, state: np.ndarray) -> None:
    """Add a day to rolling windows.

    ``values`` (n, days, k) holds the last ``days`` days of ``k`` observations of ``n``
    windows as a ring; ``state`` (2,) is (the row today's values go to, days held).
    Writes (in place): ``values[:, row] = today`` (n, k) and ``state``.
    Used by :meth:`sim.agents.RollingWindows.push`.
    """
    n, days, k = values.shape
    head = state[0]
    for j in range(n):
        for q in range(k):
            values[j, head, q] = today[j, q]
    state[0] = (head + 1) % days
    state[1] = min(state[1] + 1, days)


@numba.njit(cache=True)
def window_sums(
    values: np.ndarray, state: np.ndarray, compensated: np.ndarray, totals: np.ndarray
) -> None:
    """Sum rolling windows (see :func:`window_push`) over the days held, oldest first.

    Writes ``totals`` (n, k): each observation's sum as Python's ``sum`` adds Python
    floats (``compensated[q]``) or numpy floats (otherwise).
    Used by :meth:`sim.agents.RollingWindows.sums`.
    """
    n, days, k = values.shape
    head, held = state[0], state[1]
    oldest = (head - held + days) % days
    for j in range(n):
        for q in range(k):
            if compensated[q]:
                totals[j, q] = _python_float_sum(values, j, q, oldest, held)
            else:
                totals[j, q] = _plain_sum(values, j, q, oldest, held)


@numba.njit(cache=True)
def platform_day(
    open_: np.ndarray,
    fixed: np.ndarray,
    members: np.ndarray,
    posts: np.ndarray,
    wrongful: np.ndarray,
    harm_views: np.ndarray,
    benign_views: np.ndarray,
    created: np.ndarray,
    removed: np.ndarray,
    denied: np.ndarray,
    dismissed: np.ndarray,
    left_harm: np.ndarray,
    left_wrongful: np.ndarray,
    loss_per_removed_share: float,
    harmful_premium: float,
    revenue: np.ndarray,
    today: np.ndarray,
) -> None:
    """Each platform's revenue today and the observations its window keeps.

    ``fixed`` (n, 3) is (UK users, ARPU GBP/year, initial members) per platform; the other
    inputs are today's per-platform arrays (n,). A platform that is not ``open_`` earns
    nothing and observes a day of zeros. Revenue (GBP/day, before a service restriction
    halves it) is ARPU x UK active users x engagement / 365, engagement falling with
    wrongful removals per lawful post and rising with the harmful share of views.

    Writes (in place): ``revenue`` (n,) and ``today`` (n, 9) in ``sim.agents.WINDOW_KEYS``
    order. Used by :meth:`sim.model.HarmModel.settle_platform_accounts`.
    """
    for j in range(len(open_)):
        if not open_[j]:
            revenue[j] = 0.0
            today[j, :] = 0.0
            continue
        posts_j = posts[j] if not (posts[j] < 1e-9) else 1e-9  # Python's max(posts, 1e-9)
        total_views = benign_views[j] + harm_views[j]
        harm_share = harm_views[j] / (total_views if not (total_views < 1e-9) else 1e-9)
        engagement = 1.0 - loss_per_removed_share * wrongful[j] / posts_j
        engagement += harmful_premium * harm_share
        initial = fixed[j, 2]
        active_share = members[j] / initial if initial != 0 else 0.0
        uk_active = fixed[j, 0] * active_share
        kept = engagement if not (engagement < 0.0) else 0.0
        revenue[j] = fixed[j, 1] * uk_active * kept / 365.0
        today[j, 0] = harm_views[j]
        today[j, 1] = total_views
        today[j, 2] = created[j]
        today[j, 3] = removed[j]
        today[j, 4] = denied[j]
        today[j, 5] = dismissed[j]
        today[j, 6] = left_harm[j]
        today[j, 7] = left_wrongful[j]
        today[j, 8] = wrongful[j]


@numba.njit(cache=True)
def platform_row(
    table: np.ndarray,
    day_row: int,
    open_: np.ndarray,
    effort: np.ndarray,
    recall: np.ndarray,
    fpr: np.ndarray,
    capacity: np.ndarray,
    members: np.ndarray,
    harm_views: np.ndarray,
    created: np.ndarray,
    spend: np.ndarray,
    revenue: np.ndarray,
    wrongful: np.ndarray,
) -> float:
    """The per-platform values of a day's row of the time series.

    Writes ``table[day_row]`` (n x 11,): platform by platform, in
    ``sim.model.PLATFORM_SERIES`` order, the effort, harassment recall and false-positive
    rate (0 once exited), review capacity (-1 when unlimited), members, harmful views (at
    least 0), harmful items created, moderation spend and revenue (GBP), fines (0: added
    from the day's events) and whether the platform has exited (1/0). ``recall`` is
    (n, 2), by item kind.

    Returns:
        ``wrongful.sum()``, the lawful posts removed on all platforms (numpy's order).
        Used by :meth:`sim.model.HarmModel.record`.
    """
    row = table[day_row]
    for j in range(len(open_)):
        o = j * 11
        shut = not open_[j]
        row[o] = 0.0 if shut else effort[j]
        row[o + 1] = 0.0 if shut else recall[j, HARASSMENT]
        row[o + 2] = 0.0 if shut else fpr[j]
        row[o + 3] = capacity[j] if np.isfinite(capacity[j]) else -1.0
        row[o + 4] = members[j]
        row[o + 5] = harm_views[j] if not (harm_views[j] < 0.0) else 0.0
        row[o + 6] = created[j]
        row[o + 7] = spend[j]
        row[o + 8] = revenue[j]
        row[o + 9] = 0.0
        row[o + 10] = 1.0 if shut else 0.0
    return _numpy_sum(wrongful, 0, len(wrongful))


@numba.njit(cache=True)
def mean_certainty(alpha: np.ndarray, beta: np.ndarray, column: int, scratch: np.ndarray) -> float:
    """``float((alpha[:, c] / (alpha[:, c] + beta[:, c])).sum())`` (numpy's pairwise sum).

    ``alpha`` and ``beta`` are (a, 3); ``scratch`` (a,) receives the ratios.
    Used by :meth:`sim.model.HarmModel.record`.
    """
    a = alpha.shape[0]
    for i in range(a):
        scratch[i] = alpha[i, column] / (alpha[i, column] + beta[i, column])
    return _numpy_sum(scratch, 0, a)
