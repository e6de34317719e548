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

from sim.kernels.posting import _numpy_sum
from sim.population import DEEPFAKE_CREATION, DEEPFAKE_SHARING, HARASSMENT_OFFENCE


@numba.njit(cache=True)
def count_live(state: np.ndarray, lo: int, n: int, live: int) -> tuple[int, int]:
    """Number of ids ``i`` in ``[lo, n)`` with ``state[i] == live``, and the first of
    them (``n`` if none).

    Used by :meth:`sim.content.HarmfulItems.n_live`.
    """
    count = 0
    first = n
    for i in range(lo, n):
        if state[i] == live:
            if count == 0:
                first = i
            count += 1
    return count, first


@numba.njit(cache=True)
def due_for_review(
    state: np.ndarray,
    lo: int,
    n: int,
    live: int,
    review_due_h: np.ndarray,
    end_h: float,
    due: np.ndarray,
) -> int:
    """Items ``i`` in ``[lo, n)`` still ``live`` whose pending review falls due before
    ``end_h`` (hours).

    Writes their ids, increasing, to the front of ``due`` (int64, at least ``n - lo``
    long) and returns how many. Used by :meth:`sim.model.HarmModel.review_reports`.
    """
    count = 0
    for i in range(lo, n):
        if state[i] == live and review_due_h[i] < end_h:
            due[count] = i
            count += 1
    return count


@numba.njit(cache=True)
def decide_and_remove(
    due: np.ndarray,
    n_due: int,
    draw: np.ndarray,
    platform: np.ndarray,
    proactive: np.ndarray,
    accuracy: np.ndarray,
    review_due_h: np.ndarray,
    removed_h: np.ndarray,
    state: np.ndarray,
    removed_state: int,
    dismissed: np.ndarray,
    share_item: np.ndarray,
    t_share: np.ndarray,
    n_shares: int,
    end_h: float,
    tau_h: float,
    rows: np.ndarray,
    expo: np.ndarray,
) -> tuple[int, int]:
    """Outcome of the reviews of the items ``due[:n_due]`` (increasing), given one uniform
    ``draw`` per item; the removed items come down at their review hour.

    An automated detection (``proactive``) is removed outright; a human review removes
    the item when ``draw < accuracy`` of its platform. In place: the removed items move
    to the front of ``due`` (in order), their ``removed_h`` becomes their review hour
    (``review_due_h``) and their ``state`` ``removed_state``; items kept have their
    review closed (``review_due_h`` set to ``inf``) and are counted per platform in
    ``dismissed`` (int64, (n_plat,), reviews that left the item up).

    The shares (of the first ``n_shares`` rows of ``share_item``) of the removed items
    lose the attention they would have drawn from the removal to ``end_h``, the window
    ``[removed_h, end_h)`` of :func:`sim.content.attention_fraction` (attention decays as
    ``exp(-(t - t_share) / tau_h)``, hours); its exponentials are taken by the caller
    with numpy's ``np.exp`` (numba's differs in the last bit) and passed to
    :func:`after_removal`. Writes ``rows[:k]``, those shares (increasing), and
    ``expo[:2k]``: ``-a / tau_h`` then ``-b / tau_h``, with ``a``, ``b`` the window's
    start and end in hours after the share (at least 0); the fraction lost by share
    ``rows[j]`` is ``max(exp(expo[j]) - exp(expo[k + j]), 0)``. ``rows`` and ``expo``
    hold at least ``n_shares`` and ``2 n_shares`` values.

    Returns:
        (number of items removed, ``k`` shares of them). Used by
        :meth:`sim.model.HarmModel.review_reports`.
    """
    dismissed[:] = 0
    n_gone = 0
    for m in range(n_due):
        i = due[m]
        if proactive[i] or draw[m] < accuracy[platform[i]]:
            due[n_gone] = i
            n_gone += 1
            removed_h[i] = review_due_h[i]
            state[i] = removed_state
        else:
            review_due_h[i] = np.inf
            dismissed[platform[i]] += 1
    if n_gone == 0 or n_shares == 0:
        return n_gone, 0
    gone = due[:n_gone]
    k = 0
    for r in range(n_shares):
        i = share_item[r]
        g = np.searchsorted(gone, i)
        if g < n_gone and gone[g] == i:
            rows[k] = r
            k += 1
    for j in range(k):
        t = t_share[rows[j]]
        expo[j] = -(max(removed_h[share_item[rows[j]]], t) - t) / tau_h
        expo[k + j] = -(max(end_h, t) - t) / tau_h
    return n_gone, k


