"""Regulator targeting rules: which platforms Ofcom investigates when it has free slots.

A rule has ``select(scores, slots, rng) -> list[Platform]`` where ``scores`` maps each
platform not already under investigation to its risk score (``Regulator.signals``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.behaviours import register

if TYPE_CHECKING:
    from sim.agents import Platform


@register("targeting", "risk_based")
class RiskBased:
    """Highest risk first: Ofcom prioritises "based on user numbers and the risk of harm".

    ``min_score_share``: a platform is investigated only if its score is at least this
    share of the highest score (so a tiny risk does not absorb a slot); assumption.
    """

    def __init__(self, min_score_share: float = 0.0) -> None:
        if not 0 <= min_score_share <= 1:
            raise ValueError(f"min_score_share={min_score_share} must be in [0, 1]")
        self.min_score_share = min_score_share

    def select(
        self, scores: dict[Platform, float], slots: int, rng: np.random.Generator
    ) -> list[Platform]:
        """Platforms sorted by score, at most ``slots``."""
        if not scores:
            return []
        top = max(scores.values())
        ranked = sorted(scores, key=lambda p: (-scores[p], p.index))
        return [p for p in ranked if scores[p] >= self.min_score_share * top][:slots]


@register("targeting", "random")
class RandomTargeting:
    """Uniformly random platforms (a benchmark for the value of risk targeting)."""

    def select(
        self, scores: dict[Platform, float], slots: int, rng: np.random.Generator
    ) -> list[Platform]:
        """A random subset of size ``slots``."""
        cands = sorted(scores, key=lambda p: p.index)
        order = rng.permutation(len(cands))
        return [cands[i] for i in order[:slots]]


@register("targeting", "largest_first")
class LargestFirst:
    """Biggest UK user base first, whatever the measured risk."""

    def select(
        self, scores: dict[Platform, float], slots: int, rng: np.random.Generator
    ) -> list[Platform]:
        """Platforms by UK users, at most ``slots``."""
        ranked = sorted(scores, key=lambda p: (-p.cfg.uk_users, p.index))
        return ranked[:slots]
