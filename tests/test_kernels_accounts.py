"""The bookkeeping kernels (sim/kernels/accounts.py) give bit-for-bit what the Python and
numpy code they replaced gave.

Each test writes the replaced code out as the reference (the 30-day windows were deques
summed with Python's ``sum``; revenue and the record's platform values were Python
arithmetic per platform); equality is exact.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sim.agents import NUMPY_FLOAT_KEYS, WINDOW_KEYS, RollingWindows
from sim.kernels import accounts as k


def _same(a: float, b: float) -> bool:
    """Equal as floats, NaN included, and with the same sign (of zero too)."""
    return (a == b or (math.isnan(a) and math.isnan(b))) and math.copysign(1.0, a) == math.copysign(
        1.0, b
    )


def _hard_values(rng: np.random.Generator, n: int, trial: int) -> np.ndarray:
    """Numbers whose sums depend on the order and method of adding."""
    kind = trial % 4
    if kind == 0:
        return rng.random(n) * 10.0 ** rng.integers(-5, 6, n)
    if kind == 1:
        return rng.normal(0, 1, n) * 10.0 ** rng.integers(-10, 16, n)
    if kind == 2:  # large terms that cancel: compensation keeps the small ones
        return np.round(rng.random(n) * 100) * rng.choice([1e16, 1.0, 1e-16, -1e16], n)
    x = rng.exponential(1, n)
    x[rng.random(n) < 0.3] = 0.0
    return x


def test_window_sums_are_pythons_sum_of_python_and_numpy_floats() -> None:
    rng = np.random.default_rng(7)
    days = 30
    differ = 0
    for trial in range(4000):
        n = int(rng.integers(0, days + 1))
        x = _hard_values(rng, n, trial)
        values = np.zeros((1, days, 2))
        oldest = int(rng.integers(0, days))
        for i in range(n):
            values[0, (oldest + i) % days, 1] = x[i]
        compensated = k._python_float_sum(values, 0, 1, oldest, n)
        plain = k._plain_sum(values, 0, 1, oldest, n)
        assert _same(compensated, float(sum(x.tolist())))  # Python floats
        assert _same(plain, float(sum(list(x))))  # numpy floats
        differ += compensated != plain
    assert differ > 100  # the two sums do differ on these inputs


def test_window_sums_match_deques_summed_by_python() -> None:
    """Windows as they were: one deque per key, Python floats and ints except the views."""
    rng = np.random.default_rng(3)
    n, days = 3, 30
    windows = RollingWindows(n, days, WINDOW_KEYS)
    deques = [{key: deque(maxlen=days) for key in WINDOW_KEYS} for _ in range(n)]
    views = [windows.window(j) for j in range(n)]
    for day in range(75):
        today = np.zeros((n, len(WINDOW_KEYS)))
        for j in range(n):
            for q, key in enumerate(WINDOW_KEYS):
                x = _hard_values(rng, 1, day + q)[0]
                if key in ("created", "removed"):
                    x = float(rng.integers(0, 50))
                    deques[j][key].append(int(x))
                elif key in NUMPY_FLOAT_KEYS:
                    deques[j][key].append(np.float64(x))
                else:
                    deques[j][key].append(float(x))
                today[j, q] = x
        windows.push(today)
        assert windows.held == min(day + 1, days)
        if day % 4 == 1:
            continue  # some days nobody reads the windows: summed when next read
        for j in range(n):
            for key in WINDOW_KEYS:
                want = float(sum(deques[j][key]))
                assert _same(views[j].total(key), want)
                assert _same(views[j].rate(key), want / max(1, len(deques[j][key])))
            d = float(sum(deques[j]["created"]))
            want = float(sum(deques[j]["removed"])) / d if d > 0 else 0.0
            assert _same(views[j].ratio("removed", "created"), want)


def _old_revenue(fixed, members, posts, wrongful, harm, benign, loss, premium, j):
    """settle_platform_accounts' revenue of an open platform, as it was written."""
    posts_j = max(posts[j], 1e-9)
    total_views = benign[j] + harm[j]
    harm_share = harm[j] / max(total_views, 1e-9)
    engagement = 1.0 - loss * wrongful[j] / posts_j
    engagement += premium * harm_share
    initial = int(fixed[j, 2])
    share = 0.0 if initial == 0 else int(members[j]) / initial
    uk_active = float(fixed[j, 0]) * share
    return float(fixed[j, 1]) * uk_active * max(engagement, 0.0) / 365.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_platform_day_matches_the_python_accounts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 6
    open_ = rng.random(n) < 0.8
    fixed = np.column_stack(
        [rng.random(n) * 1e8, rng.random(n) * 100, rng.integers(0, 3000, n)]
    ).astype(float)
    fixed[0, 2] = 0  # a platform that started without members
    members = rng.integers(0, 3000, n)
    posts = rng.random(n) * 1e4
    posts[1] = 0.0
    wrongful = rng.integers(0, 40, n).astype(float)
    harm = rng.random(n) * 100
    benign = rng.random(n) * 1e5
    benign[2] = harm[2] = 0.0
    created, removed = rng.integers(0, 20, n), rng.integers(0, 20, n)
    denied, dismissed = rng.random(n), rng.integers(0, 9, n)
    left_h, left_w = rng.integers(0, 5, n).astype(float), rng.integers(0, 5, n).astype(float)
    loss, premium = 50.0, float(rng.random() * 3)
    revenue, today = np.full(n, np.nan), np.full((n, len(WINDOW_KEYS)), np.nan)
    k.platform_day(
        open_, fixed, members, posts, wrongful, harm, benign, created, removed, denied,
        dismissed, left_h, left_w, loss, premium, revenue, today,
    )  # fmt: skip
    for j in range(n):
        if not open_[j]:
            assert revenue[j] == 0.0 and not today[j].any()
            continue
        want = _old_revenue(fixed, members, posts, wrongful, harm, benign, loss, premium, j)
        assert _same(revenue[j], want)
        row = dict(zip(WINDOW_KEYS, today[j], strict=True))
        assert row == {
            "harmful_views": harm[j],
            "total_views": benign[j] + harm[j],
            "created": created[j],
            "removed": removed[j],
            "denied": denied[j],
            "unresolved_reports": float(dismissed[j]),
            "left_harm": left_h[j],
            "left_wrongful": left_w[j],
            "wrongful": wrongful[j],
        }


