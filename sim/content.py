"""Harmful items and their spread: one row per item, one row per share, all numpy arrays.

Every harmful item is tracked individually (creator, target, type, platform, creation
time, views, shares, reports, removal time). An item spreads through *shares*: the
original post is share zero, each re-share by an ordinary user adds a row. A share
exposes the sharer's contacts on that platform; their attention decays exponentially
with the age of the share (half-life ``content.attention_halflife_hours``), so most views
happen in the first hours, as measured by Schneider & Rizoiu (2023). Each item has an
appeal drawn from SimSoM's right-skewed distribution (:func:`appeal_of`) that scales
its re-share probability; re-sharers are drawn by attention (:func:`reshare_attention`)
and a user shares an item at most once (:class:`ShareKeys`). Times are in hours since
the start of the run.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from sim.kernels import posting
from sim.kernels.review import count_live
from sim.kernels.spread import compact_shares

HARASSMENT, DEEPFAKE = 0, 1
ITEM_TYPES = ("harassment", "deepfake")

LIVE, REMOVED, EXPIRED = 0, 1, 2
NEVER = np.inf


class _Columns:
    """Growable struct-of-arrays with amortised O(1) growth.

    New rows are appended (:meth:`append`), or counted in with :meth:`reserve` and
    written by a kernel (``sim/kernels/posting.py``). Rows never used hold each column's
    fill value (``_fill``, else 0), so a kernel may leave out columns whose new rows take
    it.
    """

    _spec: ClassVar[dict[str, type]] = {}
    _fill: ClassVar[dict[str, float]] = {}

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self._cap = max(16, capacity)
        for name, dtype in self._spec.items():
            setattr(self, name, np.full(self._cap, self._fill.get(name, 0), dtype=dtype))

    def _grow(self, extra: int) -> None:
        need = self.n + extra
        if need <= self._cap:
            return
        new_cap = max(need, 2 * self._cap)
        for name in self._spec:
            old = getattr(self, name)
            arr = np.full(new_cap, self._fill.get(name, 0), dtype=old.dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)
        self._cap = new_cap

    def reserve(self, k: int) -> int:
        """Count in ``k`` new rows for a kernel to fill; return the first one's index.

        Rows never used before hold the fill values; rows freed by a compaction
        (``Shares.drop_spent``) keep their old values, so the caller must write every
        column of a table that compacts.
        """
        lo = self.n
        if lo + k > self._cap:
            self._grow(k)
        self.n = lo + k
        return lo

    def append(self, **cols: np.ndarray | float) -> np.ndarray:
        """Append rows given as equal-length arrays (or scalars, after one array).

        Columns not given take their fill value. Returns the new rows' indices.
        """
        k = len(next(iter(cols.values())))
        lo = self.reserve(k)
        for name in self._spec:
            getattr(self, name)[lo : lo + k] = cols.get(name, self._fill.get(name, 0))
        return np.arange(lo, lo + k)

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
    ``reported_h`` (hour of the user report behind the latest review; ``inf`` = none),
    ``root_day`` (day created), ``appeal`` (in [0, 1]: how re-shareable the item is,
    drawn once at posting, see :func:`appeal_of`).
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
        "reported_h": np.float64,
        "day": np.int32,
        "responded": np.bool_,
        "appeal": np.float64,
    }
    _fill: ClassVar[dict[str, float]] = {
        "removed_h": NEVER,
        "state": LIVE,
        "review_due_h": NEVER,
        "reported_h": NEVER,
    }

    # Items below this index are no longer live (an item never becomes live again), so
    # the search for live items starts there instead of at the first item ever posted.
    _first_live = 0

    def live_ids(self) -> np.ndarray:
        """Indices of items still drawing views."""
        lo = self._first_live
        ids = lo + np.flatnonzero(self.state[lo : self.n] == LIVE)
        self._first_live = int(ids[0]) if len(ids) else self.n
        return ids

    @property
    def first_live(self) -> int:
        """No item below this index is live (a bound :meth:`live_ids` and :meth:`n_live`
        advance)."""
        return self._first_live

    def n_live(self) -> int:
        """Number of items still drawing views."""
        count, self._first_live = count_live(self.state, self._first_live, self.n, LIVE)
        return count


def appeal_of(u: np.ndarray, exponent: float) -> np.ndarray:
    """Appeal of new items from uniforms ``u``: ``P(a) = exponent x (1 - a)**(exponent - 1)`` on [0, 1].

    The right-skewed appeal distribution of SimSoM (Truong et al. 2024; ``appeal_func`` of
    ``libs/simsom/message.py`` in osome-iu/simsom_removal, default exponent 5), i.e.
    Beta(1, exponent), drawn by inverse transform of one uniform per item; mean
    ``1 / (1 + exponent)``. Most items have low appeal and a few approach 1.
    """
    return 1.0 - appeal_complement(u, exponent)


def appeal_complement(u: np.ndarray, exponent: float) -> np.ndarray:
    """``1 - appeal`` of new items from uniforms ``u`` (:func:`appeal_of`): ``(1 - u)**(1 / exponent)``.

    ``HarmModel.post_harmful_items`` draws the uniforms and the kernel that writes the
    items (``posting.new_items``) stores ``1 -`` this as their appeal.
    """
    return (1.0 - u) ** (1.0 / exponent)


def draw_appeal(rng: np.random.Generator, k: int, exponent: float) -> np.ndarray:
    """Appeal of ``k`` new items drawn from ``rng`` (:func:`appeal_of`, one uniform each)."""
    return appeal_of(rng.random(k), exponent)


def reshare_attention(degree: np.ndarray) -> np.ndarray:
    """Probability that each user notices a given contact's post: ``min(1, mean degree / k)``.

    Every user has the same attention budget, that of a user with the average number of
    contacts (SimSoM's fixed feed size, Truong et al. 2024; limited attention, Weng et
    al. 2012); a user with k contacts above the average divides it among them, so the
    chance of re-sharing any one post falls as 1/k (divided attention: Hodas & Lerman
    2012). Without this, re-shares flow to hubs in proportion to their degree and on a
    power-law network with exponent below 3 spread has no epidemic threshold
    (Pastor-Satorras & Vespignani 2001): cascades would grow with the number of users.

    Args:
        degree: contacts per user, shape (n,).

    Returns:
        Probabilities in [0, 1], shape (n,) (1 for users without contacts).
    """
    k = degree.astype(np.float64)
    mean = k.mean() if len(k) else 0.0
    return np.minimum(1.0, mean / np.maximum(k, 1.0))


def mean_appeal(exponent: float) -> float:
    """Mean of :func:`appeal_of`'s distribution, Beta(1, exponent)."""
    return 1.0 / (1.0 + exponent)


