"""A per-agent Mesa 3.5 implementation of the daily core: the yardstick for the engine's speed.

Users are Mesa agents fixed to the nodes of a ``mesa.discrete_space.Network`` and are
stepped by an AgentSet once a day, as in Mesa's ``virus_on_network`` example; platforms
are plain Mesa agents with a review queue. The processes are those of
``benchmarks/core.py`` (benign posting, abusive posting, spread by re-sharing, detection
at upload, reports and takedown after a review delay), with the engine's rules and the
engine's inputs (:class:`benchmarks.core.CoreInputs`), so the two programs compute the
same thing and their speeds can be compared.

Where a per-agent program naturally differs from the array engine (all differences keep
the expected values equal):

* Views are individual: each contact on the platform sees a share today with
  probability ``view_prob`` x the attention that falls in today's window, at an hour
  drawn from the attention curve. The engine adds the expected number of views.
* Each view leads to a bystander report with ``report_prob_per_view`` and a re-share
  with ``reshare_prob_per_view`` x the item's appeal (Bernoulli per view; the engine
  draws Poisson counts per share), at the hour of the view (the engine draws a uniform
  hour in the day's window). Appeal is drawn per item from the engine's distribution.
* As in the engine, a re-share is made by a contact of the sharer drawn in proportion
  to its attention (``sim.content.reshare_attention``) and is lost if that contact is
  not on the platform or has already shared the item; a share made during today's
  spread draws views from its hour to the end of the day at once, and leads to reports
  and re-shares from the next day.
* Targets are a random contact (probability ``local_target_prob``) or a random user;
  the engine also weights them by gender and visibility. In the core no indicator
  depends on who the target is (victims' responses are switched off).
* Unshared deepfakes are not simulated: in the core they only harm victims, whom the
  compared indicators do not count.

Run ``python -m benchmarks.mesa_baseline --users 10000 --days 60`` to time both programs
on the same inputs and print the speed ratio.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from mesa import Agent, DataCollector, Model
from mesa.agent import AgentSet
from mesa.discrete_space import Cell, FixedAgent, Network

from benchmarks.core import (
    HOURS,
    CoreIndicators,
    CoreInputs,
    PlatformInputs,
    core_config,
    engine_indicators,
    indicators,
)
from sim.content import (
    DEEPFAKE,
    EXPIRED,
    HARASSMENT,
    LIVE,
    REMOVED,
    draw_appeal,
    reshare_attention,
)
from sim.model import HarmModel

# A share stops drawing views after this many attention half-lives (as in the engine,
# which keeps 2**-10 of the attention unspent).
SHARE_HALFLIVES = 10


# --- items ---------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class HarmfulItem:
    """One harmful item (times in hours since the start of the run)."""

    creator: User
    target: User
    platform: Platform
    kind: int
    created_h: float
    appeal: float = 1.0  # re-shareability in [0, 1]
    removed_h: float = math.inf
    review_due_h: float = math.inf  # inf: no review pending
    proactive: bool = False  # found by automated detection at upload
    state: int = LIVE
    shares: list[Share] = field(default_factory=list)
    sharers: set[User] = field(default_factory=set)  # a user shares an item at most once


@dataclass(eq=False, slots=True)
class Share:
    """A post or re-post of an item: it exposes the sharer's contacts on the item's platform."""

    item: HarmfulItem
    sharer: User
    t_h: float
    view_hours: list[float] = field(default_factory=list)  # hours of today's views


# --- agents --------------------------------------------------------------------------------


class User(FixedAgent):
    """A user on a node of the social network: posts lawful content, sees and passes on items."""

    def __init__(
        self, model: CoreBaseline, cell: Cell, activity: float, platforms: tuple[Platform, ...]
    ) -> None:
        super().__init__(model)
        self.cell = cell
        self.activity = activity  # benign posts per day
        self.platforms = platforms  # platforms the user is on
        self.audience: dict[Platform, int] = {}  # contacts on each of those platforms
        self.attention = 1.0  # chance of noticing a given contact's post (set by the model)

    def count_audience(self) -> None:
        """How many contacts are on each of the user's platforms (memberships are fixed)."""
        contacts = list(self.cell.neighborhood.agents)
        self.audience = {p: sum(p in c.platforms for c in contacts) for p in self.platforms}

    def attentive_contact(self, max_rounds: int = 100) -> User:
        """A contact drawn with probability proportional to its attention (as the engine)."""
        contacts = self.cell.neighborhood
        for _ in range(max_rounds):
            contact = contacts.select_random_agent()
            if self.random.random() < contact.attention:
                break
        return contact

    def step(self) -> None:
        """A day of lawful posting."""
        self.post_benign()

    def post_benign(self) -> None:
        """Benign posts and the views they draw, aggregated per user (as in the engine)."""
        view_prob = self.model.view_prob
        for p in self.platforms:
            p.benign_posts += self.activity
            p.benign_views += self.activity * self.audience[p] * view_prob

    def show(self, share: Share, start_h: float, end_h: float) -> None:
        """Today's views of one of this user's shares by contacts on the item's platform.

        Each view may lead to a bystander report and to a re-share by a random contact.
        """
        model = self.model
        item = share.item
        platform = item.platform
        share.view_hours = []
        t0 = max(start_h, share.t_h)
        t1 = min(end_h, item.removed_h)
        if t1 <= t0:
            return
        tau = model.attention_tau_h
        e0 = math.exp(-(t0 - share.t_h) / tau)
        e1 = math.exp(-(t1 - share.t_h) / tau)
        p_view = model.view_prob * (e0 - e1)
        rand = self.random.random
        for contact in self.cell.neighborhood.agents:
            if platform not in contact.platforms or rand() >= p_view:
                continue
            # The hour of the view follows the attention curve inside today's window.
            hour = share.t_h - tau * math.log(e0 - rand() * (e0 - e1))
            share.view_hours.append(hour)
            if rand() < model.report_prob_per_view:
                platform.receive_report(item, hour)
            if rand() < model.reshare_prob_per_view * item.appeal:
                # The engine's rule: a contact of the sharer, drawn in proportion to its
                # attention, passes it on if on the platform and not a sharer already.
                resharer = self.attentive_contact()
                if platform in resharer.platforms and resharer not in item.sharers:
                    model.reshare(item, resharer, hour)
        platform.harmful_views += len(share.view_hours)

    def show_rest_of_day(self, share: Share, end_h: float) -> None:
        """Views of a new re-share from its hour to ``end_h`` (no reports or re-shares yet)."""
        model = self.model
        item = share.item
        platform = item.platform
        t1 = min(end_h, item.removed_h)
        if t1 <= share.t_h:
            return
        tau = model.attention_tau_h
        spent = 1.0 - math.exp(-(t1 - share.t_h) / tau)  # attention falling in the window
        p_view = model.view_prob * spent
        rand = self.random.random
        for contact in self.cell.neighborhood.agents:
            if platform in contact.platforms and rand() < p_view:
                share.view_hours.append(share.t_h - tau * math.log(1.0 - rand() * spent))
        platform.harmful_views += len(share.view_hours)


