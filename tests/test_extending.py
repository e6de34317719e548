"""docs/extending.md stays true: its code is the shipped example, and the example runs."""

from __future__ import annotations

import re

import numpy as np

from sim.behaviours import available
from sim.model import HarmModel
from tests.helpers import REPO, small_config


def _blocks(lang: str) -> list[str]:
    text = (REPO / "docs" / "extending.md").read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_documented_code_is_the_shipped_example():
    """The class and config shown in the guide are the files in the repository."""
    assert _blocks("python")[0] == (REPO / "sim" / "behaviours" / "copycat.py").read_text()
    assert (
        _blocks("yaml")[0] == (REPO / "configs" / "platforms" / "copycat_midsize.yaml").read_text()
    )
    assert "copycat" in available("platform")


def test_copycat_follows_the_most_careful_rival():
    """With the example config, the mid-size platform moves half-way to the leader each review."""
    model = HarmModel(small_config("platforms=copycat_midsize", n_users=2000, days=60, start=30))
    model.run_for(5)
    mid = next(p for p in model.platform_list if p.name == "midsize")
    for p in model.platform_list:
        p.effort = {"mega": 0.8, "midsize": 0.2}.get(p.name, 0.1)
    mid.review()
    assert mid.effort == np.float64(0.5)
    model.run_for(55)  # and it runs inside the model
    assert model.timeseries()["effort__midsize"].between(0, 1).all()
