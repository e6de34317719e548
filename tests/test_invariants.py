"""Invariants that hold for every valid configuration (property-based, with hypothesis).

Each example draws a small random valid configuration: 200-1,500 users, 20-120 days, a
random scenario of the eight, a random network family, and a handful of parameters
drawn from their declared ranges in ``sim.config.parameter_table()``. The run must keep
its books: every harmful item is live, removed or expired; counts are never negative;
no penalty exceeds its statutory cap; a platform that left the UK has no UK users; and
no output is NaN or infinite.

Examples are derandomised by default so CI sees the same configurations every time
(a failure is then reproducible, not flaky); ``HYPOTHESIS_PROFILE=explore`` draws new,
more numerous examples for a local search.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.config import ConfigError, parameter_table, validate
from sim.content import EXPIRED, LIVE, REMOVED
from sim.defaults import compose_config
from sim.model import HarmModel

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
from tests.helpers import SCENARIOS  # noqa: E402

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

NETWORKS = ("scale_free", "small_world", "sbm")
PLATFORMS = ("mega", "midsize", "freespeech", "fringe")

# Parameters varied over their whole declared range. Supercritical spread (content.view_prob
# x content.reshare_prob_per_view x network.mean_degree x mean appeal >= 1) is refused by
# sim.config.validate (tests/test_wrong_inputs.py), so drawn configurations that hit it
# are discarded like any other refused one.
VARIED = (
    "abusers.share",
    "abusers.attempts_per_day_mean",
    "abusers.propensity_sigma",
    "abusers.prior_certainty",
    "content.attention_halflife_hours",
    "content.view_prob",
    "content.reshare_prob_per_view",
    "content.appeal_exponent",
    "content.item_lifetime_days",
    "population.report_prob_target",
    "population.leave_prob_after_harm",
    "regulator.fine_severity",
    "regulator.investigation_days_mean",
    "regulator.investigation_slots",
    "regulator.required_recall",
    "scenario.fine_cap_multiplier",
    "scenario.fine_severity_multiplier",
    "scenario.takedown_duty_hours",
    "justice.charge_prob",
    "justice.capacity_cases_per_100k_users_per_day",
    "network.mean_degree",
    "platforms.<name>.initial_effort",
    "platforms.<name>.arpu_gbp",
    "platforms.<name>.auto_delay_hours",
    "platforms.<name>.review_accuracy",
    "platforms.<name>.exit_patience_months",
)
RANGES = {row["key"]: row for row in parameter_table()}


def _value(draw: st.DrawFn, key: str, n_users: int) -> Any:
    """A value inside the declared range of ``key`` (ints stay ints)."""
    row = RANGES[key]
    lo, hi = row["lo"], row["hi"]
    if key == "network.mean_degree":
        hi = min(hi, n_users - 1)  # cross-field rule: fewer contacts than users
    if isinstance(row["default"], int) and not isinstance(row["default"], bool):
        return draw(st.integers(int(lo), int(hi)))
    return draw(st.floats(float(lo), float(hi), allow_nan=False, allow_infinity=False))


@st.composite
def configs(draw: st.DrawFn) -> list[str]:
    """Overrides of a small random configuration that ``sim.config.validate`` accepts."""
    n_users = draw(st.integers(200, 1500))
    days = draw(st.integers(20, 120))
    start = draw(st.integers(-1, days - 1))  # -1: half-way through the run
    overrides = [
        f"population.n_users={n_users}",
        f"days={days}",
        f"policy_start_day={start}",
        f"seed={draw(st.integers(0, 1000))}",
        f"scenario={draw(st.sampled_from(SCENARIOS))}",
        f"network={draw(st.sampled_from(NETWORKS))}",
    ]
    for key in draw(st.lists(st.sampled_from(VARIED), min_size=3, max_size=7, unique=True)):
        name = key.replace("<name>", draw(st.sampled_from(PLATFORMS)))
        overrides.append(f"{name}={_value(draw, key, n_users)!r}")
    return overrides


def assert_invariants(model: HarmModel) -> None:
    """The books of a finished run balance (raises AssertionError naming what broke)."""
    cfg = model.cfg
    items = model.items
    state = items.view("state")
    created, removed_h = items.view("created_h"), items.view("removed_h")
    end_h = (model.day + 1) * 24.0
    # Every harmful item ever created is live, removed or expired, and only one of them.
    assert set(np.unique(state).tolist()) <= {LIVE, REMOVED, EXPIRED}
    removed = state == REMOVED
    assert np.all(np.isfinite(removed_h[removed])), "a removed item has no removal time"
    assert np.all(np.isinf(removed_h[~removed])), "an item not removed has a removal time"
    assert np.all(removed_h[removed] <= end_h), "removal after the end of the run"
    live = state == LIVE
    lifetime_h = cfg.content.item_lifetime_days * 24.0
    assert np.all(created[live] + lifetime_h > end_h - 1e-9), "a live item outlived its lifetime"
    # Items are counted once: the daily flows add up to the item table.
    ts = model.timeseries()
    assert len(ts) == cfg.days
    assert int(ts["harmful_items_created"].sum()) == items.n
    assert int(ts["harmful_items_removed"].sum()) == int(removed.sum())
    # Counts and views are never negative.
    for col in ("views", "potential_views", "shares", "reports"):
        assert np.all(items.view(col) >= 0), col
    num = ts.select_dtypes("number")
    # review_capacity_per_day is -1 by convention when capacity is unlimited (a duty is met).
    cap_cols = [c for c in num if c.startswith("review_capacity_per_day__")]
    assert (num[cap_cols] >= -1).all().all()
    negative = [c for c in num.drop(columns=cap_cols) if (num[c] < 0).any()]
    assert negative == [], negative
    # No NaN or infinity in the outputs.
    assert np.isfinite(num.to_numpy(float)).all()
    summary = model.summary()
    bad = {k: v for k, v in summary.items() if not math.isfinite(v) or v < 0}
    assert bad == {}, bad
    # No penalty exceeds its statutory cap (Sch. 13 para 4: fine and daily penalties together).
    for d in model.regulator.decisions:
        assert d["used"] <= d["cap"] * (1 + 1e-12), d
    ev = model.events()
    money = ev[ev["kind"].isin(["fine", "daily_penalty"])]
    assert (money["amount_gbp"] <= money["cap_gbp"] * (1 + 1e-12)).all()
    assert summary["max_fine_to_cap_ratio"] <= 1.0 + 1e-12
    # A platform that left the UK has no UK users, and says so in the time series.
    for p in model.platform_list:
        if p.exited:
            assert not model.users.member[:, p.index].any(), p.name
            assert ts[f"members__{p.name}"].iloc[-1] == 0
            assert ts[f"exited__{p.name}"].iloc[-1] == 1


@settings(settings.get_profile(PROFILE))
@given(overrides=configs())
def test_random_valid_configs_keep_the_books(overrides: list[str]) -> None:
    """Any valid small configuration runs and keeps every invariant."""
    try:
        cfg = validate(compose_config(overrides))
    except ConfigError:
        assume(False)  # e.g. the open lower end of a range: not a valid configuration
        return
    model = HarmModel(cfg)
    model.run_for(cfg.days)
    assert_invariants(model)


def test_invariants_hold_when_a_platform_exits() -> None:
    """The exit invariant is exercised, not vacuous: a platform with no revenue leaves."""
    cfg = compose_config(
        [
            "population.n_users=600",
            "days=120",
            "policy_start_day=20",
            "platforms.midsize.arpu_gbp=0",
        ]
    )
    model = HarmModel(cfg)
    model.run_for(cfg.days)
    # The fringe site may leave too (compliance costs exceed its tiny UK revenue at this
    # size: in about 4 seeds of 10); what is tested is that midsize leaves.
    exited = [p.name for p in model.platform_list if p.exited]
    assert "midsize" in exited
    assert set(exited) <= {"midsize", "fringe"}
    assert_invariants(model)


def test_no_item_is_removed_before_it_was_created() -> None:
    """Takedown times are never negative, even with instant reviews of bystander reports.

    Regression: bystanders' report hours were once drawn from the start of the day, so an
    item created late in the day could be removed before it existed.
    """
    cfg = compose_config(
        [
            "population.n_users=1000",
            "days=90",
            "policy_start_day=10",
            "population.report_prob_per_view=1",
            "content.view_prob=1",
            "content.reshare_prob_per_view=0.1",  # keeps spread subcritical at view_prob=1
            "scenario=fast_takedown",
            *(f"platforms.{p}.review_hours_base=0" for p in PLATFORMS),
        ]
    )
    model = HarmModel(cfg)
    model.run_for(cfg.days)
    items = model.items
    removed = items.view("state") == REMOVED
    took = (items.view("removed_h") - items.view("created_h"))[removed]
    assert removed.sum() > 0
    assert took.min() >= 0, f"{(took < 0).sum()} items removed up to {-took.min():.1f} h early"


def test_zero_fine_cap_gives_a_finite_summary() -> None:
    """The smallest example hypothesis found: a breach decision under a zero cap.

    The first seed whose run reaches a breach decision (the seed that did depends on the
    model's version). Investigations are shortened so that a confirmation decision (after
    evidence gathering and the representation period) falls inside the 71 days.
    """
    for seed in range(10):
        cfg = compose_config(
            [
                "population.n_users=200",
                "days=71",
                "policy_start_day=0",
                f"seed={seed}",
                "scenario=baseline",
                "network=scale_free",
                "scenario.fine_cap_multiplier=0.0",
                "regulator.investigation_days_mean=20",
                "regulator.representation_days=10",
            ]
        )
        model = HarmModel(cfg)
        model.run_for(cfg.days)
        if model.regulator.decisions:
            break
    assert model.regulator.decisions, "the example needs a breach decision"
    assert_invariants(model)


def _duty_model(*overrides: str) -> HarmModel:
    """A small fast_takedown model whose policy (and so its 24 h duty) is active on day 0."""
    cfg = compose_config(
        [
            "population.n_users=300",
            "days=30",
            "policy_start_day=0",
            "scenario=fast_takedown",
            *overrides,
        ]
    )
    model = HarmModel(cfg)
    model.run_for(1)  # day 0 switches the policy on
    assert model.takedown_duty_hours == 24.0
    return model


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_instant_review_is_the_limit_of_fast_review() -> None:
    """``review_hours_base=0`` (allowed: reviews are instant) means the limit of fast reviews.

    Regression: under a takedown duty the regulator's breach probability divided the
    deadline by a zero review time (a numpy RuntimeWarning, and inf inside a log).
    """
    efforts = np.linspace(0.0, 1.0, 11)
    results = []
    for base in (0.0, 1e-9):
        model = _duty_model(f"platforms.midsize.review_hours_base={base}")
        p = model.platform_list[model.platform_names.index("midsize")]
        recall, _ = p.operating_point()
        results.append(
            (
                model.regulator.breach_probability(p, efforts, recall, False),
                model.regulator.breach_probability(p, efforts, recall, True),
                p.moderation_cost(efforts, True),
                p.review_hours(efforts),
            )
        )
    for at_zero, near_zero in zip(*results, strict=True):
        assert np.all(np.isfinite(at_zero))
        np.testing.assert_allclose(at_zero, near_zero, rtol=1e-9, atol=1e-6)
    # Instant reviews are never late: the duty part of a breach is then the tolerance's tail.
    assert np.all(results[0][0] < 1.0)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("scenario", ["fast_takedown", "government_package"])
def test_instant_review_under_a_duty_runs_without_numpy_warnings(scenario: str) -> None:
    """A whole run with instant reviews on every platform under a duty: no warning, books kept."""
    cfg = compose_config(
        [
            "population.n_users=1000",
            "days=60",
            "policy_start_day=10",
            f"scenario={scenario}",
            *(f"platforms.{p}.review_hours_base=0" for p in PLATFORMS),
        ]
    )
    model = HarmModel(cfg)
    model.run_for(cfg.days)
    assert model.takedown_duty_hours > 0
    assert_invariants(model)
