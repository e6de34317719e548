"""Kernels of posting harmful items (``HarmModel.post_harmful_items`` and its helpers).

Each kernel is the deterministic part of one step between two random draws; the draws
themselves are made with numpy in ``sim/model.py`` and passed in as arrays of uniforms
(see the package docstring). Where a kernel replaces numpy arithmetic, it performs the
same floating-point operations in the same order, so results are bit-for-bit those of
the array code it replaces (a float sum over a row, for instance, follows numpy's
pairwise summation: :func:`_numpy_sum`).

Kernels write their results into arrays the caller allocates (``out``) and return only
counts: numba takes ~1 us to hand a new array back to Python, several times what
allocating it with ``np.empty`` costs.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.population import DEEPFAKE_CREATION, DEEPFAKE_SHARING, HARASSMENT_OFFENCE

# Item kinds: ``sim.content.HARASSMENT`` and ``DEEPFAKE`` (sim.content imports this module).
HARASSMENT, DEEPFAKE = 0, 1
# Item state of a live item: ``sim.content.LIVE``.
LIVE = 0
HOURS = 24.0


@numba.njit(cache=True)
def _search_right(cum: np.ndarray, x: float) -> int:
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
    """numpy's sum of at most 128 numbers ``a[lo:lo + n]`` (see :func:`_numpy_sum`)."""
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
def _numpy_sum(a: np.ndarray, lo: int, n: int) -> float:
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
def expand_acts(
    unshared: np.ndarray,
    harass: np.ndarray,
    shared: np.ndarray,
    ids: np.ndarray,
    creators: np.ndarray,
    kinds: np.ndarray,
) -> tuple[int, int, int]:
    """One row per act: unshared deepfakes, then harassment, then shared deepfakes.

    Within each block the acts are in abuser order (``post_harmful_items``). The rows
    are written only if they fit in ``creators`` and ``kinds``; the caller compares the
    total with their length and, if it is larger, calls again with longer ones.

    Args:
        unshared, harass, shared: acts per abuser today, shape (n_abusers,) int.
        ids: user id of each abuser.
        creators, kinds: out, the first (total acts) rows: user id (int64) and kind
            (HARASSMENT or DEEPFAKE, int8) of each act.

    Returns:
        ``(n_unshared, n_harass, n_shared)``: the day's acts of each type.
    """
    n_u, n_h, n_s = unshared.sum(), harass.sum(), shared.sum()
    if n_u + n_h + n_s > min(len(creators), len(kinds)):
        return n_u, n_h, n_s
    m = 0
    for counts, kind in ((unshared, DEEPFAKE), (harass, HARASSMENT), (shared, DEEPFAKE)):
        for a in range(len(counts)):
            for _ in range(counts[a]):
                creators[m], kinds[m] = ids[a], kind
                m += 1
    return n_u, n_h, n_s


