"""The few strategic actors, as Mesa agents: platforms, the regulator (Ofcom), criminal justice.

Each agent holds its state and applies the mechanics of its role; the *decisions* are
delegated to a behaviour chosen in config (``sim/behaviours``), so a student can add a
new platform strategy or regulator targeting rule without touching this file.
Money is in pounds per year (annual figures) or pounds (flows and stocks), at UK scale:
simulated users stand for ``uk_users`` real users of each platform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from mesa import Agent
from scipy.special import ndtr, ndtri

from sim.config import PlatformConfig
from sim.kernels import accounts
from sim.population import OFFENCES as OFFENCE_NAMES

if TYPE_CHECKING:
    from sim.model import HarmModel

# Highest false-positive rate a classifier is run at (effort = 1): 1% of lawful posts.
# Assumption anchored on Meta (2025): actions touch <1% of content, 10-20% are mistakes.
MAX_FALSE_POSITIVE_RATE = 0.01
# Extra d' for intimate images when hash matching is required (priority offence): assumption.
PRIORITY_SKILL_BONUS = 1.0
# Review capacity at effort 0.25 + e, per 1,000 members per day: assumption.
REVIEWS_PER_1K_MEMBERS = 0.5
# What a platform observes each day (HarmModel.settle_platform_accounts), kept for 30 days.
WINDOW_KEYS = (
    "harmful_views",
    "total_views",
    "created",  # harmful items posted
    "removed",  # harmful items taken down
    "denied",  # summed share of removed items' expected views the removal prevented
    "unresolved_reports",  # reviews that left the reported item up
    "left_harm",  # members who left after harm
    "left_wrongful",  # members who left after a wrongful removal
    "wrongful",  # lawful posts removed
)
# Observations that are numpy floats (the others are Python floats and integers): their
# window sums add plainly, the others with Python's compensated float sum.
NUMPY_FLOAT_KEYS = ("harmful_views", "total_views")


def fine_cap(qwr_gbp: float, floor_gbp: float, revenue_share: float, multiplier: float) -> float:
    """Statutory maximum penalty, OSA 2023 Sch. 13 para 4(1): max(GBP 18m, 10% of QWR).

    ``multiplier`` scales both limbs (a counterfactual "higher fines" lever; 1 = the Act).
    """
    return multiplier * max(floor_gbp, revenue_share * qwr_gbp)


def classifier_point(effort: np.ndarray | float, skill: float) -> tuple[Any, Any]:
    """Recall and false-positive rate of automated detection at a moderation effort.

    Binormal ROC (harmful scores ~ N(skill, 1), lawful ~ N(0, 1)); effort sets the
    operating point: the false-positive rate grows as ``MAX_FALSE_POSITIVE_RATE *
    effort**2``. With skill ~1.5-2 this gives view recall of a few percent at low effort
    (WSJ 2021: 3-5% of hate views removed automatically) and ~20-45% at full effort.

    Returns:
        (recall, false_positive_rate), each in [0, 1], same shape as ``effort``.
    """
    e = np.clip(np.asarray(effort, dtype=float), 0.0, 1.0)
    fpr = MAX_FALSE_POSITIVE_RATE * e**2
    with np.errstate(divide="ignore"):
        z = ndtri(1.0 - np.maximum(fpr, 1e-300))
    recall = np.where(fpr > 0, ndtr(skill - z), 0.0)
    return recall, fpr


@lru_cache(maxsize=1024)
def operating_point_at(effort: float, skill: float) -> tuple[float, float]:
    """``classifier_point`` for one effort and skill, as floats (memoised: efforts change
    monthly, and the daily step asks for the same point many times)."""
    recall, fpr = classifier_point(effort, skill)
    return float(recall), float(fpr)


# classifier_points' memo: (dtype, efforts' bytes, skill) -> read-only (recall, fpr).
_POINTS: dict[tuple[str, bytes, float], tuple[np.ndarray, np.ndarray]] = {}


def classifier_points(efforts: np.ndarray, skill: float) -> tuple[np.ndarray, np.ndarray]:
    """``classifier_point`` for a 1-D array of efforts, as read-only arrays (memoised: a
    platform weighs the same candidate efforts month after month)."""
    key = (efforts.dtype.str, efforts.tobytes(), skill)
    points = _POINTS.get(key)
    if points is None:
        if len(_POINTS) >= 1024:
            _POINTS.clear()
        recall, fpr = classifier_point(efforts, skill)
        recall.flags.writeable = fpr.flags.writeable = False
        points = _POINTS[key] = (recall, fpr)
    return points


class _ModerationField:
    """A platform attribute that ``HarmModel.moderation()`` follows: a new value marks the
    model's moderation table stale (``HarmModel.moderation_changed``)."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = f"_{name}"

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        return self if obj is None else getattr(obj, self.attr)

    def __set__(self, obj: Any, value: Any) -> None:
        if getattr(obj, self.attr, None) != value:
            obj.model.moderation_changed()
        setattr(obj, self.attr, value)