@numba.njit(cache=True)
def after_removal(
    gone: np.ndarray,
    draw: np.ndarray,
    platform: np.ndarray,
    views: np.ndarray,
    potential_views: np.ndarray,
    suspension_prob: np.ndarray,
    denied: np.ndarray,
    rows: np.ndarray,
    k: int,
    e: np.ndarray,
    share_item: np.ndarray,
    audience: np.ndarray,
    view_prob: float,
    views_by_platform: np.ndarray,
    hit: np.ndarray,
) -> tuple[float, int]:
    """What the removals of the items ``gone`` took back and cost, given one uniform
    ``draw`` per item.

    First the views the ``k`` shares ``rows[:k]`` of the removed items would have drawn
    after the removal today are taken back: ``e`` is ``np.exp`` of
    :func:`decide_and_remove`'s exponents (2k,); share ``rows[j]`` loses ``audience x
    view_prob x max(e[j] - e[k + j], 0)`` views. In place: the ``views`` of each item
    drop by the sum over its shares (not below 0), and ``views_by_platform`` by that of
    its platform's shares (sums formed as ``np.bincount`` forms them, in row order from
    0.0).

    Then, in place, ``denied`` (n_plat,) becomes the share of each removed item's
    expected views the removal prevented, clipped to [0, 1] and summed per platform; the
    items whose creator's account is suspended, ``draw < suspension_prob`` of the
    platform, are written to the front of ``hit`` (int64, at least ``len(gone)``).

    Returns:
        (the views taken back in all, summed as numpy's ``.sum()`` sums them; number of
        items in ``hit``). Used by :meth:`sim.model.HarmModel.review_reports`.
    """
    taken = 0.0
    if k:
        extra = _uncount_views(
            rows, k, share_item, audience, view_prob, e, views, platform, views_by_platform
        )
        taken = _numpy_sum(extra, 0, k)
    denied[:] = 0.0
    n_hit = 0
    for m in range(len(gone)):
        i = gone[m]
        pot = potential_views[i]
        d = 1.0 - views[i] / max(pot, 1e-12) if pot > 0 else 0.0
        d = min(max(d, 0.0), 1.0)
        denied[platform[i]] += d
        if draw[m] < suspension_prob[platform[i]]:
            hit[n_hit] = i
            n_hit += 1
    return taken, n_hit


@numba.njit(cache=True)
def _uncount_views(
    rows: np.ndarray,
    k: int,
    share_item: np.ndarray,
    audience: np.ndarray,
    view_prob: float,
    e: np.ndarray,
    views: np.ndarray,
    platform: np.ndarray,
    views_by_platform: np.ndarray,
) -> np.ndarray:
    """The views taken back by :func:`after_removal` (its first step), per share row."""
    extra = np.empty(k)
    lo = share_item[rows[0]]
    hi = lo
    for j in range(k):
        i = share_item[rows[j]]
        extra[j] = audience[rows[j]] * view_prob * max(e[j] - e[k + j], 0.0)
        lo = min(lo, i)
        hi = max(hi, i)
    sums = np.zeros(hi - lo + 1)
    by_plat = np.zeros(len(views_by_platform))
    for j in range(k):
        i = share_item[rows[j]]
        sums[i - lo] += -extra[j]
        by_plat[platform[i]] += extra[j]
    for j in range(len(sums)):
        v = views[lo + j] + sums[j]
        views[lo + j] = 0.0 if v < 0.0 else v  # np.maximum(v, 0.0): keeps -0.0
    for j in range(len(by_plat)):
        views_by_platform[j] -= by_plat[j]
    return extra


