"""Kernels of posting (sim/kernels/posting.py) give bit-for-bit the array code they replace.

Each test runs the numpy formulation the kernel replaced (kept here as the reference)
and the model's kernel-based code on the same inputs and random stream, and requires
equal results and an equally advanced stream.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sim.content import (
    DEEPFAKE,
    HARASSMENT,
    LIVE,
    REMOVED,
    HarmfulItems,
    ShareKeys,
    Shares,
    appeal_complement,
    appeal_of,
    draw_appeal,
)
from sim.kernels import posting
from sim.model import HarmModel
from tests.helpers import small_config


def test_numpy_sum_is_numpys_sum_bit_for_bit():
    """Pairwise summation in numpy's order, for short, blocked and halved lengths."""
    rng = np.random.default_rng(0)
    for n in [*range(300), 1000, 4097, 8192, 8193, 100_003]:
        a = rng.random(n + 3) * np.exp(rng.normal(0.0, 5.0, n + 3))
        got = posting._numpy_sum(a, 2, n)
        assert got == a[2 : 2 + n].sum(), n
    assert np.signbit(posting._numpy_sum(np.array([-0.0]), 0, 1)) == np.signbit(
        np.array([-0.0]).sum()
    )


def reference_platforms(member, creators, pull, r):
    """The numpy code ``HarmModel._choose_platforms`` used before its kernel."""
    w = member[creators] * pull[None, :]
    tot = w.sum(axis=1)
    cum = np.cumsum(w, axis=1)
    choice = (cum <= (r * tot)[:, None]).sum(axis=1)
    return np.where(tot > 0, np.minimum(choice, len(pull) - 1), -1)


@pytest.mark.parametrize("n_plat", [1, 2, 4, 7, 8, 9, 20])
def test_choose_platforms_matches_the_array_code(n_plat):
    rng = np.random.default_rng(n_plat)
    member = rng.random((300, n_plat)) < 0.4
    member[:20] = False  # creators on no platform get -1
    creators = rng.integers(0, 300, 500)
    displacement = np.exp(-2.0 * rng.random(n_plat))
    open_ = rng.random(n_plat) < 0.8
    pull = displacement * open_
    r = rng.random(len(creators))
    got = np.empty(len(creators), np.int64)
    n_none = posting.choose_platforms(member, creators, displacement, open_, r, got)
    np.testing.assert_array_equal(got, reference_platforms(member, creators, pull, r))
    assert n_none == (got == -1).sum() > 0


def reference_targets(model, creators, kind, rng):
    """The numpy code ``HarmModel._choose_targets`` used before its kernels."""
    k = len(creators)
    n = model.users.n
    cum = model._cum_weights[kind]
    glob = np.searchsorted(cum, rng.random(k) * cum[-1], side="right")
    glob = np.minimum(glob, n - 1)
    local = rng.random(k) < model.cfg.abusers.local_target_prob
    if local.any():
        users = creators[local]
        indptr, indices = model.adj.indptr, model.adj.indices
        lo, hi = indptr[users], indptr[users + 1]
        deg = hi - lo
        has = deg > 0
        c = np.full(len(users), -1, np.int64)
        c[has] = indices[lo[has] + (rng.random(int(has.sum())) * deg[has]).astype(np.int64)]
        accept_p = model._gender_accept[kind]
        accept = (c >= 0) & (rng.random(len(c)) < accept_p[model.users.gender[np.maximum(c, 0)]])
        glob[local] = np.where(accept, c, glob[local])
    same = glob == creators
    glob[same] = (glob[same] + 1) % n
    return glob


@pytest.mark.parametrize("local_prob", [0.0, 0.5, 1.0])
def test_choose_targets_matches_the_array_code(local_prob):
    """Same targets and the same stream, with isolated creators and self-targets."""
    model = HarmModel(small_config(f"abusers.local_target_prob={local_prob}", n_users=400))
    # Cut every contact of the first 30 users: they have no contact to pick.
    adj = model.adj.tolil()
    for u in range(30):
        for v in adj.rows[u]:
            adj[v, u] = 0
        adj[u, :] = 0
    model.adj = sp.csr_array(adj.tocsr())
    model.adj.eliminate_zeros()
    rng = np.random.default_rng(7)
    creators = np.concatenate([np.arange(40), rng.integers(0, 400, 200)]).astype(np.int64)
    for kind in (HARASSMENT, DEEPFAKE):
        for seed, then in zip(range(6), (0, 0, 0, 3, 5, 40), strict=True):
            ours, ref = np.random.default_rng(seed), np.random.default_rng(seed)
            got = np.empty(len(creators), np.int64)
            r = ours.random(2 * len(creators))
            nxt = model._choose_targets(creators, kind, r, ours, got, then=then)
            np.testing.assert_array_equal(got, reference_targets(model, creators, kind, ref))
            np.testing.assert_array_equal(nxt, ref.random(then))  # the caller's next draw
            assert ours.bit_generator.state == ref.bit_generator.state
            assert not (got == creators).any()


