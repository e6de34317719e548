"""The restricted daily core that the engine and the per-agent Mesa baseline both simulate.

The speed comparison in ``benchmarks/mesa_baseline.py`` is only fair if both programs
compute the same thing. The baseline implements the *daily core* of the model:

* benign posting, aggregated per user (posts and the views they draw);
* abusers posting harmful items (harassment and shared deepfakes) that their contacts
  on the chosen platform see;
* spread by re-sharing along the network, with attention decaying within hours;
* proactive detection at upload with each platform's recall;
* reports by targets and bystanders, and takedown after a review delay (with the
  engine's backlog rule and reviewer accuracy).

Everything else is switched off in the engine by configuration only (no code path is
changed): no regulation, fixed platform efforts, abusers always willing (no
deterrence), no displacement or joining of the fringe site, no suspensions, no police
reports (hence no custody), no self-censoring or leaving, no benign reports. Under
these overrides memberships and efforts stay as initialised, which is what the baseline
assumes.

Both programs start from identical inputs (:class:`CoreInputs`): the same network, the
same abusers and propensities, the same memberships and activity, the same parameters.
They are taken from an engine model built with the core configuration *before* it
steps, so they cannot drift from what ``HarmModel.__init__`` builds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import scipy.sparse as sp

from sim.agents import classifier_point
from sim.config import SimConfig
from sim.content import DEEPFAKE, HARASSMENT, REMOVED
from sim.defaults import compose_config
from sim.model import HarmModel

HOURS = 24.0

# Probabilities and switches that remove every process the baseline does not have.
CORE_OVERRIDES: tuple[str, ...] = (
    "scenario=no_regulation",
    "abusers.rule=undeterred",
    "abusers.displacement_sensitivity=0",
    "abusers.fringe_join_prob_per_day=0",
    "justice.police_report_prob_harassment=0",
    "justice.police_report_prob_deepfake=0",
    "population.self_censor_prob_after_harm=0",
    "population.leave_prob_after_harm=0",
    "population.self_censor_prob_after_wrongful_removal=0",
    "population.leave_prob_after_wrongful_removal=0",
    # Benign reports only add load to the review backlog (about 0.2 a day per 10,000
    # members) and the engine counts the previous day's; leaving them out keeps the
    # baseline's review queue to harmful items.
    "content.benign_report_prob=0",
)
# Per-platform overrides (applied to every platform in the configuration).
CORE_PLATFORM_OVERRIDES: tuple[str, ...] = (
    "strategy=fixed_effort",
    "suspension_prob_at_full_effort=0",
)


@cache
def platform_names() -> tuple[str, ...]:
    """Names of the platforms in the default configuration (``configs/platforms``)."""
    return tuple(compose_config().platforms)


def core_overrides() -> list[str]:
    """The Hydra overrides that restrict the engine to the daily core (all platforms)."""
    per_platform = [f"platforms.{p}.{o}" for p in platform_names() for o in CORE_PLATFORM_OVERRIDES]
    return [*CORE_OVERRIDES, *per_platform]


def core_config(n_users: int, days: int, seed: int = 0, *extra: str) -> SimConfig:
    """Engine configuration restricted to the daily core.

    Args:
        n_users: simulated users.
        days: days to simulate (the "policy" starts on day 0; with no regulation it
            changes nothing, but the engine's summary then covers every day).
        seed: replicate index.
        extra: further Hydra overrides (e.g. ``network_cache_dir=...``).
    """
    base = [f"population.n_users={n_users}", f"days={days}", "policy_start_day=0", f"seed={seed}"]
    return compose_config([*base, *core_overrides(), *extra])


@dataclass(frozen=True)
class PlatformInputs:
    """One platform's fixed moderation parameters (see sim/config.py PlatformConfig)."""

    name: str
    effort: float
    recall: tuple[float, float]  # detection recall at upload, by item kind (HARASSMENT, DEEPFAKE)
    review_hours: float  # hours from report to review at this effort (median of the log-normal)
    review_delay_sigma: float  # log-sd of review times
    review_capacity_per_day: float  # reviews a day before a backlog builds (simulated scale)
    review_accuracy: float  # probability a reviewer removes a reported harmful item
    auto_delay_hours: float  # mean hours from automated detection to removal


@dataclass(frozen=True)
class CoreInputs:
    """Identical inputs for the engine and the baseline.

    Attributes:
        adj: symmetric CSR adjacency (n, n) from ``sim.network.build_network``.
        member: bool (n, platforms), user is on the platform.
        activity: benign posts per user per day (n,).
        abuser_ids: user id of each abuser (a,).
        propensity: abusive acts per abuser per day (a,).
        platforms: per-platform parameters, in the engine's platform order.
        view_prob: share of contacts who see a post.
        attention_halflife_hours: half-life of attention to a share, hours.
        reshare_prob_per_view: re-shares per harmful view of an item of appeal 1.
        appeal_exponent: items' appeal is Beta(1, appeal_exponent) (sim.content.draw_appeal).
        report_prob_per_view: bystander reports per harmful view.
        report_prob_target: probability the target reports an item.
        target_report_delay_hours: mean hours from posting to the target's report.
        item_lifetime_days: days after which an item stops drawing views.
        deepfake_share: share of abusive acts that create a deepfake.
        deepfake_share_prob: share of created deepfakes that are shared.
        local_target_prob: probability the target is one of the abuser's contacts.
    """

    adj: sp.csr_array
    member: np.ndarray
    activity: np.ndarray
    abuser_ids: np.ndarray
    propensity: np.ndarray
    platforms: tuple[PlatformInputs, ...]
    view_prob: float
    attention_halflife_hours: float
    reshare_prob_per_view: float
    appeal_exponent: float
    report_prob_per_view: float
    report_prob_target: float
    target_report_delay_hours: float
    item_lifetime_days: int
    deepfake_share: float
    deepfake_share_prob: float
    local_target_prob: float

    @property
    def n_users(self) -> int:
        """Number of users."""
        return int(self.adj.shape[0])

    @classmethod
    def from_engine(cls, model: HarmModel) -> CoreInputs:
        """Read the inputs off an engine model that has not stepped yet."""
        from sim.model import TARGET_REPORT_DELAY_H

        if model.day != -1:
            raise ValueError("CoreInputs.from_engine needs a model that has not stepped yet")
        cfg = model.cfg
        platforms = []
        for p in model.platform_list:
            recall = tuple(
                float(classifier_point(p.effort, p.skill(kind == DEEPFAKE))[0])
                for kind in (HARASSMENT, DEEPFAKE)
            )
            platforms.append(
                PlatformInputs(
                    name=p.name,
                    effort=float(p.effort),
                    recall=recall,  # type: ignore[arg-type]
                    review_hours=float(p.review_hours()),
                    review_delay_sigma=p.cfg.review_delay_sigma,
                    review_capacity_per_day=float(p.review_capacity(model.members_count(p.index))),
                    review_accuracy=p.cfg.review_accuracy,
                    auto_delay_hours=p.cfg.auto_delay_hours,
                )
            )
        return cls(
            adj=model.adj,
            member=model.users.member.copy(),
            activity=model.users.activity.copy(),
            abuser_ids=model.abusers.ids.copy(),
            propensity=model.abusers.propensity.copy(),
            platforms=tuple(platforms),
            view_prob=cfg.content.view_prob,
            attention_halflife_hours=cfg.content.attention_halflife_hours,
            reshare_prob_per_view=cfg.content.reshare_prob_per_view,
            appeal_exponent=cfg.content.appeal_exponent,
            report_prob_per_view=cfg.population.report_prob_per_view,
            report_prob_target=cfg.population.report_prob_target,
            target_report_delay_hours=TARGET_REPORT_DELAY_H,
            item_lifetime_days=cfg.content.item_lifetime_days,
            deepfake_share=cfg.abusers.deepfake_share,
            deepfake_share_prob=cfg.abusers.deepfake_share_prob,
            local_target_prob=cfg.abusers.local_target_prob,
        )


@dataclass(frozen=True)
class CoreIndicators:
    """Indicators both implementations compute, over the whole run.

    Attributes:
        items_per_day: harmful items created per day.
        harmful_views_per_10k: harmful views per 10,000 views (benign + harmful).
        share_removed: share of harmful items created that were taken down by the end.
        median_takedown_hours: median hours from posting to removal (removed items).
        items: harmful items created.
    """

    items_per_day: float
    harmful_views_per_10k: float
    share_removed: float
    median_takedown_hours: float
    items: int

    def as_dict(self) -> dict[str, float]:
        """Plain dict (for JSON)."""
        return {
            "items_per_day": self.items_per_day,
            "harmful_views_per_10k": self.harmful_views_per_10k,
            "share_removed": self.share_removed,
            "median_takedown_hours": self.median_takedown_hours,
            "items": self.items,
        }


def indicators(
    days: int,
    created_h: np.ndarray,
    removed_h: np.ndarray,
    harmful_views: float,
    total_views: float,
) -> CoreIndicators:
    """The shared indicator definitions.

    Args:
        days: days simulated.
        created_h: hour each harmful item was posted (k,).
        removed_h: hour each was taken down, ``inf`` if it never was (k,).
        harmful_views: harmful views over the run.
        total_views: all views (benign + harmful) over the run.
    """
    removed = np.isfinite(removed_h)
    hours = removed_h[removed] - created_h[removed]
    k = len(created_h)
    return CoreIndicators(
        items_per_day=k / days,
        harmful_views_per_10k=1e4 * harmful_views / total_views if total_views > 0 else 0.0,
        share_removed=float(removed.mean()) if k else 0.0,
        median_takedown_hours=float(np.median(hours)) if len(hours) else math.nan,
        items=k,
    )


def engine_indicators(model: HarmModel) -> CoreIndicators:
    """Core indicators of an engine run (every simulated day)."""
    items = model.items
    ts = model.timeseries()
    removed_h = np.where(items.view("state") == REMOVED, items.view("removed_h"), np.inf)
    return indicators(
        len(ts),
        items.view("created_h"),
        removed_h,
        float(ts["harmful_views"].sum()),
        float(ts["total_views"].sum()),
    )
