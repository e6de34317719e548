"""Platform strategies: how a platform chooses its moderation effort each review.

A strategy has one method, ``choose(platform) -> (effort, meets_duty)``. It can ask the
platform for ``platform.outlook(efforts)``: the revenue, moderation cost, expected fines,
managers' criminal exposure and reputational cost it expects at candidate efforts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.behaviours import register

if TYPE_CHECKING:
    from sim.agents import Platform

EFFORT_GRID = np.linspace(0.0, 1.0, 21)


@register("platform", "expected_utility")
class ExpectedUtility:
    """Maximise expected UK profit net of fines, managers' exposure and reputation.

    The platform weighs engagement revenue (which falls as lawful posts are removed and
    rises with toxic content; Beknazar-Yuzbashev et al.), moderation cost (inflated by
    the owner's stance), expected fines (belief that a breach is investigated x chance of
    a breach finding x the penalty; Becker 1968) and reputational cost. It moves a share
    ``adjustment`` of the way to the best effort each review (organisational inertia,
    an assumption).
    """

    def __init__(self, adjustment: float = 0.5) -> None:
        if not 0 < adjustment <= 1:
            raise ValueError(f"adjustment={adjustment} must be in (0, 1]")
        self.adjustment = adjustment

    def choose(self, platform: Platform) -> tuple[float, bool]:
        """Best effort on a grid, then partial adjustment from the current effort."""
        out = platform.outlook(EFFORT_GRID)
        best = int(np.argmax(out.profit()))
        target = float(out.efforts[best])
        effort = platform.effort + self.adjustment * (target - platform.effort)
        return effort, bool(out.meets_duty[best])


@register("platform", "fixed_effort")
class FixedEffort:
    """Never changes effort (an owner who ignores incentives); meets no duty unless forced."""

    def choose(self, platform: Platform) -> tuple[float, bool]:
        """Keep the current effort."""
        return platform.effort, False