class Abuser(User):
    """A user who also posts harmful items (harassment and deepfakes) about a target."""

    def __init__(
        self,
        model: CoreBaseline,
        cell: Cell,
        activity: float,
        platforms: tuple[Platform, ...],
        propensity: float,
    ) -> None:
        super().__init__(model, cell, activity, platforms)
        self.propensity = propensity  # abusive acts per day

    def step(self) -> None:
        """A day of lawful posting and abuse."""
        self.post_benign()
        self.post_harmful_items()

    def post_harmful_items(self) -> None:
        """Acts become items on one of the abuser's platforms; screened at upload; targets report."""
        model = self.model
        attempts = int(self.rng.poisson(self.propensity))
        if attempts == 0 or not self.platforms:
            return
        deepfakes = self.random.binomialvariate(attempts, model.deepfake_share)
        shared = self.random.binomialvariate(deepfakes, model.deepfake_share_prob)
        kinds = [HARASSMENT] * (attempts - deepfakes) + [DEEPFAKE] * shared
        for kind in kinds:
            platform = self.random.choice(self.platforms)
            hour = (model.day + self.random.random()) * HOURS
            appeal = float(draw_appeal(self.rng, 1, model.appeal_exponent)[0])
            item = HarmfulItem(self, self.choose_target(), platform, kind, hour, appeal)
            model.post(item)
            platform.screen(item)
            if not item.proactive and self.random.random() < model.report_prob_target:
                delay = self.random.expovariate(1.0) * model.target_report_delay_h
                platform.receive_report(item, hour + delay)

    def choose_target(self) -> User:
        """A contact with probability ``local_target_prob``, else anyone (never oneself)."""
        model = self.model
        target: User | None = None
        if self.random.random() < model.local_target_prob:
            target = self.cell.neighborhood.select_random_agent(default=None)
        while target is None or target is self:
            target = self.random.choice(model.user_list)
        return target


