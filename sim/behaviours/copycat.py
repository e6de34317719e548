"""Example platform strategy from docs/extending.md: follow the most careful rival."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.behaviours import register

if TYPE_CHECKING:
    from sim.agents import Platform


@register("platform", "copycat")
class Copycat:
    """Move part of the way toward the highest effort among rivals still in the UK.

    A platform that does not model fines itself but assumes its best-resourced rival
    knows what Ofcom expects (an assumption, for teaching).
    """

    def __init__(self, speed: float = 0.5) -> None:
        if not 0 < speed <= 1:
            raise ValueError(f"speed={speed} must be in (0, 1]")
        self.speed = speed

    def choose(self, platform: Platform) -> tuple[float, bool]:
        """Return (effort, meets_duty) for the coming month."""
        rivals = [p for p in platform.model.platform_list if p is not platform and not p.exited]
        if not rivals:
            return platform.effort, False
        leader = max(rivals, key=lambda p: p.effort)
        effort = platform.effort + self.speed * (leader.effort - platform.effort)
        return effort, leader.meets_duty