@dataclass
class PlatformOutlook:
    """Annual outcomes (GBP/year) a platform expects at candidate efforts (arrays)."""

    efforts: np.ndarray
    meets_duty: np.ndarray
    revenue: np.ndarray
    moderation_cost: np.ndarray
    expected_fine: np.ndarray
    manager_exposure: np.ndarray
    reputation_cost: np.ndarray
    churn_cost: np.ndarray
    stance: float

    def profit(self) -> np.ndarray:
        """Money the UK operation is expected to make, GBP/year."""
        return (
            self.revenue
            - self.moderation_cost
            - self.expected_fine
            - self.manager_exposure
            - self.reputation_cost
            - self.churn_cost
        )


@dataclass
class Investigation:
    """An open Ofcom investigation (OSA ss.130-132).

    ``stage`` is ``"evidence"`` while Ofcom gathers evidence (until ``close_day``) and
    ``"provisional"`` once it has given a provisional notice of contravention (s.130) and
    waits for representations before its confirmation decision (s.132), due ``close_day``.
    """

    platform: Platform
    opened_day: int
    close_day: int
    stage: str = "evidence"
    notice_day: int = -1


class Platform(Agent):
    """A platform with a UK presence that chooses how hard to moderate.

    State: ``effort`` in [0, 1], the detection operating point it implies, the review
    speed and capacity, its belief ``belief_investigation`` that a breach is
    investigated within a year, its enforcement record and whether it left the UK.
    """

    def __init__(self, model: HarmModel, name: str, index: int, cfg: PlatformConfig) -> None:
        super().__init__(model)
        from sim.behaviours import create

        self.name = name
        self.index = index
        self.cfg = cfg
        self.strategy = create(
            "platform", cfg.strategy, f"platforms.{name}.strategy", cfg.strategy_params
        )
        self.effort = cfg.initial_effort
        self.meets_duty = False
        self.belief_investigation = 0.0
        self.exited = False
        self.exit_day = -1
        self.months_in_loss = 0
        self.restricted = False  # service restriction order in force
        self.required_recall_floor = 0.0  # set by a confirmation decision
        self.decision_day = -1  # >= 0: a provisional notice awaits its confirmation decision
        self.duty_bound = False  # a decision requires it to meet the takedown duty
        self.breach_found_day = -1
        self.unpaid_since = -1
        self.fines_imposed = 0.0
        self.fines_paid = 0.0
        self.fines_paid_today = 0.0
        self.manager_prosecutions = 0
        self.investigated_days: list[int] = []
        self.scale = 1.0  # real UK users per simulated member, set by the model
        self.initial_members = 0
        # Rolling 30-day observations for decisions and signals (pushed by the model).
        self.window = model.windows.window(index)

    # Effort, duty and exit set the model's moderation table: changing one marks it stale.
    effort = _ModerationField("Moderation effort in [0, 1] (sets the detection operating point).")
    meets_duty = _ModerationField("Whether the platform meets the takedown duty.")
    exited = _ModerationField("Whether the platform has left the UK.")

    @property
    def revenue_today(self) -> float:
        """Revenue today, GBP at UK scale (``HarmModel.settle_platform_accounts``)."""
        return float(self.model.revenue_today[self.index])

    @property
    def spend_today(self) -> float:
        """Moderation spend today, GBP at UK scale (``HarmModel.settle_platform_accounts``)."""
        return float(self.model.spend_today[self.index])

    # --- technology -------------------------------------------------------------------
    def skill(self, deepfake: bool = False) -> float:
        """Detection skill d' for an item type (priority offences get hash matching)."""
        bonus = PRIORITY_SKILL_BONUS if deepfake and self.model.deepfake_priority_active else 0.0
        return self.cfg.detection_skill + bonus

    def operating_point(self) -> tuple[float, float]:
        """Current (recall for harassment, false-positive rate)."""
        return operating_point_at(self.effort, self.skill())

    def recall(self, deepfake: bool = False) -> float:
        """Current recall of automated detection for an item type."""
        return operating_point_at(self.effort, self.skill(deepfake))[0]

    def review_hours(self, effort: float | np.ndarray | None = None) -> Any:
        """Hours from a user report to a review decision (faster with effort or a duty)."""
        e = self.effort if effort is None else effort
        hours = self.cfg.review_hours_base * (1.5 - np.asarray(e))
        if effort is None and self.meets_duty:
            hours = np.minimum(hours, 0.5 * self.model.takedown_duty_hours)
        return hours

    def review_capacity(self, members: float) -> float:
        """Reports a day the platform can review (simulated scale)."""
        if self.meets_duty:
            return np.inf
        return REVIEWS_PER_1K_MEMBERS * members / 1000.0 * (0.25 + self.effort)

    def moderation_cost(self, effort: Any, meets_duty: Any) -> Any:
        """Annual moderation spend at an effort, GBP/year (convex in effort; assumption).

        Meeting a takedown duty adds reviewer capacity in proportion to how much faster
        than its own pace the platform must go.
        """
        cfg = self.cfg
        e = np.asarray(effort, dtype=float)
        base = cfg.moderation_cost_per_user_gbp * cfg.uk_users * e**2
        duty = self.model.takedown_duty_hours
        if duty <= 0:
            return base
        speedup = np.maximum(0.0, cfg.review_hours_base * (1.5 - e) / (0.5 * duty) - 1.0)
        return base + np.where(
            meets_duty, cfg.moderation_cost_per_user_gbp * cfg.uk_users * 0.25 * speedup, 0.0
        )

    @property
    def cap_gbp(self) -> float:
        """Statutory maximum penalty for this platform under the scenario, GBP."""
        return self.model.fine_cap_for(self)

    # --- decisions --------------------------------------------------------------------
    def outlook(self, efforts: np.ndarray) -> PlatformOutlook:
        """Expected annual outcomes at each candidate effort, with and without meeting a duty."""
        m = self.model
        cfg = self.cfg
        duty = m.takedown_duty_hours
        duty_options = [False, True] if duty > 0 else [False]
        e = np.concatenate([efforts for _ in duty_options])
        meets = np.concatenate([np.full(len(efforts), d) for d in duty_options])
        recall, fpr = classifier_points(e, self.skill())
        obs = self.window
        harm_share = obs.ratio("harmful_views", "total_views")
        uk_active = cfg.uk_users * self.active_share()
        engagement = (
            1.0
            - m.cfg.content.engagement_loss_per_removed_share * fpr
            + m.cfg.content.harmful_engagement_premium * harm_share * (1.0 - recall)
        )
        revenue = cfg.arpu_gbp * uk_active * engagement * (0.5 if self.restricted else 1.0)
        moderation_cost = self.moderation_cost(e, meets)
        p_breach = (
            m.regulator.breach_probability(self, e, recall, meets) if m.regulation_active else 0 * e
        )
        q = self.belief_investigation if m.regulation_active else 0.0
        window = 1.0
        if self.decision_day >= 0:
            # Told of a provisional finding: the confirmation decision is certain and fines
            # the provider unless it complies by then (OSA ss.130-132). The decision binds
            # afterwards anyway, so the choice is over the days left: the lump-sum penalty
            # is set against that window's flows (annualised: x 365 / days left).
            q = 1.0
            p_breach = 1.0 - m.regulator.compliant_at(e, recall, meets)
            window = 365.0 / max(1, self.decision_day - m.day)
        # Penalties are finite and non-negative: with no investigation expected (q = 0) the
        # expected fine is 0 x p_breach whatever the penalty, which is then not worked out.
        fine = m.regulator.expected_penalty(self, recall) if q != 0.0 else 0.0
        expected_fine = q * p_breach * fine * window
        manager = (
            q * p_breach * m.manager_liability_share() * m.cfg.scenario.senior_manager_cost_gbp
        )
        # Harmful views a year at this effort, relative to what is seen now.
        annual_harmful = obs.rate("harmful_views") * 365 * self.scale
        current_recall, current_fpr = self.operating_point()
        keep = (1.0 - recall) / max(1.0 - current_recall, 1e-9)
        reputation = cfg.reputation_cost_per_harmful_view_gbp * annual_harmful * keep
        # Users lost to harm fall with recall; users lost to wrongful removals rise with the
        # false-positive rate (Liu et al. 2022); each costs its lifetime revenue.
        floor = 1e-5  # wrongful removals from mistaken reviews happen even at zero effort
        wrongful_scale = (fpr + floor) / (current_fpr + floor)
        lost_users = (
            365
            * self.scale
            * (obs.rate("left_harm") * keep + obs.rate("left_wrongful") * wrongful_scale)
        )
        churn = lost_users * cfg.arpu_gbp * cfg.customer_lifetime_years
        return PlatformOutlook(
            efforts=e,
            meets_duty=meets,
            revenue=revenue,
            moderation_cost=moderation_cost * (1.0 + 2.0 * cfg.stance),
            expected_fine=expected_fine,
            manager_exposure=manager,
            reputation_cost=reputation * (1.0 - cfg.stance),
            churn_cost=churn,
            stance=cfg.stance,
        )

    def active_share(self) -> float:
        """Share of the platform's initial members still on it."""
        if self.initial_members == 0:
            return 0.0
        return self.model.members_count(self.index) / self.initial_members

    def review(self) -> None:
        """Monthly: update beliefs from enforcement seen, choose effort, consider exiting."""
        if self.exited:
            return
        self.update_beliefs()
        effort, meets = self.strategy.choose(self)
        if not self.cfg.refuses_decisions:
            if self.decision_day >= 0:
                effort, meets = self.answer_notice(effort, meets)
            # A confirmation decision binds: comply with the required detection (and, under
            # a takedown duty, with the deadline it names).
            effort = max(effort, self.required_recall_floor_effort())
            meets = bool(meets) or self.duty_bound
        self.effort = float(np.clip(effort, 0.0, 1.0))
        self.meets_duty = bool(meets) and self.model.takedown_duty_hours > 0
        self.consider_exit()

    def answer_notice(self, effort: float, meets: bool) -> tuple[float, bool]:
        """Under a provisional notice: remedy now, or keep the strategy's choice and take
        the penalty, whichever the outlook over the days to the decision favours.

        Remedying is done at once, as a confirmation decision is obeyed (the strategy's
        inertia is for voluntary change; assumption). Returns (effort, meets_duty).
        """
        remedy = max(effort, self.effort_for_recall(self.model.cfg.regulator.required_recall))
        out = self.outlook(np.array([effort, remedy]))
        profit = out.profit()
        duty = self.model.takedown_duty_hours > 0
        keep = profit[2 if duty and meets else 0]
        fix = profit[3] if duty else profit[1]
        return (remedy, duty) if fix > keep else (effort, meets)

    def required_recall_floor_effort(self) -> float:
        """Lowest effort that meets a confirmation decision's required recall (0 if none)."""
        if self.required_recall_floor <= 0:
            return 0.0
        return self.effort_for_recall(self.required_recall_floor)

    def effort_for_recall(self, required: float) -> float:
        """Lowest effort (on a 0.01 grid) whose recall reaches ``required`` (1 if none)."""
        grid = np.linspace(0, 1, 101)
        recall, _ = classifier_point(grid, self.skill())
        ok = np.flatnonzero(recall >= required)
        return float(grid[ok[0]]) if len(ok) else 1.0

    def update_beliefs(self) -> None:
        """Learn the chance of investigation from own and others' enforcement (last year)."""
        m = self.model
        if not m.regulation_active:
            self.belief_investigation = 0.0
            return
        if self.belief_investigation == 0.0:
            self.belief_investigation = m.cfg.regulator.prior_detection_belief
        day = m.day
        own = any(day - d <= 365 for d in self.investigated_days)
        others = [p for p in m.platform_list if p is not self and not p.exited]
        share_others = (
            np.mean([any(day - d <= 365 for d in p.investigated_days) for p in others])
            if others
            else 0.0
        )
        signal = 0.5 * float(own) + 0.5 * float(share_others)
        self.belief_investigation += 0.2 * (signal - self.belief_investigation)

    def consider_exit(self) -> None:
        """Geoblock the UK after ``exit_patience_months`` of expected losses."""
        out = self.outlook(np.array([self.effort]))
        profit = float(out.profit()[0])
        self.months_in_loss = self.months_in_loss + 1 if profit < 0 else 0
        if self.months_in_loss >= self.cfg.exit_patience_months:
            self.model.platform_exit(self, reason="compliance costs exceed the UK market's value")