class Platform(Agent):
    """A platform with fixed moderation: detection at upload and a review queue for reports."""

    def __init__(self, model: CoreBaseline, params: PlatformInputs) -> None:
        super().__init__(model)
        self.name = params.name
        self.params = params
        self.inbox: list[tuple[HarmfulItem, float]] = []  # (item, hour reported)
        self.pending: list[HarmfulItem] = []  # items with a review due
        self.start_day()

    def start_day(self) -> None:
        """Reset today's tallies."""
        self.benign_posts = 0.0
        self.benign_views = 0.0
        self.harmful_views = 0

    def screen(self, item: HarmfulItem) -> None:
        """Automated detection at upload; a detected item comes down after a short delay."""
        if self.random.random() < self.params.recall[item.kind]:
            item.proactive = True
            delay = self.random.expovariate(1.0) * self.params.auto_delay_hours
            item.review_due_h = item.created_h + delay
            self.pending.append(item)

    def receive_report(self, item: HarmfulItem, hour: float) -> None:
        """A user reports an item (it joins the queue at the next triage)."""
        self.inbox.append((item, hour))

    def triage(self) -> None:
        """Reports received since the last triage get a review time.

        Review times are log-normal around the platform's pace, plus a backlog when the
        batch exceeds the day's review capacity (the engine's ``_queue_reviews``).
        """
        fresh: dict[HarmfulItem, float] = {}
        for item, hour in self.inbox:
            if item not in fresh and item.review_due_h == math.inf and item.state == LIVE:
                fresh[item] = hour
        self.inbox = []
        if not fresh:
            return
        p = self.params
        load = len(fresh) / max(p.review_capacity_per_day, 1e-9)
        backlog_h = HOURS * max(0.0, load - 1.0)
        for item, hour in fresh.items():
            delay = p.review_hours * self.random.lognormvariate(0.0, p.review_delay_sigma)
            item.review_due_h = hour + delay + backlog_h
            self.pending.append(item)

    def review(self) -> None:
        """Reviews falling due today: detected items come down; reported ones if judged harmful."""
        end_h = (self.model.day + 1) * HOURS
        due = [it for it in self.pending if it.review_due_h < end_h]
        self.pending = [it for it in self.pending if it.review_due_h >= end_h]
        for item in due:
            if item.state != LIVE:
                continue
            if item.proactive or self.random.random() < self.params.review_accuracy:
                self.model.take_down(item, item.review_due_h)
            else:
                item.review_due_h = math.inf  # dismissed: a later report can queue it again


# --- model ---------------------------------------------------------------------------------


def harmful_views(model: CoreBaseline) -> float:
    """Harmful views today."""
    return float(sum(p.harmful_views for p in model.platform_list))


def total_views(model: CoreBaseline) -> float:
    """All views today (benign + harmful)."""
    return float(sum(p.benign_views for p in model.platform_list)) + harmful_views(model)


def live_items(model: CoreBaseline) -> int:
    """Harmful items still drawing views."""
    return len(model.live)


