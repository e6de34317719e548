"""The memos and shortcuts of the daily bookkeeping give what the plain computation gives.

The windows, revenue and record kernels are pinned in ``test_kernels_accounts.py``;
here: the memoised classifier points, the outlook's expected fine without an expected
investigation, the moderation table's change counter and the time series' columns.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sim.agents import classifier_point, classifier_points
from sim.model import PLATFORM_SERIES, SERIES, HarmModel
from tests.helpers import small_config


def test_classifier_points_are_classifier_point_read_only() -> None:
    e = np.array([0.0, 0.13, 0.3, 1.0, 1.2])
    for skill in (1.5, 2.5):
        recall, fpr = classifier_points(e, skill)
        want_recall, want_fpr = classifier_point(e, skill)
        assert_array_equal(recall, want_recall)
        assert_array_equal(fpr, want_fpr)
        assert classifier_points(e.copy(), skill)[0] is recall  # memoised
        with pytest.raises(ValueError):
            recall[0] = 1.0


def test_outlook_without_expected_investigation_has_no_expected_fine() -> None:
    model = HarmModel(small_config(days=200))
    model.run_for(40)
    p = model.platform_list[0]
    assert not model.regulation_active
    out = p.outlook(np.array([0.1, 0.5, 0.9]))
    assert_array_equal(out.expected_fine, np.zeros(3))
    # The penalty it skips is finite and non-negative, so 0 x penalty would be 0 too.
    fine = model.regulator.expected_penalty(p, classifier_point(out.efforts, p.skill())[0])
    assert np.all(np.isfinite(fine)) and np.all(fine >= 0)


def test_moderation_table_follows_effort_duty_exit_and_policy() -> None:
    model = HarmModel(small_config(days=5, start=3))
    model.run_for(2)
    p = model.platform_list[1]
    table = model.moderation()
    assert model.moderation() is table  # unchanged: the same table
    p.effort = p.effort  # the same value: no change
    assert model.moderation() is table
    p.effort = 0.9
    assert model.moderation().recall[1, 0] == p.recall()
    table = model.moderation()
    p.meets_duty = True
    assert model.moderation().meets_duty[1]
    table = model.moderation()
    model.policy_active = True
    assert model.moderation() is not table
    table = model.moderation()
    model.platform_exit(p, reason="test")
    assert not model.moderation().open[1]


def test_timeseries_columns_and_types() -> None:
    model = HarmModel(small_config(days=5, start=3))  # room for 5 days: the table grows
    assert model.timeseries().empty
    model.run_for(12)
    ts = model.timeseries()
    plat = [f"{c}__{p.name}" for p in model.platform_list for c in PLATFORM_SERIES]
    assert list(ts.columns) == [*SERIES, *plat]
    assert len(ts) == 12 and list(ts["day"]) == list(range(12))
    ints = {"members", "harmful_items_created", "exited"}
    for p in model.platform_list:
        for c in PLATFORM_SERIES:
            assert ts[f"{c}__{p.name}"].dtype == (np.int64 if c in ints else np.float64)
    assert ts["harmful_items_created"].dtype == np.int64
    assert ts["total_views"].dtype == np.float64
