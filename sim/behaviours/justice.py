"""Criminal-justice rules: which reports the police take on and how likely a charge is.

A rule has ``triage(offences, capacity, rng) -> indices taken`` and
``charge_probability(offences, cfg, scenario) -> array``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.behaviours import register
from sim.population import DEEPFAKE_CREATION, DEEPFAKE_SHARING

if TYPE_CHECKING:
    from sim.config import JusticeConfig, ScenarioConfig


@register("justice", "funnel")
class Funnel:
    """Reports beyond the day's capacity get no further action; the rest face a charge decision."""

    def triage(self, offences: np.ndarray, capacity: int, rng: np.random.Generator) -> np.ndarray:
        """A random subset of at most ``capacity`` reports."""
        n = len(offences)
        if n <= capacity:
            return np.arange(n)
        return np.sort(rng.choice(n, size=capacity, replace=False))

    def charge_probability(
        self, offences: np.ndarray, cfg: JusticeConfig, scenario: ScenarioConfig
    ) -> np.ndarray:
        """``justice.charge_prob``, scaled for deepfake offences by the scenario's priority."""
        deepfake = (offences == DEEPFAKE_SHARING) | (offences == DEEPFAKE_CREATION)
        p = np.where(deepfake, cfg.charge_prob * scenario.deepfake_police_priority, cfg.charge_prob)
        return np.clip(p, 0.0, 1.0)


@register("justice", "deepfakes_first")
class DeepfakesFirst(Funnel):
    """Like the funnel, but intimate-image cases are taken on before harassment."""

    def triage(self, offences: np.ndarray, capacity: int, rng: np.random.Generator) -> np.ndarray:
        """Deepfake cases first, then a random subset of the rest."""
        n = len(offences)
        if n <= capacity:
            return np.arange(n)
        deepfake = (offences == DEEPFAKE_SHARING) | (offences == DEEPFAKE_CREATION)
        key = np.where(deepfake, 0.0, 1.0) + rng.random(n) * 0.5
        return np.sort(np.argsort(key, kind="stable")[:capacity])