class CoreBaseline(Model):
    """The daily core with one Mesa agent per user.

    Args:
        inputs: the engine's inputs (network, memberships, abusers, parameters); None
            builds a small default (1,000 users) so the model runs with no arguments.
        rng: seed or generator for Mesa's ``random`` and ``rng``.
    """

    def __init__(
        self, inputs: CoreInputs | None = None, *, rng: int | np.random.Generator | None = None
    ) -> None:
        super().__init__(rng=rng)
        if inputs is None:
            inputs = CoreInputs.from_engine(HarmModel(core_config(1000, 10)))
        self.inputs = inputs
        self.day = -1
        self.view_prob = inputs.view_prob
        self.attention_tau_h = inputs.attention_halflife_hours / math.log(2.0)
        self.reshare_prob_per_view = inputs.reshare_prob_per_view
        self.appeal_exponent = inputs.appeal_exponent
        self.report_prob_per_view = inputs.report_prob_per_view
        self.report_prob_target = inputs.report_prob_target
        self.target_report_delay_h = inputs.target_report_delay_hours
        self.deepfake_share = inputs.deepfake_share
        self.deepfake_share_prob = inputs.deepfake_share_prob
        self.local_target_prob = inputs.local_target_prob

        # The engine's network, as a networkx graph on Mesa's Network space.
        n = inputs.n_users
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        upper = inputs.adj.tocoo()
        keep = upper.row < upper.col
        graph.add_edges_from(zip(upper.row[keep].tolist(), upper.col[keep].tolist(), strict=True))
        self.grid = Network(graph, layout=None, random=self.random)

        self.platform_list = [Platform(self, p) for p in inputs.platforms]
        self.platforms = AgentSet(self.platform_list, random=self.random)
        on = [tuple(self.platform_list[j] for j in np.flatnonzero(row)) for row in inputs.member]
        is_abuser = np.zeros(n, bool)
        is_abuser[inputs.abuser_ids] = True
        ordinary = np.flatnonzero(~is_abuser)
        User.create_agents(
            self,
            len(ordinary),
            cell=[self.grid[int(i)] for i in ordinary],
            activity=inputs.activity[ordinary].tolist(),
            platforms=[on[i] for i in ordinary],
        )
        Abuser.create_agents(
            self,
            len(inputs.abuser_ids),
            cell=[self.grid[int(i)] for i in inputs.abuser_ids],
            activity=inputs.activity[inputs.abuser_ids].tolist(),
            platforms=[on[i] for i in inputs.abuser_ids],
            propensity=inputs.propensity.tolist(),
        )
        self.user_list: list[User] = [a for a in self.agents if isinstance(a, User)]
        self.users = AgentSet(self.user_list, random=self.random)
        self.users.do("count_audience")
        attention = reshare_attention(np.diff(inputs.adj.indptr))
        for user in self.user_list:
            user.attention = float(attention[user.cell.coordinate])

        self.items: list[HarmfulItem] = []
        self.live: list[HarmfulItem] = []
        self.shares: list[Share] = []  # shares drawing views
        self.reshares: list[Share] = []  # made during today's spread; draw views from tomorrow
        self.datacollector = DataCollector(
            model_reporters={
                "harmful_views": harmful_views,
                "total_views": total_views,
                "live_harmful_items": live_items,
            }
        )

    # ------------------------------------------------------------------ the daily step
    def step(self) -> None:
        """One day, in the engine's order."""
        self.day += 1
        self.platforms.do("start_day")
        self.users.shuffle_do("step")
        self.platforms.do("triage")
        self.spread_harmful_items()
        self.platforms.do("triage")
        self.platforms.do("review")
        self.expire_items()
        self.datacollector.collect(self)

    def spread_harmful_items(self) -> None:
        """Each sharer shows its shares to its contacts; shares whose attention is spent stop."""
        start_h, end_h = self.day * HOURS, (self.day + 1) * HOURS
        horizon = SHARE_HALFLIVES * self.inputs.attention_halflife_hours
        self.shares = [s for s in self.shares if s.item.state == LIVE and s.t_h + horizon > start_h]
        for share in self.shares:
            share.sharer.show(share, start_h, end_h)
        self.shares.extend(self.reshares)
        self.reshares = []

    def expire_items(self) -> None:
        """Items past their lifetime stop drawing views."""
        end_h = (self.day + 1) * HOURS
        life_h = self.inputs.item_lifetime_days * HOURS
        for item in self.live:
            if item.state == LIVE and item.created_h + life_h <= end_h:
                item.state = EXPIRED
        self.live = [it for it in self.live if it.state == LIVE]

    # ------------------------------------------------------------------ helpers
    def post(self, item: HarmfulItem) -> None:
        """A new item: its first share (by the creator) draws views from today."""
        self.items.append(item)
        self.live.append(item)
        share = Share(item, item.creator, item.created_h)
        item.shares.append(share)
        item.sharers.add(item.creator)
        self.shares.append(share)

    def reshare(self, item: HarmfulItem, sharer: User, hour: float) -> None:
        """A re-share made during today's spread.

        As in the engine, it draws views from its hour to the end of the day at once; those
        views lead to reports and re-shares only from the next day, when it joins the
        shares that :meth:`spread_harmful_items` shows.
        """
        share = Share(item, sharer, hour)
        item.shares.append(share)
        item.sharers.add(sharer)
        self.reshares.append(share)
        sharer.show_rest_of_day(share, (self.day + 1) * HOURS)

    def take_down(self, item: HarmfulItem, hour: float) -> None:
        """Remove an item and un-count today's views after the removal hour."""
        item.removed_h = hour
        item.state = REMOVED
        late = sum(h > hour for s in item.shares for h in s.view_hours)
        item.platform.harmful_views -= late

    # ------------------------------------------------------------------ outputs
    def indicators(self) -> CoreIndicators:
        """The indicators the engine also computes (benchmarks/core.py)."""
        data = self.datacollector.get_model_vars_dataframe()
        created = np.array([it.created_h for it in self.items])
        removed = np.array([it.removed_h if it.state == REMOVED else math.inf for it in self.items])
        return indicators(
            len(data),
            created,
            removed,
            float(data["harmful_views"].sum()),
            float(data["total_views"].sum()),
        )