def test_platform_row_matches_the_python_record() -> None:
    rng = np.random.default_rng(5)
    n = 5
    open_ = np.array([True, False, True, True, True])
    effort, recall, fpr = rng.random(n), rng.random((n, 2)), rng.random(n) * 0.01
    capacity = rng.random(n) * 10
    capacity[3] = np.inf
    members, created = rng.integers(0, 1000, n), rng.integers(0, 9, n)
    harm = rng.random(n) * 10
    harm[4] = -1e-12  # views can round below zero; the record shows 0
    spend, revenue = rng.random(n) * 1e4, rng.random(n) * 1e5
    table = np.full((3, 11 * n), np.nan)
    wrongful = rng.integers(0, 30, n).astype(float)
    total = k.platform_row(
        table, 1, open_, effort, recall, fpr, capacity, members, harm, created, spend, revenue,
        wrongful,
    )  # fmt: skip
    assert _same(total, float(wrongful.sum()))
    assert np.isnan(table[[0, 2]]).all()  # only the day's row is written
    row = table[1]
    want: list[float] = []
    for j in range(n):
        exited = not open_[j]
        cap = capacity[j]
        want += (
            0.0 if exited else effort[j],
            0.0 if exited else recall[j, 0],
            0.0 if exited else fpr[j],
            cap if math.isfinite(cap) else -1.0,
            members[j],
            max(harm[j], 0.0),
            created[j],
            spend[j],
            revenue[j],
            0.0,
            int(exited),
        )
    assert_array_equal(row, np.array(want))


@pytest.mark.parametrize("a", [1, 7, 8, 130, 1000, 20_011])
def test_mean_certainty_is_numpys_sum(a: int) -> None:
    rng = np.random.default_rng(a)
    alpha, beta = rng.random((a, 3)) * 5 + 0.1, rng.random((a, 3)) * 50 + 0.1
    for col in range(3):
        want = float((alpha[:, col] / (alpha[:, col] + beta[:, col])).sum())
        assert _same(k.mean_certainty(alpha, beta, col, np.empty(a)), want)