class RollingWindows:
    """Daily observations of several platforms, kept for the last ``days`` days.

    One (platforms, days, keys) ring for all of them, so a day is added to every window
    with one compiled call; the windows are summed again, all at once, when a sum is
    next asked for (monthly decisions read them; most days nothing does). The sums are
    those of adding the days in turn, oldest first, as Python's ``sum`` did when the
    windows were lists of Python numbers: the views (numpy floats) plainly, the other
    observations (Python floats and integers) with CPython's compensation
    (``sim.kernels.accounts.window_sums``).
    """

    def __init__(self, n: int, days: int, keys: tuple[str, ...]) -> None:
        self.days = days
        self.keys = keys
        self.values = np.zeros((n, days, len(keys)))
        self._totals = np.zeros((n, len(keys)))
        self._summed = True  # _totals are the sums of the windows as they are
        self._state = np.zeros(2, np.int64)  # (row the next day goes to, days held)
        self._compensated = np.array([key not in NUMPY_FLOAT_KEYS for key in keys])

    @property
    def held(self) -> int:
        """Days held (at most ``days``)."""
        return int(self._state[1])

    def push(self, today: np.ndarray) -> None:
        """Add today's observations, ``today`` (platforms, keys) in ``keys`` order."""
        accounts.window_push(self.values, today, self._state)
        self._summed = False

    def sums(self) -> np.ndarray:
        """Each window's sum of each observation, (platforms, keys) (do not modify)."""
        if not self._summed:
            accounts.window_sums(self.values, self._state, self._compensated, self._totals)
            self._summed = True
        return self._totals

    def window(self, j: int) -> RollingWindow:
        """The window of platform ``j``."""
        return RollingWindow(self, j)