# --- the speed comparison ------------------------------------------------------------------


def compare(
    n_users: int,
    days: int,
    seed: int = 0,
    engine_repeats: int = 5,
    baseline_repeats: int | None = None,
) -> dict:
    """Run the engine and the baseline on identical inputs; time both and compare outputs.

    Each program is timed on fresh models ``*_repeats`` times and the fastest run is
    kept (as Mesa's own benchmarks do): on a shared machine other work only ever adds
    time, so the minimum is the least noisy estimate of what the code costs.

    Args:
        n_users: simulated users.
        days: days each program simulates.
        seed: replicate index (the engine's inputs) and the baseline's Mesa seed.
        engine_repeats: timed engine runs (one run at 10,000 users lasts ~0.1 s).
        baseline_repeats: timed baseline runs; default 3 up to 20,000 users, else 1.

    Returns:
        Seconds per simulated day of each program, every repeat's seconds, the
        baseline's set-up seconds (graph, Mesa space and agents), the ratio, and the
        core indicators of each program's first run.
    """
    if baseline_repeats is None:
        baseline_repeats = 3 if n_users <= 20_000 else 1
    with tempfile.TemporaryDirectory() as cache:
        cfg = core_config(n_users, days, seed, f"network_cache_dir={cache}")
        engine = HarmModel(cfg)
        inputs = CoreInputs.from_engine(engine)

        baseline_times, setup_times = [], []
        baseline = None
        for _ in range(max(1, baseline_repeats)):
            t0 = time.perf_counter()
            model = CoreBaseline(inputs, rng=seed)
            setup_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            model.run_for(days)
            baseline_times.append(time.perf_counter() - t0)
            baseline = baseline or model

        engine_times = []
        for r in range(max(1, engine_repeats)):
            run = engine if r == 0 else HarmModel(cfg)  # network from the cache
            t0 = time.perf_counter()
            run.run_for(days)
            engine_times.append(time.perf_counter() - t0)
    assert baseline is not None
    engine_s, baseline_s = min(engine_times), min(baseline_times)
    return {
        "users": n_users,
        "edges": int(inputs.adj.nnz // 2),
        "days": days,
        "seed": seed,
        "baseline_setup_s": min(setup_times),
        "baseline_s_per_day": baseline_s / days,
        "engine_s_per_day": engine_s / days,
        "baseline_repeats_s": baseline_times,
        "engine_repeats_s": engine_times,
        "ratio": baseline_s / engine_s,
        "engine": engine_indicators(engine).as_dict(),
        "baseline": baseline.indicators().as_dict(),
    }


def format_comparison(res: dict) -> str:
    """A readable table of :func:`compare`'s result."""
    e, b = res["engine"], res["baseline"]
    lines = [
        f"Engine vs per-agent Mesa baseline: {res['users']:,} users, {res['edges']:,} edges, "
        f"{res['days']} days, seed {res['seed']}",
        f"{'':<32}{'engine':>14}{'Mesa baseline':>16}",
        f"{'seconds per simulated day':<32}{res['engine_s_per_day']:>14.5f}"
        f"{res['baseline_s_per_day']:>16.5f}",
        f"{'setup seconds (baseline)':<32}{'':>14}{res['baseline_setup_s']:>16.2f}",
    ]
    for key, label, fmt in (
        ("items_per_day", "harmful items created per day", "{:.2f}"),
        ("harmful_views_per_10k", "harmful views per 10k views", "{:.2f}"),
        ("share_removed", "share of items removed", "{:.3f}"),
        ("median_takedown_hours", "median takedown hours", "{:.1f}"),
    ):
        lines.append(f"{label:<32}{fmt.format(e[key]):>14}{fmt.format(b[key]):>16}")
    lines.append(f"speed ratio (baseline / engine, s per day): {res['ratio']:.1f}x (target >= 50x)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: time the engine and the baseline on the same inputs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine-repeats", type=int, default=5)
    ap.add_argument("--baseline-repeats", type=int, default=None)
    ap.add_argument("--json", action="store_true", help="print one JSON line (for benchmarks.run)")
    args = ap.parse_args(argv)
    res = compare(args.users, args.days, args.seed, args.engine_repeats, args.baseline_repeats)
    print(json.dumps(res) if args.json else format_comparison(res))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
