"""Configuration: schema, ranges, sources and early, explicit errors."""

from __future__ import annotations

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ValidationError

from sim.config import ConfigError, parameter_table, validate
from sim.defaults import compose_config
from tests.helpers import SCENARIOS, small_config


def test_every_parameter_has_a_source():
    """Each default carries a source or is labelled an assumption."""
    rows = parameter_table()
    assert len(rows) > 100
    missing = [r["key"] for r in rows if not r["source"].strip()]
    assert missing == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenarios_compose(name):
    """Every named scenario composes, validates and carries a plain-words description."""
    cfg = validate(compose_config([f"scenario={name}"]))
    assert cfg.scenario.name == name
    assert len(cfg.scenario.description) > 20


def test_government_package_combines_scenarios():
    """The package inherits the deepfake offence and the capacity increase."""
    s = compose_config(["scenario=government_package"]).scenario
    assert s.deepfake_creation_offence and s.deepfake_priority_offence
    assert s.regulator_capacity_multiplier == 2.0
    assert s.takedown_duty_hours == 48


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        (
            "scenario.fine_cap_multiplier=-1",
            "scenario.fine_cap_multiplier=-1.0 is not allowed: must be in [0, 100]",
        ),
        ("population.report_prob_target=1.5", "population.report_prob_target=1.5 is not allowed"),
        ("population.n_users=0", "population.n_users=0 is not allowed: must be in [100, 20000000]"),
        (
            "platforms.mega.strategy=teleport",
            "platforms.mega.strategy='teleport' is not allowed: choose one of",
        ),
        ("regulator.targeting=os.system", "regulator.targeting='os.system' is not allowed"),
        ("policy_start_day=5000", "policy_start_day=5000 is not allowed: must be < days=730"),
        (
            "scenario.senior_manager_liability=everyone",
            "choose one of none, information_and_child_safety",
        ),
    ],
)
def test_range_errors_name_key_value_and_allowed(override, needle):
    """Out-of-range values fail in validate() with the key, the value and the allowed set."""
    with pytest.raises(ConfigError) as err:
        validate(compose_config([override]))
    assert needle in str(err.value)


def test_type_and_unknown_key_errors_are_caught_by_the_schema():
    """Hydra's structured schema rejects wrong types and unknown keys at composition."""
    with pytest.raises((ConfigCompositionException, ValidationError)) as err:
        compose_config(["population.n_users=lots"])
    assert "n_users" in str(err.value.__cause__ or err.value)
    # Hydra refuses a misspelt key without '+'; we say which keys exist and the closest.
    with pytest.raises(ConfigError, match=r"closest match: population.n_users") as err:
        compose_config(["population.n_usres=5"])
    assert isinstance(err.value.__cause__, ConfigCompositionException)
    with pytest.raises(
        ConfigError,
        match=r"population.n_usres=5 is not allowed: unknown key \(known keys of population: ",
    ):
        compose_config(["+population.n_usres=5"])
    with pytest.raises(ConfigCompositionException) as err:
        compose_config(["scenario=nonexistent"])
    assert "baseline" in str(err.value)  # lists the available options


def test_edge_list_needs_an_existing_file(tmp_path):
    """A missing edge list is reported by path before anything runs."""
    missing = tmp_path / "nope.txt"
    with pytest.raises(ConfigError, match="network.path=.*does not exist"):
        validate(small_config("network=edge_list", f"network.path={missing}"))


def test_absurd_size_is_refused_before_allocation():
    """A population that cannot fit in memory fails with the estimate and the limit."""
    with pytest.raises(ConfigError, match="would need ~.* GB"):
        validate(compose_config(["population.n_users=20000000", "network.mean_degree=200"]))