class RollingWindow:
    """One platform's daily observations over the last ``days`` days (sums and rates).

    A view of its row of :class:`RollingWindows`, which the model pushes once a day.
    """

    def __init__(self, windows: RollingWindows, j: int) -> None:
        self.days = windows.days
        self.keys = windows.keys
        self._windows = windows
        self._j = j
        self._index = {key: q for q, key in enumerate(windows.keys)}

    def total(self, key: str) -> float:
        """Sum over the window."""
        return float(self._windows.sums()[self._j, self._index[key]])

    def rate(self, key: str) -> float:
        """Mean per day over the window."""
        return self.total(key) / max(1, self._windows.held)

    def ratio(self, num: str, den: str) -> float:
        """Ratio of window sums (0 if the denominator is 0)."""
        d = self.total(den)
        return self.total(num) / d if d > 0 else 0.0


class Regulator(Agent):
    """Ofcom: monitors noisy signals, investigates within a budget, decides and sanctions.

    Monthly it scores platforms on noisy risk signals and opens investigations while it
    has free slots (``regulator.investigation_slots`` x the scenario's capacity
    multiplier). Evidence gathering takes ~``investigation_days_mean`` days and ends in
    a judgement made under uncertainty; a likely breach brings a provisional notice of
    contravention (OSA s.130) and ``representation_days`` later a confirmation decision
    (s.132). A provider that has come into compliance by then is left with no further
    action (Ofcom's "bias against intervention"); one still in breach gets a fine under
    the statutory cap, a deadline to comply, daily penalties while non-compliant (counted
    with the fine against the cap, Sch. 13 para 4(7)), business disruption orders if
    fines go unpaid, and, where the scenario provides it, prosecution of senior managers.
    """

    def __init__(self, model: HarmModel) -> None:
        super().__init__(model)
        from sim.behaviours import create

        cfg = model.cfg.regulator
        self.cfg = cfg
        self.targeting = create(
            "targeting", cfg.targeting, "regulator.targeting", cfg.targeting_params
        )
        self.open: list[Investigation] = []
        self.decisions: list[dict[str, Any]] = []
        self.cost_today = 0.0
        self.fines_today = 0.0
        self.investigations_opened = 0
        self.investigations_closed = 0

    @property
    def slots(self) -> int:
        """Concurrent investigations the budget allows under the scenario."""
        return round(
            self.cfg.investigation_slots * self.model.cfg.scenario.regulator_capacity_multiplier
        )

    # --- the rules platforms anticipate -----------------------------------------------
    def breach_probability(
        self, platform: Platform, effort: Any, recall: Any, meets_duty: Any
    ) -> Any:
        """Probability an investigation finds a breach at an effort, recall and duty choice.

        Ofcom's judgement is modelled as a noisy comparison of proactive detection with
        the codes' expectation (``required_recall``) and, under a takedown duty, of review
        time with the deadline (assumption: probit with ``decision_noise``).
        """
        required = self.required_recall()
        p_recall = ndtr((required - np.asarray(recall)) / self.cfg.decision_noise)
        duty = self.model.takedown_duty_hours
        if duty <= 0:
            return p_recall
        # Share of reviews slower than the deadline at this effort's pace (log-normal times);
        # a breach is likely once more than 10% are late (tolerance: assumption).
        # review_hours_base=0 means instant reviews, never late (the limit as hours -> 0).
        hours = platform.cfg.review_hours_base * (1.5 - np.asarray(effort, dtype=float))
        instant = hours <= 0.0
        z = np.log(duty / np.where(instant, 1.0, hours)) / max(
            platform.cfg.review_delay_sigma, 1e-9
        )
        late = np.where(instant, 0.0, 1.0 - ndtr(z))
        p_duty = np.where(meets_duty, 0.02, ndtr((late - 0.1) / 0.05))
        return 1.0 - (1.0 - p_recall) * (1.0 - p_duty)

    def required_recall(self) -> float:
        """Proactive detection the codes expect (raised a quarter for a priority deepfake
        offence: hash matching is expected; assumption)."""
        required = self.cfg.required_recall
        if self.model.deepfake_priority_active:
            required = required * 1.25
        return required

    def compliant_at(self, effort: Any, recall: Any, meets_duty: Any) -> Any:
        """1.0 where a provider meets what a provisional notice requires (the codes'
        ``required_recall``, the floor a confirmation decision sets, and under a takedown
        duty the deadline), else 0.0; arrays like ``recall``."""
        ok = np.asarray(recall) >= self.cfg.required_recall - 1e-9
        if self.model.takedown_duty_hours > 0:
            ok = ok & np.asarray(meets_duty, dtype=bool)
        return ok.astype(float)

    def complies(self, platform: Platform) -> bool:
        """Whether a provider meets what a provisional notice requires of it now."""
        recall, _ = platform.operating_point()
        return bool(self.compliant_at(platform.effort, recall, platform.meets_duty) > 0)

    def penalty(self, platform: Platform, recall: Any) -> Any:
        """Single penalty for a breach, GBP: a share of the cap rising with the shortfall."""
        required = self.cfg.required_recall
        gap = np.maximum(0.0, required - np.asarray(recall)) / max(required, 1e-9)
        share = self.cfg.fine_severity * self.model.cfg.scenario.fine_severity_multiplier
        cap = platform.cap_gbp
        return np.minimum(cap, cap * share * (1.0 + 4.0 * gap))

    def expected_penalty(self, platform: Platform, recall: Any) -> Any:
        """Fine plus the daily penalties a platform expects if it is found in breach, GBP."""
        single = self.penalty(platform, recall)
        daily = (
            single * self.cfg.daily_penalty_share_of_fine * 0.5 * self.cfg.daily_penalty_max_days
        )
        return np.minimum(platform.cap_gbp, single + daily)

    # --- the daily and monthly process ------------------------------------------------
    def step(self) -> None:
        """One day of regulatory activity (nothing before the regime starts)."""
        m = self.model
        self.fines_today = 0.0
        self.cost_today = 0.0
        if not m.regulation_active:
            return
        scen = m.cfg.scenario
        self.cost_today = self.cfg.budget_gbp_per_year * scen.regulator_capacity_multiplier / 365.0
        self.close_due_investigations()
        self.enforce_decisions()
        if (m.day - m.cfg.policy_start_day) % self.cfg.review_interval_days == 0:
            self.open_investigations()

    def signals(self) -> dict[Platform, float]:
        """Risk score per platform: UK reach x noisy prevalence estimate x complaints."""
        m = self.model
        scores = {}
        for p in m.platform_list:
            if p.exited or any(inv.platform is p for inv in self.open):
                continue
            true_prev = p.window.ratio("harmful_views", "total_views")
            survey = true_prev * np.exp(m.streams["regulator"].normal(0, self.cfg.monitoring_noise))
            transparency = true_prev * (1.0 - 0.5 * p.cfg.stance)  # self-reports understate
            complaints = p.window.total("unresolved_reports") * p.scale
            scores[p] = (
                p.cfg.uk_users
                * p.active_share()
                * (0.5 * survey + 0.5 * transparency)
                * (1.0 + np.log1p(complaints) / 10.0)
            )
        return scores

    def open_investigations(self) -> None:
        """Use free slots on the platforms the targeting rule picks."""
        free = self.slots - len(self.open)
        if free <= 0:
            return
        scores = self.signals()
        chosen = self.targeting.select(scores, free, self.model.streams["regulator"])
        for p in chosen[:free]:
            days = max(
                1,
                round(
                    self.model.streams["regulator"].gamma(
                        4.0, self.cfg.investigation_days_mean / 4.0
                    )
                ),
            )
            inv = Investigation(
                platform=p, opened_day=self.model.day, close_day=self.model.day + days
            )
            self.open.append(inv)
            p.investigated_days.append(self.model.day)
            self.investigations_opened += 1
            self.model.log_event(
                "investigation_opened", platform=p.name, detail=f"due day {inv.close_day}"
            )

    def close_due_investigations(self) -> None:
        """Take the provisional and confirmation decisions that are due.

        At the end of evidence gathering Ofcom judges the provider's detection (and duty
        compliance) with noise; no breach closes the case. A likely breach brings a
        provisional notice of contravention (OSA s.130) naming what is required, and
        ``representation_days`` for representations. At the confirmation decision
        (s.132) a provider that has come into compliance is left with no further action
        and keeps the measure under monitoring (Ofcom's Oct 2025 update: file-sharing
        services that deployed hash matching, no further action); a provider still in
        breach is fined (``penalty``) and bound by the decision.
        """
        m = self.model
        rng = m.streams["regulator"]
        due = [inv for inv in self.open if inv.close_day <= m.day]
        self.open = [inv for inv in self.open if inv.close_day > m.day]
        for inv in due:
            p = inv.platform
            if p.exited:
                self._closed(p, "platform left the UK")
                continue
            recall, _ = p.operating_point()
            if inv.stage == "evidence":
                p_breach = float(self.breach_probability(p, p.effort, recall, p.meets_duty))
                if rng.random() >= p_breach:
                    self._closed(p, "no breach found")
                    continue
                inv.stage = "provisional"
                inv.notice_day = m.day
                inv.close_day = m.day + self.cfg.representation_days
                self.open.append(inv)
                p.decision_day = inv.close_day  # the notice names the steps required (s.130(6))
                m.log_event(
                    "provisional_notice",
                    platform=p.name,
                    detail=f"recall {recall:.3f}; decision due day {inv.close_day}",
                )
                continue
            p.decision_day = -1
            if self.complies(p):
                # The provider keeps the measure: Ofcom monitors and may reopen (Oct 2025).
                p.required_recall_floor = max(p.required_recall_floor, self.cfg.required_recall)
                p.duty_bound = p.duty_bound or m.takedown_duty_hours > 0
                self._closed(p, "complies by the confirmation decision: no further action")
                continue
            cap = p.cap_gbp
            fine = float(self.penalty(p, recall))
            decision = {
                "platform": p,
                "day": m.day,
                "cap": cap,
                "used": fine,
                "daily": fine * self.cfg.daily_penalty_share_of_fine,
                "daily_days": 0,
                "deadline": m.day + self.cfg.compliance_grace_days,
                "required_recall": self.cfg.required_recall,
                "manager_charged": False,
                # Current law reaches managers only for children's-safety (and information)
                # failures: treat the breach as one with the share of victims who are children.
                "child_safety": bool(rng.random() < m.child_victim_share()),
            }
            self.decisions.append(decision)
            p.breach_found_day = m.day
            p.required_recall_floor = max(p.required_recall_floor, self.cfg.required_recall)
            p.duty_bound = p.duty_bound or m.takedown_duty_hours > 0
            self.impose(p, fine, cap, "fine", "confirmation decision: illegal-content duties")
            self._closed(p, "confirmation decision with a penalty")

    def _closed(self, p: Platform, detail: str) -> None:
        """Count and log the end of an investigation."""
        self.investigations_closed += 1
        self.model.log_event("investigation_closed", platform=p.name, detail=detail)

    def impose(self, p: Platform, amount: float, cap: float, kind: str, detail: str) -> None:
        """Record a penalty and its payment (or refusal to pay)."""
        m = self.model
        p.fines_imposed += amount
        self.fines_today += amount
        m.log_event(kind, platform=p.name, amount_gbp=amount, cap_gbp=cap, detail=detail)
        if p.cfg.pays_fines:
            p.fines_paid += amount
            p.fines_paid_today += amount
            m.log_event("fine_paid", platform=p.name, amount_gbp=amount, cap_gbp=cap)
        elif p.unpaid_since < 0:
            p.unpaid_since = m.day
            m.log_event("fine_unpaid", platform=p.name, amount_gbp=amount, cap_gbp=cap)

    def enforce_decisions(self) -> None:
        """Daily penalties after the deadline, manager prosecutions, disruption orders."""
        m = self.model
        scen = m.cfg.scenario
        for d in self.decisions:
            p: Platform = d["platform"]
            if p.exited:
                continue
            recall, _ = p.operating_point()
            duty_ok = m.takedown_duty_hours <= 0 or p.meets_duty
            compliant = recall >= d["required_recall"] - 1e-9 and duty_ok
            if m.day >= d["deadline"] and not compliant:
                if d["daily_days"] < self.cfg.daily_penalty_max_days and d["used"] < d["cap"]:
                    amount = min(d["daily"], d["cap"] - d["used"])
                    d["used"] += amount
                    d["daily_days"] += 1
                    self.impose(p, amount, d["cap"], "daily_penalty", "continuing non-compliance")
                covered = scen.senior_manager_liability == "illegal_content" or (
                    scen.senior_manager_liability == "information_and_child_safety"
                    and d["child_safety"]
                )
                if covered and not d["manager_charged"]:
                    d["manager_charged"] = True
                    p.manager_prosecutions += 1
                    m.log_event(
                        "senior_manager_prosecution",
                        platform=p.name,
                        detail=f"liability: {scen.senior_manager_liability}",
                    )
        for p in m.platform_list:
            if p.exited or p.unpaid_since < 0:
                continue
            waited = m.day - p.unpaid_since
            if not p.restricted and waited >= self.cfg.disruption_after_unpaid_days:
                p.restricted = True
                m.log_event(
                    "service_restriction_order",
                    platform=p.name,
                    detail="penalty unpaid (OSA s.144)",
                )
            elif p.restricted and waited >= 2 * self.cfg.disruption_after_unpaid_days:
                m.log_event("access_restriction_order", platform=p.name, detail="OSA s.146")
                m.platform_exit(p, reason="access restriction order")


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


