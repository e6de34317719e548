"""Kernels of posting harmful items (``HarmModel.post_harmful_items`` and its helpers).

Each kernel is the deterministic part of one step between two random draws; the draws
themselves are made with numpy in ``sim/model.py`` and passed in as arrays of uniforms
(see the package docstring). Where a kernel replaces numpy arithmetic, it performs the
same floating-point operations in the same order, so results are bit-for-bit those of
the array code it replaces (a float sum over a row, for instance, follows numpy's
pairwise summation: :func:`numpy_sum`).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def search_right(cum: np.ndarray, x: float) -> int:
    """``np.searchsorted(cum, x, side="right")`` for a non-decreasing ``cum``: first i with cum[i] > x."""
    lo, hi = 0, len(cum)
    while lo < hi:
        mid = (lo + hi) >> 1
        if cum[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True)
def _block_sum(a: np.ndarray, lo: int, n: int) -> float:
    """numpy's sum of at most 128 numbers ``a[lo:lo + n]`` (see :func:`numpy_sum`)."""
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    stop = n - n % 8
    i = 8
    while i < stop:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@numba.njit(cache=True)
def numpy_sum(a: np.ndarray, lo: int, n: int) -> float:
    """Sum of ``a[lo:lo + n]`` (float64, contiguous) in numpy's order, so bit-for-bit ``.sum()``.

    numpy adds fewer than 8 numbers in turn, up to 128 with 8 interleaved partial sums,
    and more by splitting in halves (the first a multiple of 8) and summing each half
    the same way (pairwise summation, ``pairwise_sum`` in numpy's ``loops_utils.h.src``).
    The halving is done with an explicit stack: numba cannot cache a recursive function.
    """
    # numpy starts from its identity, 0.0 (which turns a sum of -0.0 into 0.0).
    if n <= 128:
        return 0.0 + _block_sum(a, lo, n)
    # Frames of the halving: start, length, whether the left half is done, its sum.
    starts = np.empty(64, np.int64)
    lengths = np.empty(64, np.int64)
    right = np.zeros(64, np.bool_)
    left_sum = np.empty(64)
    starts[0], lengths[0], right[0] = lo, n, False
    depth = 1
    while True:
        d = depth - 1
        half = lengths[d] // 2
        half -= half % 8
        if lengths[d] > 128:  # descend into the left half
            starts[depth], lengths[depth], right[depth] = starts[d], half, False
            depth += 1
            continue
        ret = _block_sum(a, starts[d], lengths[d])
        depth -= 1
        while depth > 0:  # climb: hand the finished half to its parent
            d = depth - 1
            if not right[d]:
                left_sum[d], right[d] = ret, True
                half = lengths[d] // 2
                half -= half % 8
                starts[depth], lengths[depth], right[depth] = (
                    starts[d] + half,
                    lengths[d] - half,
                    False,
                )
                depth += 1
                break
            ret = left_sum[d] + ret
            depth -= 1
        if depth == 0:
            return 0.0 + ret


@numba.njit(cache=True)
def weighted_targets(
    cum: np.ndarray,
    r: np.ndarray,
    local_prob: float,
    creators: np.ndarray,
    indptr: np.ndarray,
) -> tuple[np.ndarray, int, int]:
    """First stage of choosing targets (``HarmModel._choose_targets``).

    Args:
        cum: cumulative target weights over users, shape (n_users,).
        r: uniforms, shape (2k,): ``r[:k]`` pick each act's target by weight, ``r[k:]``
            decide whether the act instead tries one of its creator's contacts.
        local_prob: chance an act tries a contact.
        creators: user id of each act's creator, shape (k,).
        indptr: CSR row pointers of the network.

    Returns:
        ``(targets, n_local, n_with_contacts)``: the weighted picks, shape (k,) int64,
        the number of acts trying a contact and how many of those creators have any.
    """
    k = len(creators)
    n_users = len(cum)
    total = cum[n_users - 1]
    targets = np.empty(k, np.int64)
    n_local = 0
    n_with = 0
    for i in range(k):
        targets[i] = min(search_right(cum, r[i] * total), n_users - 1)
        if r[k + i] < local_prob:
            n_local += 1
            c = creators[i]
            if indptr[c + 1] > indptr[c]:
                n_with += 1
    return targets, n_local, n_with


@numba.njit(cache=True)
def contact_targets(
    targets: np.ndarray,
    creators: np.ndarray,
    r: np.ndarray,
    r_contact: np.ndarray,
    n_with_contacts: int,
    local_prob: float,
    indptr: np.ndarray,
    indices: np.ndarray,
    gender: np.ndarray,
    accept_p: np.ndarray,
) -> None:
    """Second stage of choosing targets (``HarmModel._choose_targets``), in place.

    Each act that tries a contact (``r[k + i] < local_prob``, as in
    :func:`weighted_targets`) draws a uniformly random contact of its creator and keeps it
    with probability ``accept_p[gender of the contact]``, else keeps its weighted pick. A
    target equal to its creator moves to the next user id.

    Args:
        targets: weighted picks from :func:`weighted_targets`, shape (k,), updated.
        r_contact: uniforms: one per trying act whose creator has contacts (which
            contact; ``n_with_contacts`` of them), then one per trying act (whether it
            is accepted).
        indptr, indices: CSR network.
        gender: gender of each user; accept_p: acceptance probability by gender.
    """
    k = len(creators)
    n_users = len(gender)
    j = 0  # next contact draw
    m = n_with_contacts  # next acceptance draw
    for i in range(k):
        if r[k + i] < local_prob:
            c = creators[i]
            lo = indptr[c]
            deg = indptr[c + 1] - lo
            if deg > 0:
                contact = np.int64(indices[lo + np.int64(r_contact[j] * deg)])
                j += 1
                if r_contact[m] < accept_p[gender[contact]]:
                    targets[i] = contact
            m += 1
        if targets[i] == creators[i]:
            targets[i] = (targets[i] + 1) % n_users


@numba.njit(cache=True)
def choose_platforms(
    member: np.ndarray, creators: np.ndarray, pull: np.ndarray, r: np.ndarray
) -> np.ndarray:
    """Platform of each act (``HarmModel._choose_platforms``).

    Act i goes to platform j with probability proportional to
    ``member[creators[i], j] x pull[j]``: the first j whose cumulative weight exceeds
    ``r[i]`` x the total, at most the last platform; -1 if every weight is 0.

    Args:
        member: users x platforms membership (bool).
        creators: creator of each act, shape (k,).
        pull: weight of each platform, shape (n_platforms,).
        r: uniforms, shape (k,).

    Returns:
        Platform index per act, shape (k,) int64.
    """
    k = len(creators)
    n_plat = len(pull)
    out = np.empty(k, np.int64)
    w = np.empty(n_plat)
    for i in range(k):
        c = creators[i]
        for j in range(n_plat):
            w[j] = (1.0 if member[c, j] else 0.0) * pull[j]
        tot = numpy_sum(w, 0, n_plat)
        x = r[i] * tot
        cum = 0.0
        choice = 0
        for j in range(n_plat):
            cum = w[j] if j == 0 else cum + w[j]
            if cum <= x:
                choice += 1
        out[i] = min(choice, n_plat - 1) if tot > 0 else -1
    return out
