"""Harmful items and their spread: one row per item, one row per share, all numpy arrays.

Every harmful item is tracked individually (creator, target, type, platform, creation
time, views, shares, reports, removal time). An item spreads through *shares*: the
original post is share zero, each re-share by an ordinary user adds a row. A share
exposes the sharer's contacts on that platform; their attention decays exponentially
with the age of the share (half-life ``content.attention_halflife_hours``), so most views
happen in the first hours, as measured by Schneider & Rizoiu (2023). Times are in hours
since the start of the run.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

HARASSMENT, DEEPFAKE = 0, 1
ITEM_TYPES = ("harassment", "deepfake")

LIVE, REMOVED, EXPIRED = 0, 1, 2
NEVER = np.inf


class _Columns:
    """Growable struct-of-arrays with amortised O(1) append."""

    _spec: ClassVar[dict[str, type]] = {}

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self._cap = max(16, capacity)
        for name, dtype in self._spec.items():
            setattr(self, name, np.zeros(self._cap, dtype=dtype))

    def _grow(self, extra: int) -> None:
        need = self.n + extra
        if need <= self._cap:
            return
        new_cap = max(need, 2 * self._cap)
        for name in self._spec:
            old = getattr(self, name)
            arr = np.zeros(new_cap, dtype=old.dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)
        self._cap = new_cap

    def append(self, **cols: np.ndarray) -> np.ndarray:
        """Append rows given as equal-length arrays; return their indices."""
        k = len(next(iter(cols.values())))
        self._grow(k)
        lo, hi = self.n, self.n + k
        for name, values in cols.items():
            getattr(self, name)[lo:hi] = values
        self.n = hi
        return np.arange(lo, hi)

    def view(self, name: str) -> np.ndarray:
        """The filled part of column ``name``."""
        return getattr(self, name)[: self.n]


class HarmfulItems(_Columns):
    """All harmful items ever posted, by row id.

    Columns: ``creator``/``target`` (user ids), ``kind`` (HARASSMENT or DEEPFAKE),
    ``platform`` (index), ``created_h``/``removed_h`` (hours; ``inf`` = not removed),
    ``views`` (harmful views so far), ``potential_views`` (views the item would have had
    unremoved, for exposure-weighted responses), ``shares`` (re-shares), ``reports``,
    ``state`` (LIVE/REMOVED/EXPIRED), ``proactive`` (removed by automated detection),
    ``review_due_h`` (hour a pending report is actioned; ``inf`` = none pending),
    ``root_day`` (day created).
    """

    _spec: ClassVar[dict[str, type]] = {
        "creator": np.int64,
        "target": np.int64,
        "kind": np.int8,
        "platform": np.int8,
        "created_h": np.float64,
        "removed_h": np.float64,
        "views": np.float64,
        "potential_views": np.float64,
        "shares": np.int64,
        "reports": np.int64,
        "state": np.int8,
        "proactive": np.bool_,
        "review_due_h": np.float64,
        "day": np.int32,
        "responded": np.bool_,
    }

    # Items below this index are no longer live (an item never becomes live again), so
    # the search for live items starts there instead of at the first item ever posted.
    _first_live = 0

    def live_ids(self) -> np.ndarray:
        """Indices of items still drawing views."""
        lo = self._first_live
        ids = np.flatnonzero(self.state[lo : self.n] == LIVE)
        if lo:
            ids += lo
        self._first_live = int(ids[0]) if len(ids) else self.n
        return ids


class Shares(_Columns):
    """Active shares of live items: ``item``, ``sharer``, ``t_h`` (hour shared), ``audience``."""

    _spec: ClassVar[dict[str, type]] = {
        "item": np.int64,
        "sharer": np.int64,
        "t_h": np.float64,
        "audience": np.float64,
    }

    def compact(self, keep: np.ndarray) -> None:
        """Drop shares whose mask in ``keep`` is False (they no longer draw views)."""
        k = int(keep.sum())
        for name in self._spec:
            col = getattr(self, name)
            col[:k] = col[: self.n][keep]
        self.n = k


def attention_fraction(
    t_share: np.ndarray, start_h: np.ndarray, end_h: np.ndarray, halflife_h: float
) -> np.ndarray:
    """Share of a post's lifetime attention that falls in ``[start_h, end_h)``.

    Attention decays as ``exp(-(t - t_share) / tau)`` with ``tau = halflife / ln 2``; the
    integral over the whole future is 1.

    Args:
        t_share: hour each share was made, shape (k,).
        start_h, end_h: window in hours, shape (k,) or scalars; empty windows give 0.

    Returns:
        Fractions in [0, 1], shape (k,).
    """
    tau = halflife_h / np.log(2.0)
    a = np.maximum(start_h, t_share) - t_share
    b = np.maximum(end_h, t_share) - t_share
    frac = np.exp(-a / tau) - np.exp(-b / tau)
    # a >= 0, so frac <= 1 - exp(-b / tau) < 1; only an empty window (b < a) goes below 0.
    return np.maximum(frac, 0.0, out=frac)
