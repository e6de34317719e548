"""The model: users, abusers, platforms, Ofcom and criminal justice on a social network.

One step is one day. ``HarmModel.step`` is the schedule of ``docs/ODD.md`` section 3,
one line per process, in a fixed order. The crowd (users, abusers, harmful items) is
held in arrays and updated without Python loops over users or items; platforms, the
regulator and the justice system are Mesa agents.

Randomness: one ``SeedSequence(root_seed, spawn_key=(seed,))`` per replicate, spawned
into one independent stream per process (network, population, abusers, content,
moderation, regulator, justice). Scenarios that share a replicate index therefore share
their random numbers process by process (common random numbers), which keeps scenario
comparisons paired.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mesa import Model

from sim import network as netmod
from sim.agents import (
    WINDOW_KEYS,
    CriminalJustice,
    Platform,
    Regulator,
    RollingWindows,
    fine_cap,
)
from sim.behaviours import create
from sim.config import SimConfig, to_simconfig, validate
from sim.content import (
    DEEPFAKE,
    EXPIRED,
    HARASSMENT,
    LIVE,
    REMOVED,
    HarmfulItems,
    ShareKeys,
    Shares,
    appeal_complement,
    reshare_attention,
)
from sim.kernels import accounts, posting, spread
from sim.kernels import review as kreview
from sim.population import (
    DEEPFAKE_CREATION,
    HARASSMENT_OFFENCE,
    MAN,
    OTHER,
    WOMAN,
    Users,
    draw_abusers,
    draw_demographics,
)
from sim.sampling import poisson_counts, poisson_rows

STREAMS = (
    "network",
    "population",
    "abusers",
    "content",
    "moderation",
    "regulator",
    "justice",
    "mesa",
)
HOURS = 24.0
LN2 = np.log(2.0)  # attention time constant = half-life / ln 2
# Hours from an item being posted to its target reporting it (mean of an exponential): assumption.
TARGET_REPORT_DELAY_H = 3.0
# Share of convicted abusers given immediate custody: 137 of ~1,160 prosecutions in 2024 (domain.md 2.7).
CUSTODY_SHARE = 0.12
_NO_UNIFORMS = np.zeros(0)  # an empty draw, without asking the generator
# Child targets are weighted this much relative to adults for intimate-image abuse: assumption.
CHILD_WEIGHT_DEEPFAKE = 0.5
# Per-platform columns of the daily time series (named ``<column>__<platform>``).
PLATFORM_SERIES = (
    "effort",
    "recall",
    "false_positive_rate",
    "review_capacity_per_day",
    "members",
    "harmful_views",
    "harmful_items_created",
    "moderation_spend_gbp",
    "revenue_gbp",
    "fines_gbp",
    "exited",
)
# Of these, the integer columns (the others are floats), by position.
_INTEGER_SERIES = frozenset(
    PLATFORM_SERIES.index(c) for c in ("members", "harmful_items_created", "exited")
)
# The other columns of the daily time series, in order (HarmModel.record).
SERIES = (
    "day",
    "total_views",
    "harmful_views",
    "harmful_views_per_10k",
    "harmful_items_created",
    "harassment_items_created",
    "deepfake_items_shared",
    "deepfakes_created",
    "harmful_items_removed",
    "harmful_items_removed_proactive",
    "live_harmful_items",
    "victims_new_women",
    "victims_new_men",
    "victims_new_other",
    "victims_new_children",
    "wrongful_removals",
    "accounts_suspended",
    "self_censoring_users",
    "users_left_any_platform",
    "abusers_offending_share",
    "perceived_certainty_mean",
    "fines_imposed_gbp",
    "open_investigations",
    "regulator_cost_gbp",
    "police_reports",
    "charges",
    "convictions",
)


# No items (a day without removals); read-only, shared.
_NO_ITEMS = np.zeros(0, np.int64)
_NO_ITEMS.flags.writeable = False


@dataclass(frozen=True, eq=False)  # compared by identity (a new table means a change)
class ModerationTable:
    """Every platform's moderation parameters today, as arrays indexed by platform.

    They change only when a platform revises its effort, takes on a takedown duty or
    exits, or when the policy switches on; the daily processes read them from here
    instead of asking each platform several times a day (see
    :meth:`HarmModel.moderation`). Review capacity, which also follows memberships, is
    :meth:`HarmModel.review_capacity`.
    """

    recall: np.ndarray  # (platforms, 2): automated recall by item kind (HARASSMENT, DEEPFAKE)
    fpr: np.ndarray  # false-positive rate on lawful posts
    review_hours: np.ndarray  # median hours from report to review
    review_sigma: np.ndarray  # log-sd of review times
    meets_duty: np.ndarray  # bool: meets the takedown duty
    open: np.ndarray  # bool: still serves the UK
    suspension_prob: np.ndarray  # chance a removal gets the creator's account suspended


def default_cache_dir() -> Path:
    """Where built networks are cached: ``$OHSIM_CACHE/networks`` or ``~/.cache/ohsim/networks``."""
    root = os.environ.get("OHSIM_CACHE") or str(Path.home() / ".cache" / "ohsim")
    return Path(root) / "networks"


class HarmModel(Model):
    """Agent-based model of online harm and its regulation.

    Args:
        config: a ``SimConfig``, a Hydra/OmegaConf config, a dict of values merged over
            the schema, or None for the project's default configuration (``configs/``).

    After ``run_for(days)`` the outputs are ``timeseries()``, ``events()`` and
    ``summary()``.
    """

    def __init__(self, config: SimConfig | Any = None) -> None:
        cfg = validate(to_simconfig(config))
        root = np.random.SeedSequence(cfg.root_seed, spawn_key=(cfg.seed,))
        children = root.spawn(len(STREAMS))
        super().__init__(rng=children[STREAMS.index("mesa")])
        self.cfg = cfg
        self.streams = {
            name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children, strict=True)
        }
        self.day = -1
        self._moderation_version = 0  # counts changes of what moderation() follows
        self._moderation_built = -1  # the version the moderation table was built at
        self.policy_active = False
        self.deepfake_creation_active = False
        self._offence_key: tuple[bool, bool] | None = None
        self._member_seen: np.ndarray | None = None  # memberships at the last audience refresh
        # users.self_censoring and users.left_any are set only by _respond, which counts
        # the times it sets any; benign_activity's sums are those of the count
        # _censoring_seen (-1: none yet), record's user counts those of _counted_at.
        self._censoring_changes = self._leaving_changes = 0
        self._censoring_seen = -1
        self._counted_at = (-1, -1)
        self._spend_cache: dict[tuple[int, float, bool, float], float] = {}
        self._capacity_key: tuple[Any, ...] | None = None

        # --- population and network -------------------------------------------------
        pop = cfg.population
        gender, child, activity = draw_demographics(pop, self.streams["population"])
        net = cfg.network
        cache = None
        if net.cache:
            cache = Path(cfg.network_cache_dir) if cfg.network_cache_dir else default_cache_dir()
        self.adj = netmod.build_network(
            net.kind,
            pop.n_users,
            net.mean_degree,
            gender,
            int(self.streams["network"].integers(2**62)),
            power_law_exponent=net.power_law_exponent,
            rewire_prob=net.rewire_prob,
            homophily=net.homophily,
            path=net.path or None,
            engine=net.engine,
            cache_dir=cache,
            cache_max_gb=cfg.network_cache_max_gb,
        )
        n = pop.n_users
        degree = np.diff(self.adj.indptr).astype(np.int64)
        self.attention = reshare_attention(degree)
        self.platform_names = list(cfg.platforms)
        n_plat = len(self.platform_names)
        member = np.zeros((n, n_plat), bool)
        self.abusers = draw_abusers(cfg.abusers, n, self.adj, self.streams["abusers"])
        is_abuser = np.zeros(n, bool)
        is_abuser[self.abusers.ids] = True
        self._abuser_index = np.full(n, -1, np.int64)
        self._abuser_index[self.abusers.ids] = np.arange(self.abusers.n)
        prng = self.streams["population"]
        for j, pc in enumerate(cfg.platforms.values()):
            u = prng.random(n)
            member[:, j] = u < pc.reach
            if pc.abuser_reach >= 0:
                member[is_abuser, j] = u[is_abuser] < pc.abuser_reach
        self.users = Users(
            gender=gender,
            child=child,
            activity=activity,
            member=member,
            harm=np.zeros(n),
            victim=np.zeros(n, bool),
            first_harm_day=np.full(n, -1, np.int32),
            self_censoring=np.zeros(n, bool),
            left_any=np.zeros(n, bool),
            is_abuser=is_abuser,
            degree=degree,
        )
        self.fringe_index = next(
            (j for j, pc in enumerate(cfg.platforms.values()) if pc.fringe), -1
        )
        self._refresh_audiences()
        self._target_weights()
        self._severity_factor = (self._severity_months() / 12.0) ** cfg.abusers.severity_elasticity

        # --- actors ------------------------------------------------------------------
        # What platforms observe each day, kept for 30 days (settle_platform_accounts).
        self.windows = RollingWindows(n_plat, 30, WINDOW_KEYS)
        self._window_today = np.zeros((n_plat, len(WINDOW_KEYS)))
        self.platform_list: list[Platform] = []
        for j, (name, pc) in enumerate(cfg.platforms.items()):
            p = Platform(self, name, j, pc)
            p.initial_members = int(member[:, j].sum())
            p.scale = pc.uk_users / max(1, p.initial_members)
            self.platform_list.append(p)
        # UK users, ARPU (GBP/year) and initial members per platform.
        self._platform_fixed = np.array(
            [[p.cfg.uk_users, p.cfg.arpu_gbp, p.initial_members] for p in self.platform_list],
            dtype=float,
        )
        self.revenue_today = np.zeros(n_plat)  # GBP, by settle_platform_accounts
        self.spend_today = np.zeros(n_plat)
        self._spend_for: ModerationTable | None = None  # the table spend_today follows
        self._auto_delay_hours = np.array([p.cfg.auto_delay_hours for p in self.platform_list])
        self._review_accuracy = np.array([p.cfg.review_accuracy for p in self.platform_list])
        self.regulator = Regulator(self)
        self.justice = CriminalJustice(self)
        self.abuser_rule = create(
            "abuser", cfg.abusers.rule, "abusers.rule", cfg.abusers.rule_params
        )

        # --- content and records -----------------------------------------------------
        self.items = HarmfulItems(capacity=4096)
        self.shares = Shares(capacity=8192)
        self._responded_below = 0  # every item below this row has been responded to
        # review_reports' working arrays (grown as needed): due items, then the removed
        # ones; the removed items' shares and their exponents; suspensions.
        self._review_due, self._review_rows = np.empty(0, np.int64), np.empty(0, np.int64)
        self._review_expo, self._review_hit = np.empty(0), np.empty(0, np.int64)
        self._ended, self._exposure = np.empty(0, np.int64), np.empty(0)  # items ending
        self._queued, self._backlog = np.empty(0, np.int64), np.empty(n_plat)  # _queue_reviews'
        self.share_keys = ShareKeys(self.users.n)
        self._events: list[dict[str, Any]] = []
        self._rows: list[tuple[float, ...]] = []  # the SERIES of each day (record)
        self._acts = np.zeros((self.abusers.n, 3))
        # abusers_decide's working arrays (per offence: one row of abusers each).
        a = self.abusers.n
        self._deter_sanction, self._willing = np.empty((3, a)), np.empty((3, a), bool)
        self._rate, self._free = np.empty(a), np.empty(a, bool)
        self._act_counts = tuple(
            np.empty(a, np.int64) for _ in range(3)
        )  # harass, shared, unshared
        self._removal_log: list[tuple[np.ndarray, np.ndarray]] = []
        self.deepfakes_created_today = 0
        self.deepfake_reshares = 0
        self.fringe_joins = 0
        self._dismissed = np.zeros(n_plat, np.int64)  # today's, by review_reports
        self._denied_today = np.zeros(n_plat)
        self._denied_day = -2  # day of the cached exposure denied (none yet)
        self._denied_cache = np.zeros(n_plat)
        self._no_displacement = np.ones(n_plat)  # platform weights without displacement
        self._benign_reports = np.zeros(n_plat)
        self._events_mark = 0  # events before this index were logged on earlier days
        # The per-platform columns of the time series, platform by platform.
        self._platform_columns = [
            f"{col}__{p.name}" for p in self.platform_list for col in PLATFORM_SERIES
        ]
        # ... recorded day by day in a table of floats (the integer ones are exact).
        self._platform_rows = np.empty((max(cfg.days, 1), len(self._platform_columns)))
        self._fines_column = {
            p.name: self._platform_columns.index(f"fines_gbp__{p.name}") for p in self.platform_list
        }
        self._effort_for: ModerationTable | None = None  # the table _effort follows
        self._certainty = np.empty(self.abusers.n)  # record's working array
        self._no_victims = np.zeros(0, np.int64)
        self._by_gender, self._by_kind = np.empty(3, np.int64), np.empty(2, np.int64)
        self._created_by_platform = np.zeros(n_plat, np.int64)  # today's, by settle
        self._removed_by_platform = np.zeros(n_plat, np.int64)
        self._suspended = np.zeros((self.abusers.n, n_plat), bool)
        self._suspended_today = 0
        self._left_today = {"harm": np.zeros(n_plat), "wrongful": np.zeros(n_plat)}
        self._victims_today: list[np.ndarray] = []
        i64 = np.empty(0, np.int64)
        self._act_buffer = i64, np.empty(0, np.int8), i64, i64  # see _act_rows
        self._n_victims = 0
        self._n_child_victims = 0

    # ------------------------------------------------------------------ policy switches
    @property
    def policy_active(self) -> bool:
        """The scenario's levers are on (from ``policy_start_day``)."""
        return self._policy_active

    @policy_active.setter
    def policy_active(self, value: bool) -> None:
        if getattr(self, "_policy_active", None) != value:
            self.moderation_changed()
        self._policy_active = value

    @property
    def regulation_active(self) -> bool:
        """Ofcom enforces the Act (from the policy start, unless the scenario has none)."""
        return self.policy_active and self.cfg.scenario.regulation

    @property
    def deepfake_priority_active(self) -> bool:
        """Intimate-image abuse is a priority offence: platforms must detect it proactively."""
        return self.policy_active and self.cfg.scenario.deepfake_priority_offence

    @property
    def takedown_duty_hours(self) -> float:
        """Statutory takedown deadline in hours (0 = none)."""
        return self.cfg.scenario.takedown_duty_hours if self.regulation_active else 0.0

    def offence_active(self) -> np.ndarray:
        """Which of the offences (population.OFFENCES) exist today (do not modify the array)."""
        key = (self.cfg.scenario.deepfake_sharing_offence, self.deepfake_creation_active)
        if self._offence_key != key:
            self._offence_key = key
            self._offence_active = np.array([True, *key])
        return self._offence_active

    def fine_cap_for(self, platform: Platform) -> float:
        """Statutory cap for a platform under the scenario's cap multiplier, GBP."""
        r = self.cfg.regulator
        return fine_cap(
            platform.cfg.qualifying_worldwide_revenue_gbp,
            r.fine_floor_gbp,
            r.fine_revenue_share,
            self.cfg.scenario.fine_cap_multiplier,
        )

    def manager_liability_share(self) -> float:
        """Share of breaches for which senior managers can be prosecuted under the scenario."""
        scope = self.cfg.scenario.senior_manager_liability
        if scope == "illegal_content":
            return 0.5  # prosecution follows some, not all, breaches: assumption
        if scope == "information_and_child_safety":
            return 0.5 * self.child_victim_share()
        return 0.0

    def child_victim_share(self) -> float:
        """Share of victims so far who are children (the population share before any)."""
        if self._n_victims == 0:
            return self.cfg.population.share_children
        return self._n_child_victims / self._n_victims

    def members_count(self, j: int) -> int:
        """Current simulated members of platform ``j``."""
        return int(self._members[j])

    def moderation(self) -> ModerationTable:
        """The platforms' moderation parameters now (recomputed only when they change)."""
        # Scenario switches (priority offence, duty) depend only on the policy being on;
        # setting it, or a platform's effort, duty or exit, calls moderation_changed.
        if self._moderation_built != self._moderation_version:
            self._moderation_built = self._moderation_version
            ps = self.platform_list
            self._moderation = ModerationTable(
                recall=np.array([[p.recall(False), p.recall(True)] for p in ps]),
                fpr=np.array([p.operating_point()[1] for p in ps]),
                review_hours=np.array([float(p.review_hours()) for p in ps]),
                review_sigma=np.array([p.cfg.review_delay_sigma for p in ps]),
                meets_duty=np.array([p.meets_duty for p in ps]),
                open=np.array([not p.exited for p in ps]),
                suspension_prob=np.array(
                    [p.effort * p.cfg.suspension_prob_at_full_effort for p in ps]
                ),
            )
        return self._moderation

    def moderation_changed(self) -> None:
        """Mark the moderation table stale (a platform's effort, duty or exit, or the
        policy switch, changed)."""
        self._moderation_version += 1

    def review_capacity(self) -> np.ndarray:
        """Reviews a day each platform can make before a backlog builds (inf under a duty)."""
        key = (self.moderation(), self._members.tobytes())
        if key != self._capacity_key:
            self._capacity_key = key
            self._capacity = np.array(
                [
                    p.review_capacity(m)
                    for p, m in zip(self.platform_list, self._members, strict=True)
                ]
            )
        return self._capacity

    # ------------------------------------------------------------------ the daily step
    def step(self) -> None:
        """One day, in the order documented in docs/ODD.md (section 3)."""
        self.day += 1
        for counts in self._left_today.values():
            counts.fill(0.0)
        self._victims_today = []
        self.start_policies()
        self.review_platform_efforts()
        acts = self.abusers_decide()
        self.post_harmful_items(acts)
        self.spread_harmful_items()
        self.benign_activity()
        self.review_reports()
        self.end_items_and_victims_respond()
        self.justice.step()
        self.abusers_learn()
        self.regulator.step()
        self.settle_platform_accounts()
        self.record()

    # ------------------------------------------------------------------ processes
    def start_policies(self) -> None:
        """Switch the scenario's levers on at ``policy_start_day``."""
        if self.day != self.cfg.policy_start_day:
            return
        self.policy_active = True
        if self.cfg.scenario.deepfake_creation_offence:
            self.deepfake_creation_active = True
            # Announcing a new offence raises perceived certainty before any conviction.
            ab = self.abusers
            ab.alpha[:, DEEPFAKE_CREATION] += self.cfg.abusers.new_offence_publicity * (
                ab.alpha0 + ab.beta0
            )

    def review_platform_efforts(self) -> None:
        """Platforms revise effort on their own cadence (and may exit the UK)."""
        for p in self.platform_list:
            if self.day > 0 and self.day % p.cfg.review_interval_days == 0:
                p.review()
        if self.day > 0 and self.day % 30 == 0:
            self._refresh_audiences()

    def abusers_decide(self) -> dict[str, np.ndarray]:
        """Each abuser weighs gain against perceived expected sanction (sim/behaviours/abuser.py)."""
        ab = self.abusers
        cfg = self.cfg.abusers
        rng = self.streams["abusers"]
        # Perceived certainty x severity for acts that are offences; custody stops attempts.
        sanction, rate, free, willing = self._deter_sanction, self._rate, self._free, self._willing
        kreview.deterrence_inputs(
            ab.alpha,
            ab.beta,
            self._severity_factor,
            self.offence_active(),
            ab.incapacitated_until,
            self.day,
            ab.propensity,
            sanction,
            rate,
            free,
        )
        for k in range(3):
            willing[k] = self.abuser_rule.willing(
                cfg.gain_mean, ab.risk_aversion, sanction[k], cfg.threshold, rng
            )
        # Poisson attempts (sim/sampling.py: exact, drawn per event); each attempt's kind
        # and, for a deepfake, whether it is shared, from two uniforms per attempt.
        attempts = poisson_counts(rng, rate)
        u = rng.random(2 * int(attempts.sum()))
        # Acts per abuser and offence today (self._acts, kept in place).
        harass, shared, unshared = self._act_counts
        self.deepfakes_created_today, self._willing_share = kreview.tally_acts(
            attempts,
            u,
            cfg.deepfake_share,
            cfg.deepfake_share_prob,
            willing,
            free,
            self._acts,
            harass,
            shared,
            unshared,
        )
        return {"harass": harass, "shared": shared, "unshared": unshared}

    def post_harmful_items(self, acts: dict[str, np.ndarray]) -> None:
        """Abusive acts become items: choose platform (displacement) and target; screen at upload.

        Draws of the content stream, in order: the unshared deepfakes' targets, whether
        their victims find out, each other act's platform, the harassment targets, the
        shared deepfakes' targets, then each item's hour and appeal. ``random(a)`` then
        ``random(b)`` from one stream are the numbers of ``random(a + b)``, so uniforms
        whose number is known in advance come with the draw before them (the ``then``
        of :meth:`_choose_targets`).
        """
        rng = self.streams["content"]
        self._join_fringe()
        self._ban_evasion()
        mod = self.moderation()
        # One row per act: unshared deepfakes, then harassment, then shared deepfakes.
        n_u, n_h, n_s, creators, kinds, targets, plat = self._act_rows(acts)
        n = n_u + n_h + n_s
        # Victims of deepfakes that are never shared: harmed if they find out; may report.
        if n_u:
            r = self._choose_targets(
                creators[:n_u], DEEPFAKE, rng.random(2 * n_u), rng, targets[:n_u], then=n
            )
            aware = r[:n_u] < self.cfg.justice.victim_aware_prob_unshared_deepfake
            if np.count_nonzero(aware):
                self._harm_victims(targets[:n_u][aware])
                self._police_reports(creators[:n_u][aware], DEEPFAKE, shared=False)
            r_plat = r[n_u:]
        else:
            r_plat = rng.random(n)
        # Harassment first, then shared deepfakes, each in abuser order.
        if n_h + n_s == 0:
            self._new_items_today = np.zeros(0, np.int64)
            return
        creators, kinds, targets, plat = creators[n_u:], kinds[n_u:], targets[n_u:], plat[n_u:]
        n_none = self._choose_platforms(creators, r_plat, mod.open, plat)
        if n_none:  # creators on no open platform post nothing
            ok = plat >= 0
            n_h = int(np.count_nonzero(ok[:n_h]))  # harassment comes first
            creators, kinds, plat = creators[ok], kinds[ok], plat[ok]
            targets = targets[: len(creators)]
        k = len(creators)
        if k == 0:
            self._new_items_today = np.zeros(0, np.int64)
            return
        n_d = k - n_h  # shared deepfakes
        r = rng.random(2 * n_h if n_h else 2 * n_d)
        if n_h:
            r = self._choose_targets(
                creators[:n_h], HARASSMENT, r, rng, targets[:n_h], then=2 * n_d if n_d else 2 * k
            )
        if n_d:
            r = self._choose_targets(creators[n_h:], DEEPFAKE, r, rng, targets[n_h:], then=2 * k)
        # Posted at a uniform time of the day, with an appeal drawn by inverse transform.
        r_hour, appeal_c = r[:k], appeal_complement(r[k:], self.cfg.content.appeal_exponent)
        # Automated screening at upload: detected items come down after a short delay.
        # Targets report what they see (EIU: 1 in 4 women report to the platform).
        mrng = self.streams["moderation"]
        r_detect = mrng.random(k)
        e_delay = mrng.standard_exponential(k)
        r_report = mrng.random(k)
        items = self.items
        first = items.reserve(k)
        ids, reported, rep_h = np.empty(k, np.int64), np.empty(k, np.int64), np.empty(k)
        n_rep = posting.new_items(
            first,
            creators,
            targets,
            kinds,
            plat,
            r_hour,
            appeal_c,  # the kernel stores 1 - this
            self.day,
            ids,
            mod.recall,
            self._auto_delay_hours,
            r_detect,
            e_delay,
            r_report,
            self.cfg.population.report_prob_target,
            items.creator,
            items.target,
            items.kind,
            items.platform,
            items.created_h,
            items.appeal,
            items.day,
            items.review_due_h,
            items.proactive,
            items.reports,
            reported,
            rep_h,
        )  # the other columns as new: live, not removed, no views, shares or review
        self._new_items_today = ids
        self._add_shares(ids, creators, items.created_h[first : first + k], plat)
        self._harm_victims(targets)
        self._police_reports(creators, kinds, shared=True)
        if n_rep:  # targets report after an exponential delay
            rep_h = rep_h[:n_rep]
            rep_h += mrng.exponential(TARGET_REPORT_DELAY_H, n_rep)
            self._queue_reviews(reported[:n_rep], rep_h, sorted_unique=True)

    def _act_rows(
        self, acts: dict[str, np.ndarray]
    ) -> tuple[int, int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The day's acts, one row each: unshared deepfakes, harassment, shared deepfakes.

        Returns the number of each type, each act's creator (user id) and kind, and room
        for each act's target and platform (int64, unset). The rows are today's part of
        arrays reused from day to day (``_act_buffer``, longer when needed): valid until
        the next posting, so nothing may keep them.
        """
        ids = self.abusers.ids
        unshared, harass, shared = acts["unshared"], acts["harass"], acts["shared"]
        creators, kinds, targets, plat = self._act_buffer
        n_u, n_h, n_s = posting.expand_acts(unshared, harass, shared, ids, creators, kinds)
        n = n_u + n_h + n_s
        if n > len(creators):  # more acts than any day before
            creators, targets, plat = (np.empty(2 * n, np.int64) for _ in range(3))
            kinds = np.empty(2 * n, np.int8)
            self._act_buffer = creators, kinds, targets, plat
            posting.expand_acts(unshared, harass, shared, ids, creators, kinds)
        return n_u, n_h, n_s, creators[:n], kinds[:n], targets[:n], plat[:n]

    def spread_harmful_items(self) -> None:
        """Live items draw views along the network and are re-shared by ordinary users."""
        sh = self.shares
        n_plat = len(self.platform_list)
        self._harm_views_by_platform = np.zeros(n_plat)
        self._harmful_views_today = 0.0
        if sh.n == 0:
            return
        rng = self.streams["content"]
        items = self.items
        ccfg = self.cfg.content
        start, end = self.day * HOURS, (self.day + 1) * HOURS
        n = sh.n
        it, t_s = sh.item[:n], sh.t_h[:n]
        # Views in today's window (attention_fraction; the exponentials are numpy's).
        tau = ccfg.attention_halflife_hours / LN2
        expo, window_end = np.empty(2 * n), np.empty(n)
        spread.window_exponents(it, t_s, items.removed_h, start, end, tau, expo, window_end)
        report_rate, reshare_rate = np.empty(n), np.empty(n)
        self._harmful_views_today = spread.share_views(
            np.exp(expo),
            sh.audience[:n],
            ccfg.view_prob,
            it,
            items.platform,
            items.appeal,
            items.views,
            self.cfg.population.report_prob_per_view,
            ccfg.reshare_prob_per_view,
            self._harm_views_by_platform,
            report_rate,
            reshare_rate,
        )
        # Bystanders report some of what they see.
        reports = poisson_rows(rng, report_rate)  # one row per report (sim/sampling.py)
        if len(reports):
            rows, rep_items, lo_r, span = spread.report_rows(
                reports, it, t_s, window_end, start, items.reports
            )
            # A report comes after the share it responds to was made.
            self._queue_reviews(rep_items, lo_r + rng.random(len(rows)) * span)
        # Re-shares: each view re-shares with probability reshare_prob x the item's appeal,
        # to a random contact; a user shares an item at most once (saturation).
        rows = poisson_rows(rng, reshare_rate)
        if len(rows):
            m = len(rows)
            new_sharer = self._attentive_contacts(sh.sharer[rows], rng)
            new_item, sharer, plat = (
                np.empty(m, np.int64),
                np.empty(m, np.int64),
                np.empty(m, np.int64),
            )
            t_new = np.empty(m)
            k, n_deepfake = spread.new_reshares(
                rows,
                new_sharer,
                rng.random(m),  # the hour of each in its share's window today
                it,
                t_s,
                window_end,
                items.state,
                items.platform,
                items.kind,
                self.users.member,
                start,
                self.share_keys.keys,
                self.users.n,
                items.shares,
                new_item,
                sharer,
                t_new,
                plat,
            )
            if k:
                self._add_shares(new_item[:k], sharer[:k], t_new[:k], plat[:k])
                # New shares draw views from their own hour to the end of today (later days
                # are counted from midnight by the window above).
                new_it = new_item[:k]
                expo_new = np.empty(k)
                spread.new_share_exponents(
                    new_it, sh.t_h[sh.n - k : sh.n], items.removed_h, end, tau, expo_new
                )
                self._harmful_views_today += spread.new_share_views(
                    np.exp(expo_new),
                    sh.audience[sh.n - k : sh.n],
                    ccfg.view_prob,
                    new_it,
                    items.platform,
                    items.views,
                    self._harm_views_by_platform,
                )
                # Re-sharing an intimate image is itself an offence (s.66B): counted, not prosecuted.
                self.deepfake_reshares += n_deepfake
        # Shares stop drawing views when their item is gone or their attention is spent.
        sh.drop_spent(items.state, 10 * ccfg.attention_halflife_hours, end)
        self.share_keys.keep_live_items(items.state)

    def benign_activity(self) -> None:
        """Lawful posts and views (aggregated), automated false positives and wrongful removals."""
        u = self.users
        rng = self.streams["moderation"]
        # Posts and views per platform change only when self-censoring or the monthly
        # audiences change (activity itself is fixed); otherwise yesterday's sums are today's.
        if self._censoring_seen != self._censoring_changes:
            self._censoring_seen = self._censoring_changes
            ea = u.effective_activity(self.cfg.population.self_censor_activity_factor)
            ea32 = ea.astype(np.float32)
            self._benign_posts = (self._member_T @ ea32).astype(np.float64)
            self._benign_views = (self._aud_T @ ea32).astype(
                np.float64
            ) * self.cfg.content.view_prob
            self._benign_views_total = float(self._benign_views.sum())
        posts = self._benign_posts.tolist()
        benign_report_prob = self.cfg.content.benign_report_prob
        wrongful = np.zeros(len(self.platform_list))
        self._benign_reports = np.zeros(len(self.platform_list))
        fpr = self.moderation().fpr.tolist()
        pop = self.cfg.population
        # Authors of wrongly removed posts are drawn only if they can respond.
        responds = (
            pop.self_censor_prob_after_wrongful_removal > 0
            or pop.leave_prob_after_wrongful_removal > 0
        )
        for p in self.platform_list:
            j = p.index
            if p.exited:
                continue
            auto = rng.poisson(posts[j] * fpr[j])
            reports = by_review = 0
            if benign_report_prob > 0:  # a zero rate draws nothing: skip the calls
                reports = rng.poisson(posts[j] * benign_report_prob)
                by_review = rng.binomial(reports, 1.0 - p.cfg.review_accuracy)
            self._benign_reports[j] = reports
            wrongful[j] = n_wrongful = auto + by_review
            if n_wrongful > 0 and responds:
                authors = self._sample_authors(j, n_wrongful, rng)
                self._respond(
                    authors,
                    j,
                    pop.self_censor_prob_after_wrongful_removal,
                    pop.leave_prob_after_wrongful_removal,
                    rng,
                    reason="wrongful",
                )
        self._wrongful = wrongful

    def review_reports(self) -> None:
        """Reviews falling due today remove what reviewers judge harmful (with error)."""
        items = self.items
        self._suspended_today = 0
        lo, n, end_h = items.first_live, items.n, (self.day + 1) * HOURS
        if len(self._review_due) < n - lo:
            self._review_due = np.empty(2 * (n - lo), np.int64)
        due = self._review_due
        n_due = kreview.due_for_review(items.state, lo, n, LIVE, items.review_due_h, end_h, due)
        if n_due == 0:
            self._dismissed.fill(0)
            self._denied_today.fill(0.0)
            self._removed_today = _NO_ITEMS
            return
        rng = self.streams["moderation"]
        # Automated detections are removed outright; human reviews err with 1 - accuracy.
        # Reports that end with the item left up feed the complaints Ofcom hears about.
        # A removed item comes down at its review hour: its shares lose the attention
        # they would have drawn after it today (exponents here, views below).
        sh = self.shares
        if len(self._review_rows) < sh.n:
            self._review_rows, self._review_expo = np.empty(2 * sh.n, np.int64), np.empty(4 * sh.n)
        rows, expo = self._review_rows, self._review_expo
        n_gone, k = kreview.decide_and_remove(
            due,
            n_due,
            rng.random(n_due),
            items.platform,
            items.proactive,
            self._review_accuracy,
            items.review_due_h,
            items.removed_h,
            items.state,
            REMOVED,
            self._dismissed,
            sh.item,
            sh.t_h,
            sh.n,
            end_h,
            self.cfg.content.attention_halflife_hours / LN2,
            rows,
            expo,
        )
        self._removed_today = gone = due[:n_gone]
        if n_gone == 0:
            self._denied_today.fill(0.0)
            return
        # The views those shares would have drawn after the removal are taken back. Share
        # of each removed item's expected views that the removal prevented (what the
        # removal costs its creator; about 0 once the item's attention is spent).
        # Platforms suspend the accounts behind removed items, more often the harder
        # they moderate.
        draw = rng.random(n_gone)
        if len(self._review_hit) < n_gone:
            self._review_hit = np.empty(2 * n_gone, np.int64)
        hit = self._review_hit
        taken, n_hit = kreview.after_removal(
            gone,
            draw,
            items.platform,
            items.views,
            items.potential_views,
            self.moderation().suspension_prob,
            self._denied_today,
            rows,
            k,
            np.exp(expo[: 2 * k]),
            sh.item,
            sh.audience,
            self.cfg.content.view_prob,
            self._harm_views_by_platform,
            hit,
        )
        if k:
            self._harmful_views_today -= taken
        if n_hit:
            self._suspend_creators(hit[:n_hit])

    def _suspend_creators(self, removed: np.ndarray) -> None:
        """Suspend the accounts behind ``removed`` items (abusers who are still members)."""
        items = self.items
        users = items.creator[removed]
        plat = items.platform[removed].astype(np.int64)
        ab = self._abuser_index[users]
        ok = (ab >= 0) & self.users.member[users, plat]
        users, plat, ab = users[ok], plat[ok], ab[ok]
        self.users.member[users, plat] = False
        self._suspended[ab, plat] = True
        self._members -= np.bincount(plat, minlength=len(self.platform_list))
        self._suspended_today = len(users)

    def _ban_evasion(self) -> None:
        """Suspended abusers come back with new accounts at a daily rate."""
        s = self._suspended
        if not np.count_nonzero(s):
            return
        rng = self.streams["abusers"]
        ab, plat = np.nonzero(s)
        back = rng.random(len(ab)) < self.cfg.abusers.ban_evasion_prob_per_day
        open_ = self.moderation().open[plat]
        ab, plat = ab[back & open_], plat[back & open_]
        s[ab, plat] = False
        self.users.member[self.abusers.ids[ab], plat] = True
        self._members += np.bincount(plat, minlength=len(self.platform_list))

    def end_items_and_victims_respond(self) -> None:
        """Items expire; targets of ended items self-censor or leave, more so the longer exposed."""
        items = self.items
        # Items below the mark have all been responded to: the search starts there.
        # Harm grows with the share of its expected views the item drew (exposure).
        lo, n = self._responded_below, items.n
        if len(self._ended) < n - lo:
            self._ended, self._exposure = np.empty(2 * (n - lo), np.int64), np.empty(2 * (n - lo))
        ended, exposure = self._ended, self._exposure
        k, self._responded_below = kreview.end_items(
            items.first_live,
            items.created_h,
            self.cfg.content.item_lifetime_days * HOURS,
            (self.day + 1) * HOURS,
            items.state,
            n,
            items.responded,
            lo,
            LIVE,
            EXPIRED,
            items.views,
            items.potential_views,
            items.kind,
            items.target,
            DEEPFAKE,
            self.cfg.content.deepfake_harm_weight,
            self.users.harm,
            ended,
            exposure,
        )
        pop = self.cfg.population
        if k == 0 or (pop.self_censor_prob_after_harm == 0 and pop.leave_prob_after_harm == 0):
            return  # nothing ended, or victims never respond: draw nothing
        ended, exposure = ended[:k], exposure[:k]
        rng = self.streams["content"]
        targets = items.target[ended]
        plat = items.platform[ended].astype(np.int64)
        # Removing attacks keeps victims engaged (Jimenez-Duran 2022): responses scale with exposure.
        self._respond(
            targets,
            plat,
            pop.self_censor_prob_after_harm * exposure,
            pop.leave_prob_after_harm * exposure,
            rng,
            reason="harm",
        )

    def abusers_learn(self) -> None:
        """Perceived certainty: forget, count unsanctioned acts, learn from sanctions seen."""
        ab = self.abusers
        cfg = self.cfg.abusers
        kreview.forget_and_count(
            ab.alpha,
            ab.beta,
            ab.alpha0,
            ab.beta0,
            0.5 ** (1.0 / cfg.memory_halflife_days),
            self._acts,
            self.offence_active(),
        )
        charged_idx, charged_off = self.justice.charged_today
        if len(charged_idx):
            np.add.at(
                ab.alpha, (charged_idx, charged_off.astype(np.int64)), cfg.weight_own_sanction
            )
        conv_idx, conv_off = self.justice.convicted_today
        if len(conv_idx):
            rng = self.streams["justice"]
            custody = rng.random(len(conv_idx)) < CUSTODY_SHARE
            # Typical custody is about half the maximum term (15 days per month): assumption.
            term_days = (self._severity_months()[conv_off[custody]] * 15).astype(np.int64)
            ab.incapacitated_until[conv_idx[custody]] = self.day + term_days
            n = self.users.n
            for k in np.unique(conv_off):
                convicted_users = np.zeros(n)
                np.add.at(convicted_users, ab.ids[conv_idx[conv_off == k]], 1.0)
                seen = ab.adj @ convicted_users
                ab.alpha[:, k] += cfg.weight_neighbour_conviction * seen
                publicised = rng.binomial(int((conv_off == k).sum()), cfg.publicity_prob)
                ab.alpha[:, k] += cfg.weight_publicised_conviction * publicised * 1e4 / n

    def settle_platform_accounts(self) -> None:
        """Daily revenue and moderation spend per platform, GBP at UK scale."""
        content = self.cfg.content
        items = self.items
        created_by, removed_by = self._created_by_platform, self._removed_by_platform
        kreview.items_per_platform(self._new_items_today, items.platform, created_by)
        kreview.items_per_platform(self._removed_today, items.platform, removed_by)
        mod = self.moderation()
        # Revenue from UK active users and engagement; what each platform observes today.
        accounts.platform_day(
            mod.open,
            self._platform_fixed,
            self._members,
            self._benign_posts,
            self._wrongful,
            self._harm_views_by_platform,
            self._benign_views,
            created_by,
            removed_by,
            self._denied_today,
            self._dismissed,
            self._left_today["harm"],
            self._left_today["wrongful"],
            content.engagement_loss_per_removed_share,
            content.harmful_engagement_premium,
            self.revenue_today,
            self._window_today,
        )
        for p in self.platform_list:
            if p.restricted:
                self.revenue_today[p.index] *= 0.5
        # Moderation spend changes only with the moderation parameters.
        if mod is not self._spend_for:
            self._spend_for = mod
            self.spend_today = np.array(
                [0.0 if p.exited else self._daily_spend(p) for p in self.platform_list]
            )
        self.windows.push(self._window_today)
        self._denied_day = -2  # the windows moved on

    # ------------------------------------------------------------------ helpers
    def _daily_spend(self, p: Platform) -> float:
        """Moderation spend a day, GBP (memoised: it changes only with effort or the duty)."""
        key = (p.index, p.effort, p.meets_duty, self.takedown_duty_hours)
        spend = self._spend_cache.get(key)
        if spend is None:
            spend = self._spend_cache[key] = p.moderation_cost(p.effort, p.meets_duty) / 365.0
        return spend

    def _severity_months(self) -> np.ndarray:
        """Maximum custodial term per offence (population.OFFENCES order), months."""
        j = self.cfg.justice
        return np.array(
            [
                j.severity_months_harassment,
                j.severity_months_deepfake_sharing,
                j.severity_months_deepfake_creation,
            ]
        )

    def _refresh_audiences(self) -> None:
        """Contacts of each user on each platform (recomputed monthly as users leave).

        Memberships and self-censoring are compared with those of the last refresh, and
        what did not change is kept. The contact counts are updated from the users whose
        memberships changed (their contacts gain or lose one), which costs their degrees,
        not a sparse product over the whole network; counts are integers, so the result
        is exactly that of recounting.
        """
        u = self.users
        n_plat = u.member.shape[1]
        # Column by column: count_nonzero(axis=0) on (users, platforms) loops per user, ~10x slower.
        self._members = np.array([np.count_nonzero(u.member[:, j]) for j in range(n_plat)])
        seen = self._member_seen
        # Users whose memberships changed since the last refresh (None: first refresh).
        changed = None if seen is None else np.unique(np.flatnonzero(u.member != seen) // n_plat)
        if changed is None or len(changed) > u.n // 20:
            # Platform-major layout: one contiguous row per platform makes the daily
            # matrix-vector products over users cheap.
            self._member_T = np.ascontiguousarray(u.member.T, dtype=np.float32)
            # Contacts on each platform: one sparse matrix-vector product per platform
            # (about twice as fast as one product with the users x platforms block).
            self._contacts_T = np.stack(
                [np.asarray(self.adj @ row, dtype=np.float32) for row in self._member_T]
            )
        elif len(changed):
            delta = u.member[changed].astype(np.int64) - seen[changed]
            rows = self.adj[changed]  # the changed users' contacts (symmetric network)
            per_row = np.diff(rows.indptr)
            for j in np.flatnonzero(delta.any(axis=0)):
                w = np.repeat(delta[:, j], per_row) * rows.data
                self._contacts_T[j] += np.bincount(rows.indices, weights=w, minlength=u.n)
                self._member_T[j, changed] = u.member[changed, j]
        member_changed = changed is None or len(changed) > 0
        if member_changed:
            self._member_seen = u.member.copy()
            self._censoring_seen = -1  # benign_activity recomputes its sums
            self._aud_T = self._contacts_T * self._member_T
            for p in getattr(self, "platform_list", ()):
                if p.exited:
                    self._aud_T[p.index] = 0.0
        if member_changed or not np.array_equal(u.self_censoring, self._author_censoring):
            self._author_censoring = u.self_censoring.copy()
            ea = u.effective_activity(self.cfg.population.self_censor_activity_factor)
            # Cumulative activity of each platform's members, one contiguous row per platform.
            self._author_cum_T = np.cumsum(ea * self._member_T, axis=1)

    def _target_weights(self) -> None:
        """Cumulative target-choice weights per item kind (gender bias x visibility)."""
        u = self.users
        cfg = self.cfg.abusers
        vis = np.sqrt(u.degree + 1.0)
        w_h = np.where(u.gender == WOMAN, cfg.women_weight_harassment, 1.0) * vis
        share_w = float((u.gender == WOMAN).mean())
        odds = cfg.women_share_deepfake / max(1e-9, 1 - cfg.women_share_deepfake)
        odds *= (1 - share_w) / max(share_w, 1e-9)
        w_d = (
            np.where(u.gender == WOMAN, odds, 1.0)
            * vis
            * np.where(u.child, CHILD_WEIGHT_DEEPFAKE, 1.0)
        )
        self._gender_weight = {
            HARASSMENT: np.where(np.arange(3) == WOMAN, cfg.women_weight_harassment, 1.0),
            DEEPFAKE: np.where(np.arange(3) == WOMAN, odds, 1.0),
        }
        self._cum_weights = {HARASSMENT: np.cumsum(w_h), DEEPFAKE: np.cumsum(w_d)}
        # Probability a drawn contact is accepted as target, by gender.
        self._gender_accept = {k: gw / gw.max() for k, gw in self._gender_weight.items()}

    def _choose_targets(
        self,
        creators: np.ndarray,
        kind: int,
        r: np.ndarray,
        rng: np.random.Generator,
        out: np.ndarray,
        then: int = 0,
    ) -> np.ndarray:
        """Targets (into ``out``): a contact (accepted with the kind's gender weight) or anyone, weighted.

        Uniforms, in order: ``r``, drawn by the caller, one per act for the weighted pick
        and one for whether it tries a contact; then (if any act tries one) from ``rng``
        one per trying act with contacts (which contact) and one per trying act (whether
        the contact is accepted). Returns the next ``then`` uniforms of ``rng``, drawn in
        the same call (the caller's next draw). Kernels: ``sim/kernels/posting.py``.
        """
        local_prob = self.cfg.abusers.local_target_prob
        indptr = self.adj.indptr
        n_local, n_with = posting.weighted_targets(
            self._cum_weights[kind], r, local_prob, creators, indptr, out
        )
        if n_local == 0:
            return rng.random(then) if then else _NO_UNIFORMS
        r_contact = rng.random(n_with + n_local + then)
        posting.contact_targets(
            out,
            creators,
            r,
            r_contact,
            n_with,
            local_prob,
            indptr,
            self.adj.indices,
            self.users.gender,
            self._gender_accept[kind],
        )
        return r_contact[n_with + n_local :]

    def _attentive_contacts(self, users: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One contact per user, drawn with probability proportional to its attention.

        ``self.attention`` is ``sim.content.reshare_attention``: hubs divide their
        attention among many contacts, so a post is less likely to reach them. One
        uniform per user, inverted on the running total of attention over the user's
        contacts (kernel ``spread.attentive_contacts``). -1 for users without contacts.
        """
        contact = np.empty(len(users), np.int64)
        spread.attentive_contacts(
            users,
            rng.random(len(users)),
            self.adj.indptr,
            self.adj.indices,
            self.attention,
            contact,
        )
        return contact

    def _choose_platforms(
        self, creators: np.ndarray, r: np.ndarray, open_: np.ndarray, out: np.ndarray
    ) -> int:
        """Where each act is posted: among the abuser's open platforms, away from strict ones.

        ``r``: one uniform per act; ``open_``: whether each platform still serves the UK.
        Writes the platform of each act into ``out`` (-1 if its creator is on no open
        platform) and returns the number of such acts.

        Weights ``exp(-displacement_sensitivity x exposure denied)``, where the exposure
        denied is the mean share of a harmful item's expected views that each platform's
        removals prevented over the last 30 days, which abusers observe (displacement;
        Horta Ribeiro et al. 2021; see :meth:`_exposure_denied`).
        """
        beta = self.cfg.abusers.displacement_sensitivity
        # Without displacement every weight is exp(0) = 1 and the exposure denied does not matter.
        displacement = (
            np.exp(-beta * self._exposure_denied()) if beta != 0 else self._no_displacement
        )
        return posting.choose_platforms(self.users.member, creators, displacement, open_, r, out)

    def _exposure_denied(self) -> np.ndarray:
        """Per platform: views prevented by removals per harmful item posted, last 30 days.

        Equals the removal rate when removals are instant and falls to 0 when they come
        after the items' attention is spent: a late removal costs an abuser no audience
        (deplatformed actors weigh lost audience, Rogers 2020; Ali et al. 2021).
        """
        # The windows change once a day (settle_platform_accounts); several processes ask.
        if self._denied_day != self.day:
            self._denied_day = self.day
            self._denied_cache = np.array(
                [p.window.ratio("denied", "created") for p in self.platform_list]
            )
        return self._denied_cache

    def _join_fringe(self) -> None:
        """Abusers who lose audience to mainstream removals join the lightly moderated platform.

        Daily join probability ``fringe_join_prob_per_day`` x pressure / 0.1, the pressure
        being the mainstream platforms' mean exposure denied minus the fringe's.
        """
        j = self.fringe_index
        if j < 0 or self.platform_list[j].exited:
            return
        rate = self.cfg.abusers.fringe_join_prob_per_day
        if rate <= 0:  # nobody joins: draw nothing
            return
        rng = self.streams["abusers"]
        ids = self.abusers.ids
        draw = rng.random(len(ids))
        risk = self._exposure_denied()
        main = risk[np.arange(len(risk)) != j]
        pressure = min(max(float((main.mean() if len(main) else 0.0) - risk[j]), 0.0), 1.0)
        outside = ~self.users.member[ids, j]
        join = outside & (draw < rate * pressure / 0.1)
        if join.any():
            self.users.member[ids[join], j] = True
            self.fringe_joins += int(join.sum())
            self._members[j] += int(join.sum())

    def _add_shares(
        self, item: np.ndarray, sharer: np.ndarray, t_h: np.ndarray, plat: np.ndarray
    ) -> None:
        """New shares: their audience is the sharer's contacts on the platform (kernel).

        Their (item, sharer) pairs join the share keys (saturation, :class:`ShareKeys`).
        """
        sh, known = self.shares, self.share_keys
        first = sh.reserve(len(item))
        buffer = known.room_for(len(item))
        n_keys = posting.write_shares(
            first,
            item,
            sharer,
            t_h,
            plat,
            self._aud_T,
            self.cfg.content.view_prob,
            sh.item,
            sh.sharer,
            sh.t_h,
            sh.audience,
            self.items.potential_views,
            buffer,
            len(known.keys),
            known.n_users,
        )
        known.keys = buffer[:n_keys]

    def _queue_reviews(
        self, ids: np.ndarray, report_h: np.ndarray, sorted_unique: bool = False
    ) -> None:
        """A report puts an item in its platform's review queue (if not already queued).

        The first report of each item counts, items in id order (``sorted_unique``: the
        caller's ids are already increasing). Kernels: ``sim/kernels/posting.py``.
        """
        if len(ids) == 0:
            return
        items = self.items
        # A batch beyond the day's capacity waits a day per capacity's worth (backlog).
        if len(self._queued) < len(ids):
            self._queued = np.empty(2 * len(ids), np.int64)
        queued, backlog = self._queued, self._backlog
        n = posting.reviews_to_queue(
            ids,
            report_h,
            sorted_unique,
            items.review_due_h,
            items.state,
            items.platform,
            self._benign_reports,
            self.review_capacity(),
            queued,
            backlog,
        )
        if n == 0:
            return
        mod = self.moderation()
        # Log-normal review times around the platform's pace: a long tail of slow cases.
        # The normal draws go to the platforms in turn (platform order, then item order).
        z = self.streams["moderation"].standard_normal(n)
        spread = np.empty(n)
        posting.review_spread(ids, queued, items.platform, z, mod.review_sigma, spread)
        np.exp(spread, out=spread)
        posting.set_review_times(
            ids,
            report_h,
            queued,
            items.platform,
            spread,
            mod.review_hours,
            backlog,
            mod.meets_duty,
            self.takedown_duty_hours,
            items.review_due_h,
            items.reported_h,
        )

    def _harm_victims(self, targets: np.ndarray) -> None:
        """Mark first-time victims (counted by gender and age band in the time series)."""
        u = self.users
        new = np.empty(len(targets), np.int64)
        n_new, n_child = posting.mark_victims(
            targets, u.victim, u.first_harm_day, u.child, self.day, new
        )
        self._victims_today.append(new[:n_new])
        self._n_victims += n_new
        self._n_child_victims += n_child

    def _police_reports(self, users: np.ndarray, kinds: np.ndarray | int, shared: bool) -> None:
        """Victims report offences to the police (only acts that are offences today).

        ``users``: the creator (user id) of each act; ``kinds``: its kind (or one for all).
        """
        if len(users) == 0:
            return
        j = self.cfg.justice
        draw = self.streams["justice"].random(len(users))
        if j.police_report_prob_harassment <= 0 and j.police_report_prob_deepfake <= 0:
            return  # nobody reports
        abuser_idx = self._abuser_index[users]
        if np.ndim(kinds) == 0:  # one kind for every act
            kinds = np.full(len(abuser_idx), kinds, np.int8)
        k = len(abuser_idx)
        who, offence = np.empty(k, np.int64), np.empty(k, np.int8)
        n = posting.police_reports(
            abuser_idx,
            kinds,
            shared,
            draw,
            j.police_report_prob_harassment,
            j.police_report_prob_deepfake,
            self.offence_active(),
            who,
            offence,
        )
        self.justice.report(who[:n], offence[:n])

    def _sample_authors(self, j: int, k: int, rng: np.random.Generator) -> np.ndarray:
        """Authors of ``k`` removed lawful posts on platform ``j`` (proportional to activity).

        Uses activity weights refreshed monthly with the audiences (an approximation that
        keeps the daily step free of O(users) cumulative sums).
        """
        cum = self._author_cum_T[j]
        if cum[-1] <= 0:
            return np.zeros(0, np.int64)
        return np.minimum(np.searchsorted(cum, rng.random(k) * cum[-1], side="right"), len(cum) - 1)

    def _respond(
        self,
        users: np.ndarray,
        plat: Any,
        p_censor: Any,
        p_leave: Any,
        rng: np.random.Generator,
        reason: str,
    ) -> None:
        """Users self-censor and/or leave the platform where it happened (``reason``: harm or wrongful)."""
        if len(users) == 0:
            return
        u = self.users
        censor = rng.random(len(users)) < p_censor
        if censor.any():
            u.self_censoring[users[censor]] = True
            self._censoring_changes += 1
        leave = rng.random(len(users)) < p_leave
        if not leave.any():
            return
        plat = np.broadcast_to(np.asarray(plat), users.shape)
        lu, lp = users[leave], plat[leave]
        was = u.member[lu, lp]
        lu, lp = lu[was], lp[was]
        u.member[lu, lp] = False
        u.left_any[lu] = True
        self._leaving_changes += 1
        left = np.bincount(lp, minlength=len(self.platform_names))
        self._left_today[reason] += left
        self._members -= left

    # ------------------------------------------------------------------ events, records
    def platform_exit(self, p: Platform, reason: str) -> None:
        """The platform geoblocks the UK: its UK users lose it and its live items go dark."""
        if p.exited:
            return
        p.exited = True
        p.exit_day = self.day
        self.users.member[:, p.index] = False
        self._suspended[:, p.index] = False
        live = self.items.live_ids()
        gone = live[self.items.platform[live] == p.index]
        self.items.state[gone] = EXPIRED
        self._refresh_audiences()
        self.log_event("platform_exit", platform=p.name, detail=reason)

    def log_event(
        self,
        kind: str,
        *,
        platform: str = "",
        offence: str = "",
        amount_gbp: float = 0.0,
        cap_gbp: float = 0.0,
        detail: str = "",
    ) -> None:
        """Append one discrete event to the run's event log."""
        self._events.append(
            {
                "day": self.day,
                "kind": kind,
                "platform": platform,
                "offence": offence,
                "amount_gbp": float(amount_gbp),
                "cap_gbp": float(cap_gbp),
                "detail": detail,
            }
        )

    def record(self) -> None:
        """One row of the daily time series (columns: ``SERIES`` then the platforms')."""
        u = self.users
        items = self.items
        new = self._new_items_today
        removed = self._removed_today
        harm_v = max(self._harmful_views_today, 0.0)
        total = self._benign_views_total + harm_v
        victims = self._victims_today
        if not victims:
            nv = self._no_victims
        elif len(victims) == 1:
            nv = victims[0]
        else:
            nv = np.concatenate(victims)
        n_child, n_proactive = kreview.day_counts(
            nv,
            u.gender,
            u.child,
            new,
            items.kind,
            removed,
            items.proactive,
            self._by_gender,
            self._by_kind,
        )
        by_gender, by_kind = self._by_gender.tolist(), self._by_kind.tolist()
        if self._counted_at != (self._censoring_changes, self._leaving_changes):
            self._counted_at = (self._censoring_changes, self._leaving_changes)
            self._n_self_censoring = int(np.count_nonzero(u.self_censoring))
            self._n_left_any = int(np.count_nonzero(u.left_any))
        ab = self.abusers
        # Mean perceived certainty of harassment being punished (alpha / (alpha + beta)).
        certainty = (
            accounts.mean_certainty(ab.alpha, ab.beta, HARASSMENT_OFFENCE, self._certainty) / ab.n
            if ab.n
            else 0.0
        )
        # The platforms' columns, in a preallocated table (grown when full).
        day_row = len(self._rows)
        if day_row == len(self._platform_rows):
            self._platform_rows = np.concatenate(
                [self._platform_rows, np.empty_like(self._platform_rows)]
            )
        mod = self.moderation()
        if mod is not self._effort_for:  # efforts change with the moderation parameters
            self._effort_for = mod
            self._effort = np.array([p.effort for p in self.platform_list], dtype=float)
        wrongful = accounts.platform_row(
            self._platform_rows,
            day_row,
            mod.open,
            self._effort,
            mod.recall,
            mod.fpr,
            self.review_capacity(),
            self._members,
            self._harm_views_by_platform,
            self._created_by_platform,
            self.spend_today,
            self.revenue_today,
            self._wrongful,
        )
        reg, justice = self.regulator, self.justice
        self._rows.append(  # in SERIES order
            (
                self.day,
                total,
                harm_v,
                1e4 * harm_v / total if total > 0 else 0.0,
                len(new),
                by_kind[HARASSMENT],
                by_kind[DEEPFAKE],
                self.deepfakes_created_today,
                len(removed),
                n_proactive,
                items.n_live(),
                by_gender[WOMAN],
                by_gender[MAN],
                by_gender[OTHER],
                n_child,
                wrongful,
                self._suspended_today,
                self._n_self_censoring,
                self._n_left_any,
                self._willing_share,
                certainty,
                reg.fines_today,
                len(reg.open),
                reg.cost_today,
                justice.reports_today,
                len(justice.charged_today[0]),
                len(justice.convicted_today[0]),
            )
        )
        for e in self._events_today():
            if e["kind"] in ("fine", "daily_penalty") and e["platform"]:
                self._platform_rows[day_row, self._fines_column[e["platform"]]] += e["amount_gbp"]
        self._events_mark = len(self._events)

    def _events_today(self) -> list[dict[str, Any]]:
        return self._events[self._events_mark :]

    # ------------------------------------------------------------------ outputs
    def timeseries(self) -> pd.DataFrame:
        """Daily time series, one row per day (columns: docs/outputs.md)."""
        if not self._rows:
            return pd.DataFrame([])
        base = pd.DataFrame(self._rows, columns=SERIES)  # each column's type as recorded
        columns: dict[str, Any] = {name: base[name].to_numpy() for name in SERIES}
        table = self._platform_rows[: len(self._rows)]
        for k, name in enumerate(self._platform_columns):
            col = table[:, k]
            columns[name] = (
                col.astype(np.int64) if k % len(PLATFORM_SERIES) in _INTEGER_SERIES else col.copy()
            )
        return pd.DataFrame(columns)

    def events(self) -> pd.DataFrame:
        """Event log, one row per event (columns: docs/outputs.md)."""
        cols = ["day", "kind", "platform", "offence", "amount_gbp", "cap_gbp", "detail"]
        return pd.DataFrame(self._events, columns=cols)

    def summary(self) -> dict[str, float]:
        """End-of-run indicators over the policy period (``day >= policy_start_day``)."""
        from sim.indicators import summarise

        return summarise(self)