@numba.njit(cache=True)
def weighted_targets(
    cum: np.ndarray,
    r: np.ndarray,
    local_prob: float,
    creators: np.ndarray,
    indptr: np.ndarray,
    targets: np.ndarray,
) -> tuple[int, int]:
    """First stage of choosing targets (``HarmModel._choose_targets``).

    Args:
        cum: cumulative target weights over users, shape (n_users,).
        r: uniforms, shape (2k,): ``r[:k]`` pick each act's target by weight, ``r[k:]``
            decide whether the act instead tries one of its creator's contacts.
        local_prob: chance an act tries a contact.
        creators: user id of each act's creator, shape (k,).
        indptr: CSR row pointers of the network.
        targets: out, shape (k,) int64: the weighted picks. The target of an act that
            does not try a contact is final: one equal to its creator moves to the next
            user id (as in :func:`contact_targets`).

    Returns:
        ``(n_local, n_with_contacts)``: the number of acts trying a contact and how many
        of those creators have any.
    """
    k = len(creators)
    n_users = len(cum)
    total = cum[n_users - 1]
    n_local = 0
    n_with = 0
    for i in range(k):
        targets[i] = min(_search_right(cum, r[i] * total), n_users - 1)
        if r[k + i] < local_prob:
            n_local += 1
            c = creators[i]
            if indptr[c + 1] > indptr[c]:
                n_with += 1
        elif targets[i] == creators[i]:
            targets[i] = (targets[i] + 1) % n_users
    return n_local, n_with


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
    target equal to its creator moves to the next user id. The other acts' targets are
    left as they are (:func:`weighted_targets` made them final).

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
    member: np.ndarray,
    creators: np.ndarray,
    displacement: np.ndarray,
    open_: np.ndarray,
    r: np.ndarray,
    out: np.ndarray,
) -> int:
    """Platform of each act (``HarmModel._choose_platforms``).

    Act i goes to platform j with probability proportional to
    ``member[creators[i], j] x pull[j]``, ``pull = displacement x open_``: the first j
    whose cumulative weight exceeds ``r[i]`` x the total, at most the last platform; -1
    if every weight is 0.

    Args:
        member: users x platforms membership (bool).
        creators: creator of each act, shape (k,).
        displacement: weight of each platform for abusers, shape (n_platforms,).
        open_: whether each platform still serves the UK (bool).
        r: uniforms, shape (k,).
        out: platform index per act, shape (k,) int64.

    Returns:
        The number of acts with no platform (-1).
    """
    k = len(creators)
    n_plat = len(open_)
    pull = np.empty(n_plat)
    for j in range(n_plat):
        pull[j] = displacement[j] * (1.0 if open_[j] else 0.0)
    w = np.empty(n_plat)
    n_none = 0
    for i in range(k):
        c = creators[i]
        for j in range(n_plat):
            w[j] = (1.0 if member[c, j] else 0.0) * pull[j]
        tot = _numpy_sum(w, 0, n_plat)
        x = r[i] * tot
        cum = 0.0
        choice = 0
        for j in range(n_plat):
            cum = w[j] if j == 0 else cum + w[j]
            if cum <= x:
                choice += 1
        if tot > 0:
            out[i] = min(choice, n_plat - 1)
        else:
            out[i] = -1
            n_none += 1
    return n_none


@numba.njit(cache=True)
def write_shares(
    first: int,
    item: np.ndarray,
    sharer: np.ndarray,
    t_h: np.ndarray,
    plat: np.ndarray,
    aud_T: np.ndarray,
    view_prob: float,
    share_item: np.ndarray,
    share_sharer: np.ndarray,
    share_t_h: np.ndarray,
    share_audience: np.ndarray,
    potential_views: np.ndarray,
    keys: np.ndarray,
    n_keys: int,
    n_users: int,
) -> int:
    """New shares in rows ``first, first + 1, ...`` of the share table (``_add_shares``).

    A share's audience is its sharer's contacts on the item's platform; its item's
    ``potential_views`` grow by ``audience x view_prob`` (summed over the item's new
    shares first, as ``np.bincount`` does, then added). The sharers are recorded in the
    share keys (``sim.content.ShareKeys``): the front of ``keys`` becomes the union of
    its first ``n_keys`` and the new shares' keys (:func:`_add_keys`).

    Args:
        item, sharer, t_h, plat: item, user, hour and platform of each new share, (k,).
        aud_T: contacts of each user on each platform, (n_platforms, n_users), float32.
        share_item, share_sharer, share_t_h, share_audience: the share table's columns.
        potential_views: per item, updated in place.
        keys: the share keys so far (sorted, distinct) in its first ``n_keys`` places,
            length at least ``n_keys + k``; updated in place.
        n_users: the number of users.

    Returns:
        The number of keys now at the front of ``keys``.
    """
    k = len(item)
    if k == 0:
        return n_keys
    lo = item[0]
    hi = item[0]
    for i in range(k):
        row = first + i
        share_item[row] = item[i]
        share_sharer[row] = sharer[i]
        share_t_h[row] = t_h[i]
        share_audience[row] = np.float64(aud_T[plat[i], sharer[i]])
        lo = min(lo, item[i])
        hi = max(hi, item[i])
    sums = np.zeros(hi - lo + 1)
    for i in range(k):
        sums[item[i] - lo] += share_audience[first + i] * view_prob
    for b in range(hi - lo + 1):
        potential_views[lo + b] += sums[b]
    return _add_keys(keys, n_keys, item, sharer, n_users)