@numba.njit(cache=True)
def end_items(
    first_live: int,
    created_h: np.ndarray,
    lifetime_h: float,
    end_h: float,
    state: np.ndarray,
    n: int,
    responded: np.ndarray,
    lo: int,
    live_state: int,
    expired_state: int,
    views: np.ndarray,
    potential_views: np.ndarray,
    kind: np.ndarray,
    target: np.ndarray,
    deepfake_kind: int,
    deepfake_weight: float,
    harm: np.ndarray,
    ended: np.ndarray,
    exposure: np.ndarray,
) -> tuple[int, int]:
    """Expire the live items older than ``lifetime_h`` at ``end_h``; harm the targets of
    the items that ended.

    In place: ``state`` of the items ``[first_live, n)`` in ``live_state`` (none is below
    ``first_live``) posted ``lifetime_h`` or more hours before ``end_h`` becomes
    ``expired_state``; every item in ``[lo, n)`` that is no longer in ``live_state`` and
    not yet ``responded`` has ended: it is marked responded and ``harm`` of its target
    grows by weight x exposure, in item order (as ``np.add.at``).
    Exposure is ``0.5 + 0.5 x min(1, views / potential views)`` (dimensionless, in
    [0.5, 1]); a deepfake (``kind == deepfake_kind``) weighs ``deepfake_weight`` times a
    harassment item. States: :mod:`sim.content`.

    Writes the ids of the ``k`` items that ended (increasing) to ``ended[:k]`` and their
    exposures to ``exposure[:k]`` (both at least ``n - lo`` long).

    Returns:
        (``k``; the first id from ``lo`` on not yet responded, or ``n``, or ``lo`` if
        none ended). Used by :meth:`sim.model.HarmModel.end_items_and_victims_respond`.
    """
    k = 0
    first = n
    for i in range(min(lo, first_live), n):
        if state[i] == live_state:
            if i >= first_live and created_h[i] + lifetime_h <= end_h:
                state[i] = expired_state
            elif i >= lo and first == n and not responded[i]:
                first = i
                continue
            else:
                continue
        if i < lo or responded[i]:
            continue
        # Ended (removed, expired or gone dark) and not yet responded to.
        responded[i] = True
        ended[k] = i
        pot = max(potential_views[i], 1e-9)
        exposure[k] = 0.5 + 0.5 * min(1.0, views[i] / pot)
        weight = deepfake_weight if kind[i] == deepfake_kind else 1.0
        harm[target[i]] += weight * exposure[k]
        k += 1
    if k == 0:
        return 0, lo
    return k, first


@numba.njit(cache=True)
def deterrence_inputs(
    alpha: np.ndarray,
    beta: np.ndarray,
    severity_factor: np.ndarray,
    active: np.ndarray,
    incapacitated_until: np.ndarray,
    day: int,
    propensity: np.ndarray,
    sanction: np.ndarray,
    rate: np.ndarray,
    free: np.ndarray,
) -> None:
    """What each abuser weighs today: expected sanction per offence and the attempt rate.

    Expected sanction is perceived certainty ``alpha / (alpha + beta)`` (shape (a, 3)) x
    the offence's severity factor, 0 for an act that is no offence (``active``). Abusers
    in custody (``incapacitated_until >= day``) attempt nothing.

    Writes (in place): ``sanction`` (3, a), one contiguous row per offence (what a
    decision rule is given); ``rate``, attempts per day (a,); ``free`` (a,) bool.
    Used by :meth:`sim.model.HarmModel.abusers_decide`.
    """
    a, n_off = alpha.shape
    for i in range(a):
        for k in range(n_off):
            s = alpha[i, k] / (alpha[i, k] + beta[i, k]) * severity_factor[k]
            sanction[k, i] = s * (1.0 if active[k] else 0.0)
        free[i] = incapacitated_until[i] < day
        rate[i] = propensity[i] * (1.0 if free[i] else 0.0)