def test_share_keys_match_the_array_code():
    """Add (with repeats, known keys and keys below and above the known ones) and
    keep_live_items as numpy did; the buffer grows when it must."""
    rng = np.random.default_rng(3)
    keys = ShareKeys(50)
    ref = np.zeros(0, np.int64)
    for step in range(60):
        k = int(rng.integers(0, 40 if step % 7 else 900))
        lo = int(rng.integers(0, 40))
        item = rng.integers(lo, lo + 3 if step % 3 else 60, k)
        user = rng.integers(0, 50, k)
        if step % 5 == 0 and len(ref):  # some keys already known
            item = np.concatenate([item, ref[::3] // 50])
            user = np.concatenate([user, ref[::3] % 50])
        buffer = keys.room_for(len(item))
        n = posting._add_keys(buffer, len(keys.keys), item, user, 50)
        keys.keys = buffer[:n]
        ref = np.union1d(ref, item.astype(np.int64) * 50 + user)
        np.testing.assert_array_equal(keys.keys, ref)
        state = np.where(rng.random(100) < 0.9, LIVE, REMOVED).astype(np.int8)
        live = state == LIVE
        keys.keep_live_items(state)
        ref = ref[live[ref // 50]]
        np.testing.assert_array_equal(keys.keys, ref)
    assert len(ref) > 50 and len(keys._buffer) > 1024


def reference_queue_reviews(model, ids, report_h, sorted_unique):
    """The numpy code ``HarmModel._queue_reviews`` used before its kernels."""
    items = model.items
    if not sorted_unique:
        ids, first = np.unique(ids, return_index=True)
        report_h = report_h[first]
    fresh = (items.review_due_h[ids] == np.inf) & (items.state[ids] == LIVE)
    ids, report_h = ids[fresh], report_h[fresh]
    if len(ids) == 0:
        return
    plat = items.platform[ids]
    rng = model.streams["moderation"]
    mod = model.moderation()
    load = np.bincount(plat, minlength=len(model.platform_list)) + model._benign_reports
    cap = model.review_capacity()
    with np.errstate(invalid="ignore"):
        over = 24.0 * np.maximum(0.0, load / np.maximum(cap, 1e-9) - 1.0)
    backlog = np.where(np.isfinite(cap), over, 0.0)
    z = np.empty(len(ids))
    z[np.argsort(plat, kind="stable")] = rng.standard_normal(len(ids))
    delay = mod.review_hours[plat] * np.exp(mod.review_sigma[plat] * z) + backlog[plat]
    meets = mod.meets_duty[plat]
    if meets.any():
        delay = np.where(meets, np.minimum(delay, model.takedown_duty_hours), delay)
    items.review_due_h[ids] = report_h + delay
    items.reported_h[ids] = report_h


def compare_with_reference(model, run_ours, run_ref, arrays, streams):
    """Run both from the same state; require the same arrays and stream states after."""
    saved = [a.copy() for a in arrays]
    states = {s: model.streams[s].bit_generator.state for s in streams}
    run_ref()
    expected = [a.copy() for a in arrays]
    assert any((e != s).any() for e, s in zip(expected, saved, strict=True))  # something to compare
    expected_states = {s: model.streams[s].bit_generator.state for s in streams}
    for a, s in zip(arrays, saved, strict=True):
        a[...] = s
    for s, st in states.items():
        model.streams[s].bit_generator.state = st
    run_ours()
    for a, e in zip(arrays, expected, strict=True):
        np.testing.assert_array_equal(a, e)
    assert {s: model.streams[s].bit_generator.state for s in streams} == expected_states


@pytest.mark.parametrize("scenario", ["baseline", "fast_takedown"])
def test_queue_reviews_matches_the_array_code(scenario):
    """Repeated and already-queued reports, backlogs and the takedown duty."""
    model = HarmModel(small_config(f"scenario={scenario}", n_users=1500, start=5))
    model.run_for(40)
    model._benign_reports = np.array([3.0, 0.0, 250.0, 1.0])[: len(model.platform_list)]
    if scenario == "fast_takedown":
        model.platform_list[0].meets_duty = True  # reviews capped at the duty's 24 h
        assert np.isinf(model.review_capacity()[0])
    live = model.items.live_ids()
    assert len(live) > 5
    rng = np.random.default_rng(1)
    ids = rng.choice(np.concatenate([live, np.arange(model.items.n)]), 60)
    report_h = model.day * 24.0 + rng.random(60) * 24.0
    arrays = [model.items.review_due_h, model.items.reported_h]
    for sorted_unique in (False, True):
        q = np.unique(ids) if sorted_unique else ids
        h = report_h[: len(q)]
        model.items.review_due_h[live[::2]] = np.inf  # half the live items not yet queued
        compare_with_reference(
            model,
            lambda q=q, h=h, s=sorted_unique: model._queue_reviews(q, h, s),
            lambda q=q, h=h, s=sorted_unique: reference_queue_reviews(model, q, h, s),
            arrays,
            ["moderation"],
        )


def reference_harm_victims(model, targets):
    """The numpy code ``HarmModel._harm_victims`` used before its kernel."""
    u = model.users
    new = targets[~u.victim[targets]]
    if len(new) == 0:
        model._victims_today.append(new)
        return
    new = np.unique(new)
    u.victim[new] = True
    u.first_harm_day[new] = model.day
    model._victims_today.append(new)
    model._n_victims += len(new)
    model._n_child_victims += int(u.child[new].sum())


def test_harm_victims_matches_the_array_code():
    """New victims once each (repeats, earlier victims), children counted."""
    model = HarmModel(small_config(n_users=500))
    model.day = 3
    rng = np.random.default_rng(2)
    for _ in range(30):
        targets = rng.integers(0, 500, rng.integers(0, 40))
        u = model.users
        before = (
            u.victim.copy(),
            u.first_harm_day.copy(),
            model._n_victims,
            model._n_child_victims,
        )
        reference_harm_victims(model, targets)
        expected = (u.victim.copy(), u.first_harm_day.copy(), model._victims_today.pop())
        counts = (model._n_victims, model._n_child_victims)
        u.victim[:], u.first_harm_day[:] = before[0], before[1]
        model._n_victims, model._n_child_victims = before[2], before[3]
        model._harm_victims(targets)
        np.testing.assert_array_equal(u.victim, expected[0])
        np.testing.assert_array_equal(u.first_harm_day, expected[1])
        got = model._victims_today.pop()
        np.testing.assert_array_equal(got, expected[2])
        assert got.dtype == expected[2].dtype
        assert (model._n_victims, model._n_child_victims) == counts
        model.day += 1
    assert 0 < model._n_child_victims < model._n_victims


def reference_police_reports(model, abuser_idx, kinds, shared, active):
    """The numpy code ``HarmModel._police_reports`` used before its kernel."""
    rng = model.streams["justice"]
    j = model.cfg.justice
    draw = rng.random(len(abuser_idx))
    p = np.where(
        kinds == HARASSMENT, j.police_report_prob_harassment, j.police_report_prob_deepfake
    )
    hit = draw < p
    if not hit.any():
        return
    kinds = np.broadcast_to(np.asarray(kinds), abuser_idx.shape)
    offence = np.where(kinds == HARASSMENT, 0, 1 if shared else 2)
    if shared:
        offence = np.where((kinds == DEEPFAKE) & ~active[1], 2, offence)
    ok = active[offence] & hit
    model.justice.report(abuser_idx[ok], offence[ok].astype(np.int8))


@pytest.mark.parametrize("active", [(True, True, True), (True, False, True), (True, False, False)])
def test_police_reports_match_the_array_code(active):
    """Offence by kind and by which offences exist; single kinds and arrays of kinds."""
    model = HarmModel(
        small_config(
            "justice.police_report_prob_harassment=0.4",
            "justice.police_report_prob_deepfake=0.6",
            n_users=500,
        )
    )
    active = np.array(active)
    model.offence_active = lambda: active
    rng = np.random.default_rng(4)
    intake = model.justice
    for shared in (True, False):
        for kinds in (DEEPFAKE, HARASSMENT, rng.integers(0, 2, 50).astype(np.int8)):
            abusers = rng.integers(0, model.abusers.n, 50)
            state = model.streams["justice"].bit_generator.state
            reference_police_reports(model, abusers, kinds, shared, active)
            expected = (intake._intake_abuser, intake._intake_offence)
            intake._intake_abuser, intake._intake_offence = [], []
            ref_state = model.streams["justice"].bit_generator.state
            model.streams["justice"].bit_generator.state = state
            model._police_reports(model.abusers.ids[abusers], kinds, shared)
            got = (intake._intake_abuser, intake._intake_offence)
            intake._intake_abuser, intake._intake_offence = [], []
            assert len(got[0]) == len(expected[0])
            for a, b in zip(got[0] + got[1], expected[0] + expected[1], strict=True):
                np.testing.assert_array_equal(a, b)
                assert a.dtype == b.dtype
            assert model.streams["justice"].bit_generator.state == ref_state


def test_reserved_item_rows_hold_a_new_items_values():
    """Rows never used are live, unremoved, unreviewed and unseen, also after growing."""
    items = HarmfulItems(capacity=16)
    items.removed_h[:3] = 5.0  # rows in use are kept when the table grows
    first = items.reserve(3)
    assert first == 0
    assert items.reserve(40) == 3 and items.n == 43 and len(items.state) >= 43
    np.testing.assert_array_equal(items.removed_h[:3], 5.0)
    assert np.isinf(items.removed_h[3:]).all() and np.isinf(items.review_due_h).all()
    assert np.isinf(items.reported_h).all() and (items.state == LIVE).all()
    assert not items.views.any() and not items.reports.any() and not items.proactive.any()


def test_expand_acts_matches_repeat():
    """Rows: unshared deepfakes, harassment, shared deepfakes, each in abuser order."""
    rng = np.random.default_rng(5)
    unshared, harass, shared = (rng.poisson(0.7, 30) for _ in range(3))
    ids = np.sort(rng.choice(1000, 30, replace=False)).astype(np.int64)
    counts = (unshared.sum(), harass.sum(), shared.sum())
    n = sum(counts)
    short = np.full(n - 1, -1, np.int64), np.zeros(n - 1, np.int8)
    assert posting.expand_acts(unshared, harass, shared, ids, *short) == counts
    assert (short[0] == -1).all()  # rows that do not fit are not written
    creators, kinds = np.empty(n + 5, np.int64), np.empty(n + 5, np.int8)
    assert posting.expand_acts(unshared, harass, shared, ids, creators, kinds) == counts
    ref_who = np.repeat(np.tile(np.arange(30), 3), np.concatenate([unshared, harass, shared]))
    np.testing.assert_array_equal(creators[:n], ids[ref_who])
    ref_kinds = np.repeat([DEEPFAKE, HARASSMENT, DEEPFAKE], counts)
    np.testing.assert_array_equal(kinds[:n], ref_kinds)


def test_act_rows_grow_when_a_day_has_more_acts():
    """The reused rows lengthen on a busy day and hold the day's acts either way."""
    model = HarmModel(small_config(n_users=500))
    n_ab = model.abusers.n
    for scale in (1, 3, 1, 40):
        acts = {k: np.full(n_ab, scale, np.int64) for k in ("unshared", "harass", "shared")}
        n_u, n_h, n_s, creators, kinds, targets, plat = model._act_rows(acts)
        assert (n_u, n_h, n_s) == (scale * n_ab,) * 3
        assert len(creators) == len(kinds) == len(targets) == len(plat) == 3 * scale * n_ab
        np.testing.assert_array_equal(creators, np.tile(np.repeat(model.abusers.ids, scale), 3))
        np.testing.assert_array_equal(kinds[n_u : n_u + n_h], HARASSMENT)
    assert len(model._act_buffer[0]) >= 120 * n_ab


def test_new_items_are_written_and_screened_as_the_array_code():
    """Columns of the new rows; detected items come down after the automated delay; the
    rest may be reported."""
    rng = np.random.default_rng(6)
    k, first, day = 200, 7, 11
    creators, targets = rng.integers(0, 500, k), rng.integers(0, 500, k)
    plat = rng.integers(0, 3, k)
    kinds = rng.integers(0, 2, k).astype(np.int8)
    r_hour, u = rng.random(k), rng.random(k)
    appeal = appeal_of(u, 5.0)
    recall = rng.random((3, 2))
    auto_delay = np.array([0.5, 2.0, 7.0])
    r_detect, e_delay, r_report = rng.random(k), rng.exponential(1.0, k), rng.random(k)
    items = HarmfulItems(capacity=16)
    assert items.reserve(first + k) == 0
    items.reports[:] = 1
    ids, reported, reported_h = np.empty(k, np.int64), np.empty(k, np.int64), np.empty(k)
    n_rep = posting.new_items(
        first, creators, targets, kinds, plat, r_hour, appeal_complement(u, 5.0), day, ids, recall,
        auto_delay, r_detect, e_delay, r_report, 0.3, items.creator, items.target, items.kind,
        items.platform, items.created_h, items.appeal, items.day, items.review_due_h,
        items.proactive, items.reports, reported, reported_h,
    )  # fmt: skip
    new = slice(first, first + k)
    np.testing.assert_array_equal(ids, np.arange(first, first + k))
    created_h = day * 24.0 + r_hour * 24.0
    for col, want in (
        ("creator", creators), ("target", targets), ("kind", kinds), ("platform", plat),
        ("created_h", created_h), ("appeal", appeal), ("day", np.full(k, day)),
    ):  # fmt: skip
        np.testing.assert_array_equal(items.view(col)[new], want)
        assert not items.view(col)[:first].any()
    detected = r_detect < recall[plat, kinds]
    ref_due = np.full(len(items.review_due_h), np.inf)
    ref_due[new][detected] = (created_h + e_delay * auto_delay[plat])[detected]
    np.testing.assert_array_equal(items.review_due_h, ref_due)
    np.testing.assert_array_equal(items.proactive[new], detected)
    rep = ~detected & (r_report < 0.3)
    np.testing.assert_array_equal(items.reports[new], 1 + rep)
    np.testing.assert_array_equal(reported[:n_rep], np.flatnonzero(rep) + first)
    np.testing.assert_array_equal(reported_h[:n_rep], created_h[rep])
    assert 0 < n_rep < k - detected.sum()


def test_write_shares_matches_the_array_code():
    """Audience from the sharer's contacts on the platform; potential views per item."""
    rng = np.random.default_rng(8)
    aud_T = (rng.random((3, 50)) * 40).astype(np.float32)
    k = 60
    item, sharer, plat = rng.integers(10, 20, k), rng.integers(0, 50, k), rng.integers(0, 3, k)
    t_h = rng.random(k)
    sh = Shares(capacity=16)
    sh.append(item=np.array([1]), sharer=np.array([2]), t_h=np.array([0.5]), audience=np.ones(1))
    potential = rng.random(30)
    ref_potential = potential.copy()
    first = sh.reserve(k)
    known = np.array([10 * 50 + 7, 25 * 50 + 1])  # share keys so far
    keys = np.concatenate([known, np.full(k, -1)])
    n_keys = posting.write_shares(
        first, item, sharer, t_h, plat, aud_T, 0.3, sh.item, sh.sharer, sh.t_h, sh.audience,
        potential, keys, len(known), 50,
    )  # fmt: skip
    np.testing.assert_array_equal(keys[:n_keys], np.union1d(known, item * 50 + sharer))
    audience = aud_T[plat, sharer].astype(np.float64)
    np.testing.assert_array_equal(sh.view("audience"), np.concatenate([[1.0], audience]))
    np.testing.assert_array_equal(sh.view("item"), np.concatenate([[1], item]))
    np.testing.assert_array_equal(sh.view("sharer"), np.concatenate([[2], sharer]))
    np.testing.assert_array_equal(sh.view("t_h"), np.concatenate([[0.5], t_h]))
    sums = np.bincount(item - 10, weights=audience * 0.3)
    ref_potential[10 : 10 + len(sums)] += sums
    np.testing.assert_array_equal(potential, ref_potential)


def test_appeal_of_uniforms_is_the_inverse_transform_of_beta():
    """``appeal_of`` is Beta(1, exponent) by inverse transform; ``draw_appeal`` draws its uniforms."""
    u = np.random.default_rng(9).random(20_000)
    for exponent in (0.5, 2.0, 5.0):
        a = appeal_of(u, exponent)
        np.testing.assert_array_equal(a, 1.0 - (1.0 - u) ** (1.0 / exponent))
        assert abs(a.mean() - 1.0 / (1.0 + exponent)) < 0.01
        np.testing.assert_array_equal(draw_appeal(np.random.default_rng(9), 20_000, exponent), a)