@numba.njit(cache=True)
def new_items(
    first: int,
    creators: np.ndarray,
    targets: np.ndarray,
    kinds: np.ndarray,
    plat: np.ndarray,
    r_hour: np.ndarray,
    appeal_c: np.ndarray,
    day: int,
    ids: np.ndarray,
    recall: np.ndarray,
    auto_delay_hours: np.ndarray,
    r_detect: np.ndarray,
    e_delay: np.ndarray,
    r_report: np.ndarray,
    report_prob: float,
    creator_col: np.ndarray,
    target_col: np.ndarray,
    kind_col: np.ndarray,
    platform_col: np.ndarray,
    created_col: np.ndarray,
    appeal_col: np.ndarray,
    day_col: np.ndarray,
    review_due_col: np.ndarray,
    proactive_col: np.ndarray,
    reports_col: np.ndarray,
    reported: np.ndarray,
    reported_created_h: np.ndarray,
) -> int:
    """New items in rows ``first, first + 1, ...`` of the item table, screened at upload.

    Used by ``HarmModel.post_harmful_items``. Writes the columns given (``*_col``); the
    other columns of never-used rows already hold their values for a new item
    (``HarmfulItems._fill``). Item i is posted at hour ``day x 24 + r_hour[i] x 24`` (a
    uniform time of the day). Automated screening: it is detected if ``r_detect[i] <
    recall[plat, kind]`` and then comes down ``e_delay[i]`` (a standard exponential) x
    the platform's ``auto_delay_hours`` after posting (``review_due_h``, ``proactive``
    set). An undetected item is reported by its target if ``r_report[i] < report_prob``
    (``reports`` + 1).

    Args:
        creators, targets, kinds, plat: creator, target, kind and platform per item, (k,).
        r_hour, r_detect, r_report: uniforms, (k,); e_delay: standard exponentials, (k,).
        appeal_c: ``1 -`` the appeal of each item, (k,) (``sim.content.appeal_complement``).
        ids: out, shape (k,) int64: the new rows, ``first, first + 1, ...``.
        recall: detection recall by platform and kind; auto_delay_hours: per platform.
        reported: out, shape (k,) int64: ids of the reported items, first, increasing.
        reported_created_h: out, shape (k,): their hour of posting, first.

    Returns:
        The number of reported items.
    """
    m = 0
    for i in range(len(creators)):
        row = first + i
        p = plat[i]
        created_h = day * HOURS + r_hour[i] * HOURS
        ids[i] = row
        creator_col[row] = creators[i]
        target_col[row] = targets[i]
        kind_col[row] = kinds[i]
        platform_col[row] = p
        created_col[row] = created_h
        appeal_col[row] = 1.0 - appeal_c[i]
        day_col[row] = day
        if r_detect[i] < recall[p, kinds[i]]:
            review_due_col[row] = created_h + e_delay[i] * auto_delay_hours[p]
            proactive_col[row] = True
        elif r_report[i] < report_prob:
            reports_col[row] += 1
            reported[m] = row
            reported_created_h[m] = created_h
            m += 1
    return m


@numba.njit(cache=True)
def _encode_keys(item: np.ndarray, user: np.ndarray, n_users: int, out: np.ndarray) -> None:
    """Keys ``item x n_users + user`` of (item, user) pairs into ``out`` (``ShareKeys``)."""
    for i in range(len(item)):
        out[i] = np.int64(item[i]) * n_users + np.int64(user[i])