# (abuser indices, offences) of no case: shared by the days without any (read-only).
_NO_CASES = (_read_only(np.zeros(0, np.int64)), _read_only(np.zeros(0, np.int8)))


class CriminalJustice(Agent):
    """Police and courts: reports -> (capacity) -> charge -> conviction, with delays.

    Cases are arrays: the abuser (index into ``model.abusers``), the offence (index into
    ``sim.population.OFFENCES``), the stage (0 awaiting a charging decision, 1 awaiting
    trial) and the day the next decision is due. Attrition is heavy, as in the Times FOI
    figures (~12k arrests, ~1.1k convictions a year; domain.md 2.7).
    """

    def __init__(self, model: HarmModel) -> None:
        super().__init__(model)
        from sim.behaviours import create

        cfg = model.cfg.justice
        self.cfg = cfg
        self.rule = create("justice", cfg.rule, "justice.rule", cfg.rule_params)
        self.abuser = np.zeros(0, np.int64)
        self.offence = np.zeros(0, np.int8)
        self.stage = np.zeros(0, np.int8)
        self.due = np.zeros(0, np.int64)
        self._intake_abuser: list[np.ndarray] = []
        self._intake_offence: list[np.ndarray] = []
        self.reports_today = 0
        self.charged_today: tuple[np.ndarray, np.ndarray] = (
            np.zeros(0, np.int64),
            np.zeros(0, np.int8),
        )
        self.convicted_today: tuple[np.ndarray, np.ndarray] = (
            np.zeros(0, np.int64),
            np.zeros(0, np.int8),
        )

    def report(self, abuser_idx: np.ndarray, offence: np.ndarray) -> None:
        """Victims' reports to the police today."""
        if len(abuser_idx):
            self._intake_abuser.append(np.asarray(abuser_idx, np.int64))
            self._intake_offence.append(np.asarray(offence, np.int8))

    def capacity_today(self) -> int:
        """Cases the police can take on today (stochastic rounding keeps the mean exact)."""
        rng = self.model.streams["justice"]
        mean = self.cfg.capacity_cases_per_100k_users_per_day * self.model.users.n / 1e5
        return math.floor(mean + rng.random())

    def step(self) -> None:
        """Triage today's reports, then make the charging and trial decisions that are due."""
        m = self.model
        rng = m.streams["justice"]
        day = m.day
        if self._intake_abuser:
            ab = np.concatenate(self._intake_abuser)
            off = np.concatenate(self._intake_offence)
            self._intake_abuser, self._intake_offence = [], []
        else:
            ab, off = _NO_CASES
        self.reports_today = len(ab)
        taken = self.rule.triage(off, self.capacity_today(), rng)
        if len(taken):
            ab, off = ab[taken], off[taken]
            due = day + 1 + rng.exponential(self.cfg.days_to_charge_mean, len(ab)).astype(np.int64)
            self.abuser = np.concatenate([self.abuser, ab])
            self.offence = np.concatenate([self.offence, off])
            self.stage = np.concatenate([self.stage, np.zeros(len(ab), np.int8)])
            self.due = np.concatenate([self.due, due])

        # No decision due today (no case open, or none due): nothing is drawn then.
        if len(self.due) == 0 or not (now := self.due <= day).any():
            self.charged_today = self.convicted_today = _NO_CASES
            return
        charge_now = now & (self.stage == 0)
        trial_now = now & (self.stage == 1)
        # Charging decisions.
        idx = np.flatnonzero(charge_now)
        p_charge = self.rule.charge_probability(self.offence[idx], self.cfg, m.cfg.scenario)
        charged = rng.random(len(idx)) < p_charge
        ch = idx[charged]
        self.stage[ch] = 1
        self.due[ch] = (
            day + 1 + rng.exponential(self.cfg.days_to_conviction_mean, len(ch)).astype(np.int64)
        )
        self.charged_today = (self.abuser[ch], self.offence[ch])
        # Trials.
        tr = np.flatnonzero(trial_now)
        convicted = tr[rng.random(len(tr)) < self.cfg.conviction_prob]
        self.convicted_today = (self.abuser[convicted], self.offence[convicted])
        finished = np.zeros(len(self.abuser), bool)
        finished[idx[~charged]] = True
        finished[tr] = True
        keep = ~finished
        self.abuser, self.offence = self.abuser[keep], self.offence[keep]
        self.stage, self.due = self.stage[keep], self.due[keep]
        for a, o in zip(*self.charged_today, strict=True):
            m.log_event("charge", offence=OFFENCE_NAMES[o], detail=f"user {m.abusers.ids[a]}")
        for a, o in zip(*self.convicted_today, strict=True):
            m.log_event("conviction", offence=OFFENCE_NAMES[o], detail=f"user {m.abusers.ids[a]}")
