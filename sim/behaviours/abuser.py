"""Abuser decision rules: whether each abuser is willing to commit an offence today.

A rule has ``willing(gain, risk_aversion, expected_sanction, threshold, rng) -> bool
array``; arrays have one element per abuser. ``expected_sanction`` is perceived
certainty of conviction x sanction weight x severity**elasticity for the offence
(0 where the act is not an offence).
"""

from __future__ import annotations

import numpy as np

from sim.behaviours import register


@register("abuser", "deterrence")
class Deterrence:
    """Epstein's (2002) threshold rule: act if gain - risk_aversion x expected sanction > threshold.

    Perceived certainty enters linearly and severity with an elasticity below one, so
    certainty deters more than severity (Nagin 2013). ``sanction_weight`` converts a
    year of custody into the units of the gain from one act (assumption).
    """

    def __init__(self, sanction_weight: float = 10.0) -> None:
        if sanction_weight < 0:
            raise ValueError(f"sanction_weight={sanction_weight} must be >= 0")
        self.sanction_weight = sanction_weight

    def willing(
        self,
        gain: float,
        risk_aversion: np.ndarray,
        expected_sanction: np.ndarray,
        threshold: float,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Deterministic threshold decision per abuser."""
        return gain - risk_aversion * self.sanction_weight * expected_sanction > threshold


@register("abuser", "logit")
class LogitDeterrence:
    """A noisy version of the deterrence rule: act with logistic probability of net gain."""

    def __init__(self, sanction_weight: float = 10.0, temperature: float = 0.2) -> None:
        if sanction_weight < 0:
            raise ValueError(f"sanction_weight={sanction_weight} must be >= 0")
        if temperature <= 0:
            raise ValueError(f"temperature={temperature} must be > 0")
        self.sanction_weight = sanction_weight
        self.temperature = temperature

    def willing(
        self,
        gain: float,
        risk_aversion: np.ndarray,
        expected_sanction: np.ndarray,
        threshold: float,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Bernoulli draw with probability sigmoid(net gain / temperature)."""
        net = gain - risk_aversion * self.sanction_weight * expected_sanction - threshold
        p = 1.0 / (1.0 + np.exp(-net / self.temperature))
        return rng.random(len(p)) < p


@register("abuser", "undeterred")
class Undeterred:
    """Ignores sanctions entirely (a counterfactual to measure deterrence)."""

    def willing(
        self,
        gain: float,
        risk_aversion: np.ndarray,
        expected_sanction: np.ndarray,
        threshold: float,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Always willing."""
        return np.ones(len(risk_aversion), bool)