@numba.njit(cache=True)
def _add_keys(
    keys: np.ndarray, n_keys: int, item: np.ndarray, user: np.ndarray, n_users: int
) -> int:
    """Merge the keys of (item, user) pairs into the sorted, distinct ``keys[:n_keys]``.

    In place: the union, sorted and distinct, ends at the front of ``keys`` (length at
    least ``n_keys + len(item)``); returns its length (:func:`write_shares`; keys as
    :func:`_encode_keys`). The merge runs from the largest key down, so it touches only
    the keys above the smallest new one (new items' keys come last).
    """
    k = len(item)
    new = np.empty(k, np.int64)
    _encode_keys(item, user, n_users, new)
    new.sort()
    end = n_keys + k
    i = n_keys - 1  # next old key (they stay below the write position)
    w = end  # next write goes to w - 1
    for j in range(k - 1, -1, -1):
        # Old keys above the new one, then the new one; an old key equal to it first.
        while i >= 0 and keys[i] >= new[j]:
            if w == end or keys[w] != keys[i]:
                w -= 1
                keys[w] = keys[i]
            i -= 1
        if w == end or keys[w] != new[j]:
            w -= 1
            keys[w] = new[j]
    # keys[:i + 1] are below every merged one: close the gap of the repeated keys.
    m = end - w
    for t in range(m):
        keys[i + 1 + t] = keys[w + t]
    return i + 1 + m