@numba.njit(cache=True)
def tally_acts(
    attempts: np.ndarray,
    u: np.ndarray,
    deepfake_share: float,
    share_prob: float,
    willing: np.ndarray,
    free: np.ndarray,
    acts: np.ndarray,
    harass: np.ndarray,
    shared: np.ndarray,
    unshared: np.ndarray,
) -> tuple[int, float]:
    """Today's acts per abuser: the kind of each attempt, then the willingness per offence.

    Attempt ``e`` (in abuser order, ``attempts[i]`` each) uses ``u[2e]`` and ``u[2e + 1]``
    (``u`` has ``2 x sum(attempts)`` uniforms): it is a deepfake if ``u[2e] <
    deepfake_share``, else harassment (an act if willing to harass); a deepfake is
    created if willing to create, and a created deepfake is shared if ``u[2e + 1] <
    share_prob`` and the abuser is willing to share. Every attempt takes two uniforms
    whatever it becomes, so runs that differ only in these probabilities or in
    willingness draw the same numbers afterwards (common random numbers). Per abuser
    this is Binomial(attempts, deepfake_share) deepfakes and Binomial(created,
    share_prob) shares. ``willing`` is (3, a), one row per offence
    (population.OFFENCES order).

    Writes (in place): ``acts`` (a, 3), the acts per offence; ``harass``, ``shared``
    and ``unshared`` (a,): harassment items, deepfakes shared and deepfakes kept
    unshared per abuser.

    Returns:
        (deepfakes created in all; share of free abusers willing to harass).
        Used by :meth:`sim.model.HarmModel.abusers_decide`.
    """
    a = len(attempts)
    n_created = 0
    n_free = 0
    n_willing = 0
    e = 0
    for i in range(a):
        deepfakes = 0
        offered = 0  # created deepfakes the draw would share
        for _ in range(attempts[i]):
            if u[2 * e] < deepfake_share:
                deepfakes += 1
                if u[2 * e + 1] < share_prob:
                    offered += 1
            e += 1
        created = deepfakes * willing[DEEPFAKE_CREATION, i]
        harass[i] = (attempts[i] - deepfakes) * willing[HARASSMENT_OFFENCE, i]
        shared[i] = offered * willing[DEEPFAKE_CREATION, i] * willing[DEEPFAKE_SHARING, i]
        unshared[i] = created - shared[i]
        acts[i, HARASSMENT_OFFENCE] = harass[i]
        acts[i, DEEPFAKE_SHARING] = shared[i]
        acts[i, DEEPFAKE_CREATION] = created
        n_created += created
        if free[i]:
            n_free += 1
            if willing[HARASSMENT_OFFENCE, i]:
                n_willing += 1
    return n_created, n_willing / n_free if n_free else 0.0


@numba.njit(cache=True)
def forget_and_count(
    alpha: np.ndarray,
    beta: np.ndarray,
    alpha0: float,
    beta0: float,
    decay: float,
    acts: np.ndarray,
    active: np.ndarray,
) -> None:
    """Abusers' memory fades and today's unsanctioned acts count (in place).

    Pseudo-counts (a, 3) move back toward the prior, ``x0 + (x - x0) x decay``; each act
    that is an offence (``active``) adds one to ``beta``. Used by
    :meth:`sim.model.HarmModel.abusers_learn`.
    """
    a, n_off = alpha.shape
    for i in range(a):
        for k in range(n_off):
            alpha[i, k] = alpha0 + (alpha[i, k] - alpha0) * decay
            b = beta0 + (beta[i, k] - beta0) * decay
            beta[i, k] = b + acts[i, k] * (1.0 if active[k] else 0.0)


@numba.njit(cache=True)
def day_counts(
    victims: np.ndarray,
    gender: np.ndarray,
    child: np.ndarray,
    new_items: np.ndarray,
    kind: np.ndarray,
    removed: np.ndarray,
    proactive: np.ndarray,
    by_gender: np.ndarray,
    by_kind: np.ndarray,
) -> tuple[int, int]:
    """Counts for the day's row of the time series.

    Writes (in place): ``by_gender`` (3,), new ``victims`` by ``gender`` code;
    ``by_kind`` (2,), items posted today by ``kind``.

    Returns:
        (children among the new victims; items ``removed`` today by automated
        detection). Used by :meth:`sim.model.HarmModel.record`.
    """
    by_gender[:] = 0
    children = 0
    for v in victims:
        by_gender[gender[v]] += 1
        children += child[v]
    by_kind[:] = 0
    for i in new_items:
        by_kind[kind[i]] += 1
    n_proactive = 0
    for i in removed:
        n_proactive += proactive[i]
    return children, n_proactive


@numba.njit(cache=True)
def items_per_platform(ids: np.ndarray, platform: np.ndarray, counts: np.ndarray) -> None:
    """Number of the items ``ids`` on each platform, written into ``counts`` (n_plat,).

    Used by :meth:`sim.model.HarmModel.settle_platform_accounts`.
    """
    counts[:] = 0
    for i in ids:
        counts[platform[i]] += 1