class ShareKeys:
    """Which users have shared which live item: a sorted array of ``item x n_users + user``.

    A user shares an item at most once, so a cascade depletes its pool of possible
    sharers as it grows (like susceptibles in an SIR epidemic) and cannot exceed the
    item's platform membership. Kept sorted so membership tests are a binary search
    and a day's new keys are merged in from the end, in place, by the kernel that
    writes the new shares (``HarmModel._add_shares``, ``posting.write_shares``).
    ``keys`` is the front of a longer buffer (:meth:`room_for`).
    """

    def __init__(self, n_users: int) -> None:
        self.n_users = int(n_users)
        self._buffer = np.zeros(1024, np.int64)
        self.keys = self._buffer[:0]

    def room_for(self, k: int) -> np.ndarray:
        """The buffer that starts with ``keys``, with room for ``k`` more keys after them."""
        n = len(self.keys)
        if n + k > len(self._buffer):
            self._buffer = np.empty(max(n + k, 2 * len(self._buffer)), np.int64)
            self._buffer[:n] = self.keys
            self.keys = self._buffer[:n]
        return self._buffer

    def keep_live_items(self, item_state: np.ndarray) -> None:
        """Forget the sharers of items no longer LIVE (``item_state``, indexed by item)."""
        if len(self.keys):
            # Compacted in place: the kept keys move to the front, in order.
            self.keys = self.keys[: posting.keys_of_live_items(self.keys, item_state, self.n_users)]


class Shares(_Columns):
    """Active shares of live items: ``item``, ``sharer``, ``t_h`` (hour shared), ``audience``."""

    _spec: ClassVar[dict[str, type]] = {
        "item": np.int64,
        "sharer": np.int64,
        "t_h": np.float64,
        "audience": np.float64,
    }

    def drop_spent(self, item_state: np.ndarray, lifetime_h: float, end_h: float) -> None:
        """Drop the shares that no longer draw views after ``end_h`` (hours).

        A share stops drawing views when its item is no longer LIVE (``item_state``, per
        item) or ``lifetime_h`` hours after it was made (its attention is spent).
        """
        self.n = compact_shares(
            self.item,
            self.sharer,
            self.t_h,
            self.audience,
            self.n,
            item_state,
            LIVE,
            lifetime_h,
            end_h,
        )


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