@numba.njit(cache=True)
def keys_of_live_items(keys: np.ndarray, item_state: np.ndarray, n_users: int) -> int:
    """Keep the ``keys`` whose item (``key // n_users``) is LIVE in ``item_state``.

    The kept keys move, in order, to the start of ``keys`` (in place); returns how many
    there are (``ShareKeys.keep_live_items``).
    """
    m = 0
    for i in range(len(keys)):
        if item_state[keys[i] // n_users] == LIVE:
            keys[m] = keys[i]
            m += 1
    return m


@numba.njit(cache=True)
def mark_victims(
    targets: np.ndarray,
    victim: np.ndarray,
    first_harm_day: np.ndarray,
    child: np.ndarray,
    day: int,
    new: np.ndarray,
) -> tuple[int, int]:
    """Mark first-time victims among ``targets`` (``HarmModel._harm_victims``).

    Args:
        targets: user ids harmed now, shape (k,), any order, repeats allowed.
        victim, first_harm_day: per user, updated in place for the new victims.
        child: per user, aged 13-17.
        day: today.
        new: out, shape (k,) int64: the new victims' ids, sorted and distinct, first.

    Returns:
        ``(n_new, n_child)``: the number of new victims and how many are children.
    """
    m = 0
    for t in targets:
        if not victim[t]:
            new[m] = t
            m += 1
    new[:m].sort()
    n = 0
    n_child = 0
    for i in range(m):
        if n == 0 or new[i] != new[n - 1]:
            new[n] = new[i]
            n += 1
            victim[new[i]] = True
            first_harm_day[new[i]] = day
            if child[new[i]]:
                n_child += 1
    return n, n_child


@numba.njit(cache=True)
def police_reports(
    abuser_idx: np.ndarray,
    kinds: np.ndarray,
    shared: bool,
    draw: np.ndarray,
    p_harassment: float,
    p_deepfake: float,
    active: np.ndarray,
    who: np.ndarray,
    offence: np.ndarray,
) -> int:
    """Which acts their victims report to the police, as which offence (``_police_reports``).

    An act is reported with the probability of its kind (``draw[i] <`` it) and only if
    its offence exists today (``active``, by population.OFFENCES: harassment, deepfake
    sharing, deepfake creation). Harassment is harassment; a deepfake is sharing if
    ``shared`` and sharing is an offence, else creation.

    Args:
        who, offence: out, shape (k,) int64 and int8: abuser index and offence of the
            reported acts, first.

    Returns:
        The number of reported acts.
    """
    k = len(abuser_idx)
    m = 0
    for i in range(k):
        harass = kinds[i] == HARASSMENT
        if draw[i] >= (p_harassment if harass else p_deepfake):
            continue
        if harass:
            off = HARASSMENT_OFFENCE
        elif shared and active[DEEPFAKE_SHARING]:
            off = DEEPFAKE_SHARING
        else:
            off = DEEPFAKE_CREATION
        if active[off]:
            who[m] = abuser_idx[i]
            offence[m] = off
            m += 1
    return m


@numba.njit(cache=True)
def reviews_to_queue(
    ids: np.ndarray,
    report_h: np.ndarray,
    sorted_unique: bool,
    review_due_h: np.ndarray,
    state: np.ndarray,
    platform: np.ndarray,
    benign_reports: np.ndarray,
    capacity: np.ndarray,
    queued: np.ndarray,
    backlog: np.ndarray,
) -> int:
    """Reported items that enter a review queue, and each platform's backlog (``_queue_reviews``).

    An item's first report counts (items in id order; ``sorted_unique``: the ids are
    already increasing and distinct); it is queued if it is live and not queued yet
    (``review_due_h`` is inf). A platform whose load today (queued items plus
    ``benign_reports``) exceeds its ``capacity`` per day has a backlog of 24 h per
    capacity's worth beyond it; an infinite capacity has none.

    Args:
        ids, report_h: reported items and report hours, shape (k,).
        queued: out, shape (k,) int64: positions in ``ids`` of the queued reports, first,
            in item order.
        backlog: out, backlog in hours per platform.

    Returns:
        The number of queued items.
    """
    k = len(ids)
    order = np.arange(k) if sorted_unique else np.argsort(ids, kind="mergesort")
    n_plat = len(capacity)
    load = np.zeros(n_plat, np.int64)
    m = 0
    prev = -1
    for o in order:
        item = ids[o]
        if item == prev:  # a later report of the same item
            continue
        prev = item
        if review_due_h[item] == np.inf and state[item] == LIVE:
            queued[m] = o
            load[platform[item]] += 1
            m += 1
    for j in range(n_plat):
        backlog[j] = 0.0
        if np.isfinite(capacity[j]):
            over = (load[j] + benign_reports[j]) / max(capacity[j], 1e-9) - 1.0
            backlog[j] = HOURS * (over if over > 0.0 else 0.0)
    return m


@numba.njit(cache=True)
def review_spread(
    ids: np.ndarray,
    queued: np.ndarray,
    platform: np.ndarray,
    z: np.ndarray,
    sigma: np.ndarray,
    out: np.ndarray,
) -> None:
    """``out = sigma[platform] x`` normal deviates given to the platforms in turn (``_queue_reviews``).

    The deviates ``z`` (one per queued report, ``len(z)`` of them) go to the queued
    items (``ids[queued[i]]``) of platform 0 in turn, then platform 1, and so on.
    """
    n = len(z)
    m = 0
    for j in range(len(sigma)):
        for i in range(n):
            if platform[ids[queued[i]]] == j:
                out[i] = sigma[j] * z[m]
                m += 1


@numba.njit(cache=True)
def set_review_times(
    ids: np.ndarray,
    report_h: np.ndarray,
    queued: np.ndarray,
    platform: np.ndarray,
    spread: np.ndarray,
    review_hours: np.ndarray,
    backlog_h: np.ndarray,
    meets_duty: np.ndarray,
    duty_h: float,
    review_due_h: np.ndarray,
    reported_h: np.ndarray,
) -> None:
    """Due hour of each queued review (``_queue_reviews``), written in place.

    Queued report i is of item ``ids[queued[i]]``, made at ``report_h[queued[i]]``, for
    ``len(spread)`` reports. Delay: the platform's median ``review_hours`` x ``spread``
    (log-normal factor) plus its backlog, at most ``duty_h`` on platforms that meet the
    takedown duty.
    """
    for i in range(len(spread)):
        item = ids[queued[i]]
        h = report_h[queued[i]]
        p = platform[item]
        delay = review_hours[p] * spread[i] + backlog_h[p]
        if meets_duty[p]:
            delay = min(delay, duty_h)
        review_due_h[item] = h + delay
        reported_h[item] = h
