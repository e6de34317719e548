"""Typed configuration: the one place where parameter defaults, units, ranges and sources live.

Every field is declared with :func:`param`, which records its unit, allowed range and
source (a reference from ``shared/research/domain.md`` or the word *assumption*). Hydra
uses these dataclasses as the schema of ``configs/``: a wrong type or an unknown key
fails when the configuration is composed, and :func:`validate` checks ranges and
cross-field rules before any simulation starts.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf


class ConfigError(ValueError):
    """A configuration value is outside what the model allows.

    The message always names the key, the value and what is allowed.
    """


def param(
    default: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    unit: str = "",
    source: str,
    choices: tuple[str, ...] | None = None,
    lo_open: bool = False,
    sentinel: tuple[float, str] | None = None,
) -> Any:
    """Declare a parameter with its bounds, unit and source (``source`` is mandatory).

    ``sentinel`` is a (value, meaning) pair allowed outside ``[lo, hi]``, e.g. ``(-1,
    "same as reach")``; no other value outside the range is.
    """
    meta = {
        "lo": lo,
        "hi": hi,
        "unit": unit,
        "source": source,
        "choices": choices,
        "lo_open": lo_open,
        "sentinel": sentinel,
    }
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


A = "assumption"  # shorthand for parameters with no empirical source


@dataclass
class PopulationConfig:
    """Users: who they are and how they react to harm and to wrongful removal."""

    n_users: int = param(10_000, lo=100, hi=20_000_000, unit="users", source=A + " (model scale)")
    share_women: float = param(
        0.51, lo=0, hi=1, source="ONS mid-year estimates: ~51% of the UK population is female"
    )
    share_other_gender: float = param(
        0.005,
        lo=0,
        hi=1,
        source="ONS Census 2021: 0.5% gave a gender identity different from sex at birth",
    )
    share_children: float = param(
        0.08, lo=0, hi=1, source=A + " (13-17 year-olds among UK social-media users)"
    )
    posts_per_day_mean: float = param(
        1.0, lo=0, hi=100, lo_open=True, unit="posts/user/day", source=A
    )
    activity_sigma: float = param(
        1.2,
        lo=0,
        hi=4,
        unit="log-sd",
        source="heavy-tailed activity as in SimSoM's per-node postperday (Truong et al. 2025); "
        "sigma is an assumption",
    )
    report_prob_target: float = param(
        0.25,
        lo=0,
        hi=1,
        source="EIU for Jigsaw (2021): 1 in 4 women reported abuse to the platform",
    )
    report_prob_per_view: float = param(0.001, lo=0, hi=1, unit="reports/harmful view", source=A)
    self_censor_prob_after_harm: float = param(
        0.30, lo=0, hi=1, source="EIU (2021): 30% of women abused reduced their online presence"
    )
    leave_prob_after_harm: float = param(
        0.20, lo=0, hi=1, source="EIU (2021): 20% of women abused stopped using the platform"
    )
    self_censor_activity_factor: float = param(0.5, lo=0, hi=1, unit="x activity", source=A)
    self_censor_prob_after_wrongful_removal: float = param(0.10, lo=0, hi=1, source=A)
    leave_prob_after_wrongful_removal: float = param(0.02, lo=0, hi=1, source=A)


@dataclass
class AbuserConfig:
    """Abusers: a minority with heterogeneous propensity and a deterrence decision rule."""

    rule: str = param("deterrence", source="Epstein (2002) PNAS civil-violence rule, adapted")
    rule_params: dict[str, float] = param({}, source="strategy-specific parameters")
    share: float = param(
        0.03, lo=0, hi=0.5, source="Kumar et al. (2018): ~3% of accounts are toxic"
    )
    attempts_per_day_mean: float = param(
        0.06,
        lo=0,
        hi=10,
        unit="abusive acts/abuser/day",
        source=A + " (tuned so baseline prevalence is ~5-15 harmful views per 10k, Meta CSER)",
    )
    propensity_sigma: float = param(
        1.5,
        lo=0,
        hi=4,
        unit="log-sd",
        source=A + " (tuned so the top 1% of users produce most abuse, Kumar et al. 2018)",
    )
    deepfake_share: float = param(
        0.15, lo=0, hi=1, source=A + " (share of abusive acts that are intimate-image abuse)"
    )
    deepfake_share_prob: float = param(
        0.5, lo=0, hi=1, source=A + " (share of created deepfakes that are then shared)"
    )
    women_weight_harassment: float = param(
        1.6,
        lo=0,
        hi=100,
        unit="relative odds",
        source=A + " informed by EIU (2021) and Amnesty (2017): women targeted more often",
    )
    women_share_deepfake: float = param(
        0.97,
        lo=0,
        hi=1,
        source="Deeptrace (2019) 96-100%; Home Security Heroes (2023) 99% of subjects female",
    )
    local_target_prob: float = param(
        0.5, lo=0, hi=1, source=A + " (share of targets chosen among network contacts)"
    )
    gain_mean: float = param(1.0, lo=0, hi=100, unit="utility", source=A + " (normalised)")
    risk_aversion_sigma: float = param(0.8, lo=0, hi=4, unit="log-sd", source=A)
    threshold: float = param(0.1, lo=0, hi=100, unit="utility", source=A)
    severity_elasticity: float = param(
        0.4,
        lo=0,
        hi=1,
        source="Nagin (2013): severity deters at most modestly; the exponent is an assumption",
    )
    prior_certainty: float = param(
        0.05,
        lo=0,
        hi=1,
        lo_open=True,
        source=A + " (perceived conviction risk per act before any evidence)",
    )
    prior_weight: float = param(
        20.0, lo=0, hi=1e6, lo_open=True, unit="pseudo-observations", source=A
    )
    memory_halflife_days: float = param(
        180.0, lo=1, hi=1e5, unit="days", source=A + " (forgetting of observed sanctions)"
    )
    weight_own_sanction: float = param(
        5.0,
        lo=0,
        hi=1e3,
        unit="pseudo-observations",
        source="Anwar & Loughran (2011): own arrest raises perceived risk most; size assumed",
    )
    weight_neighbour_conviction: float = param(
        2.0, lo=0, hi=1e3, unit="pseudo-observations", source=A
    )
    weight_publicised_conviction: float = param(
        0.5, lo=0, hi=1e3, unit="pseudo-observations", source=A
    )
    publicity_prob: float = param(
        0.2, lo=0, hi=1, source=A + " (share of convictions reported in the media)"
    )
    new_offence_publicity: float = param(
        0.05,
        lo=0,
        hi=1,
        source=A + " (perceived certainty announced with a new offence, before convictions)",
    )
    displacement_sensitivity: float = param(
        2.0,
        lo=0,
        hi=100,
        unit="1/share of expected views denied",
        source=A + " (Horta Ribeiro et al. 2021, Rendo 2025: abuse migrates to laxer platforms; it"
        " responds to the exposure removals deny, as deplatformed actors weigh lost audience:"
        " Rogers 2020, Ali et al. 2021)",
    )
    ban_evasion_prob_per_day: float = param(
        0.01, lo=0, hi=1, unit="1/day", source=A + " (suspended abusers open a new account)"
    )
    fringe_join_prob_per_day: float = param(
        0.0002,
        lo=0,
        hi=1,
        unit="1/day",
        source=A + " (abusers joining the lightly moderated platform, scaled by the mainstream"
        " exposure denied minus the fringe's, per 0.1)",
    )


@dataclass
class ContentConfig:
    """Posting, attention and spread of items along the network."""

    view_prob: float = param(
        0.1, lo=0, hi=1, lo_open=True, source=A + " (share of contacts who see a post)"
    )
    attention_halflife_hours: float = param(
        12.0,
        lo=0.1,
        hi=24 * 30,
        unit="hours",
        source="Schneider & Rizoiu (2023): most exposure within hours; value assumed",
    )
    reshare_prob_per_view: float = param(
        1.0,
        lo=0,
        hi=1,
        unit="reshares/view at appeal 1",
        source=A + " (set so that, with the appeal distribution, >90% of cascades stop at size "
        "one and the size CCDF spans ~2 decades: Goel et al. 2012, 2016; mean over items 1/6)",
    )
    appeal_exponent: float = param(
        5.0,
        lo=0,
        hi=1000,
        lo_open=True,
        source="Truong et al. (2024) SimSoM: item appeal P(a) = exponent (1 - a)^(exponent - 1) "
        "on [0, 1], right-skewed, exponent 5 (osome-iu/simsom_removal, libs/simsom/message.py)",
    )
    item_lifetime_days: int = param(
        30, lo=1, hi=3650, unit="days", source=A + " (after this an item no longer draws views)"
    )
    deepfake_harm_weight: float = param(3.0, lo=0, hi=100, unit="x harassment", source=A)
    benign_report_prob: float = param(2e-5, lo=0, hi=1, unit="reports/benign post", source=A)
    engagement_loss_per_removed_share: float = param(
        3.5,
        lo=0,
        hi=100,
        source="Beknazar-Yuzbashev et al. (2025): hiding 6.6% of content cut consumption 23%",
    )
    harmful_engagement_premium: float = param(
        1.5,
        lo=0,
        hi=100,
        unit="x benign",
        source=A + " (toxic content draws more engagement; Beknazar-Yuzbashev et al.)",
    )


@dataclass
class NetworkConfig:
    """The social graph users sit on."""

    kind: str = param(
        "scale_free",
        source="design brief",
        choices=("scale_free", "small_world", "sbm", "edge_list"),
    )
    mean_degree: float = param(20.0, lo=0, hi=10_000, lo_open=True, unit="contacts", source=A)
    power_law_exponent: float = param(
        2.5,
        lo=2,
        hi=4,
        lo_open=True,
        source="social graphs have degree exponents 2-3; value assumed",
    )
    rewire_prob: float = param(0.1, lo=0, hi=1, source="Watts & Strogatz (1998); value assumed")
    homophily: float = param(0.7, lo=0, hi=1, source=A + " (share of contacts of the same gender)")
    path: str = param("", source="user-supplied edge list ('u v' per line, 0-based ids)")
    engine: str = param("numpy", source="implementation choice", choices=("numpy", "networkx"))
    cache: bool = param(True, source="implementation choice")


@dataclass
class PlatformConfig:
    """One platform: its economics, technology and owner's stance."""

    label: str = param("", source="display name")
    strategy: str = param("expected_utility", source="Liu et al. (2022); Becker (1968)")
    strategy_params: dict[str, float] = param({}, source="strategy-specific parameters")
    fringe: bool = param(False, source="design brief (lightly moderated site for displacement)")
    qualifying_worldwide_revenue_gbp: float = param(
        1e9, lo=0, hi=1e13, unit="GBP/year", source="see configs/platforms"
    )
    uk_users: float = param(1e6, lo=0, hi=1e8, lo_open=True, unit="users", source="see configs")
    reach: float = param(0.5, lo=0, hi=1, lo_open=True, unit="share of simulated users", source=A)
    abuser_reach: float = param(
        -1.0,
        lo=0,
        hi=1,
        unit="share of abusers",
        sentinel=(-1.0, "same as reach"),
        source=A,
    )
    arpu_gbp: float = param(20.0, lo=0, hi=1e4, unit="GBP/UK user/year", source=A)
    detection_skill: float = param(
        1.5,
        lo=0,
        hi=6,
        unit="d' (binormal ROC separation)",
        source="assumption calibrated to WSJ (2021): 3-5% of hate views removed proactively",
    )
    initial_effort: float = param(0.3, lo=0, hi=1, source=A)
    stance: float = param(
        0.0, lo=0, hi=1, source=A + " (0 = owner favours moderation, 1 = owner opposes it)"
    )
    auto_delay_hours: float = param(
        4.0, lo=0, hi=24 * 30, unit="hours", source=A + " (automated detection to removal)"
    )
    review_hours_base: float = param(
        13.0,
        lo=0,
        hi=24 * 90,
        unit="hours",
        source="TikTok DSA report (2023): median 13 h from report to action",
    )
    suspension_prob_at_full_effort: float = param(
        0.5,
        lo=0,
        hi=1,
        source=A + " (account suspension after a removal, scaled by effort; bans reduce abuse, "
        "Chandrasekharan et al. 2017; applied when the item is removed, however late, as "
        "platforms' strike systems count removals)",
    )
    review_delay_sigma: float = param(
        1.0,
        lo=0,
        hi=4,
        unit="log-sd",
        source=A + " (long tail of review times; Truong et al. 2025 audit delays of weeks)",
    )
    review_accuracy: float = param(
        0.85,
        lo=0,
        hi=1,
        source="Meta (2025): 1-2 in 10 enforcement actions may be mistakes",
    )
    moderation_cost_per_user_gbp: float = param(
        2.0,
        lo=0,
        hi=1e4,
        unit="GBP/UK user/year at full effort",
        source="Zuckerberg (2019): ~5% of revenue ($3.7bn) on moderation; scaled per user",
    )
    reputation_cost_per_harmful_view_gbp: float = param(
        0.05, lo=0, hi=1e3, unit="GBP/harmful view (UK scale)", source=A + " (advertiser safety)"
    )
    customer_lifetime_years: float = param(
        3.0,
        lo=0,
        hi=50,
        unit="years",
        source=A + " (revenue lost when a user leaves; Liu et al. 2022 user-loss trade-off)",
    )
    pays_fines: bool = param(True, source="Ofcom enforcement (2025): offshore services refused")
    refuses_decisions: bool = param(
        False, source="4chan (2025) refused to comply or pay; default: platforms comply"
    )
    exit_patience_months: int = param(
        3, lo=1, hi=120, unit="months", source=A + " (months of loss before geoblocking)"
    )
    review_interval_days: int = param(
        30, lo=1, hi=365, unit="days", source="design brief: platforms revise effort monthly"
    )


@dataclass
class RegulatorConfig:
    """Ofcom: budget-limited monitoring, investigations and sanctions."""

    targeting: str = param("risk_based", source="Ofcom: priorities by user numbers and risk")
    targeting_params: dict[str, float] = param({}, source="strategy-specific parameters")
    investigation_slots: int = param(
        2,
        lo=0,
        hi=1000,
        unit="concurrent investigations",
        source=A + " (Ofcom ~92 open investigations across ~100k services, scaled)",
    )
    review_interval_days: int = param(30, lo=1, hi=365, unit="days", source="design brief")
    investigation_days_mean: float = param(
        125.0,
        lo=1,
        hi=3650,
        unit="days (evidence gathering, to the provisional judgement)",
        source="4chan: opened 10 Jun 2025, fined 13 Oct 2025 (125 days, domain.md 2.4), a"
        " procedural case; substantive illegal-content cases take at least as long (X: open"
        " 12 Jan 2026, still open 3 Mar 2026): assumption that evidence gathering alone"
        " takes 125 days, the decision 52 more",
    )
    representation_days: int = param(
        52,
        lo=0,
        hi=3650,
        unit="days (provisional notice to confirmation decision, OSA ss.130-132)",
        source="AVS Group: provisional decision announced 13 Oct 2025, fined 4 Dec 2025"
        " (Ofcom enforcement update via Bristows 2025; domain.md 2.4)",
    )
    monitoring_noise: float = param(
        0.5, lo=0, hi=5, unit="log-sd", source=A + " (noise in prevalence signals)"
    )
    required_recall: float = param(
        0.25,
        lo=0,
        hi=1,
        source=A + " (proportionate proactive detection under the illegal-content codes)",
    )
    decision_noise: float = param(0.05, lo=0, hi=1, lo_open=True, unit="recall units", source=A)
    fine_severity: float = param(
        0.005,
        lo=0,
        hi=1,
        unit="share of the cap for a clear breach",
        source=A
        + " (no UK precedent for a substantive illegal-content fine; Ofcom's fines to date,"
        " on small services, are 0.001-0.058 of a GBP 18m cap (domain.md 2.4); this gives"
        " 0.005-0.025 by seriousness (Ofcom Penalty Guidelines 2017: proportionate to the"
        " contravention), see docs/validation.md check 10)",
    )
    fine_floor_gbp: float = param(
        18e6, lo=0, hi=1e12, unit="GBP", source="OSA 2023 Sch. 13 para 4(1)(a)"
    )
    fine_revenue_share: float = param(
        0.10,
        lo=0,
        hi=1,
        source="OSA 2023 Sch. 13 para 4(1)(b): 10% of qualifying worldwide revenue",
    )
    daily_penalty_share_of_fine: float = param(
        0.01,
        lo=0,
        hi=1,
        unit="share of the single penalty per day",
        source="Ofcom practice: GBP 100-1,000/day beside GBP 20k-1m fines (domain.md 2.4)",
    )
    daily_penalty_max_days: int = param(
        60, lo=0, hi=3650, unit="days", source="Ofcom v 4chan (2025): daily penalty up to 60 days"
    )
    compliance_grace_days: int = param(60, lo=0, hi=3650, unit="days", source=A)
    disruption_after_unpaid_days: int = param(
        90, lo=1, hi=3650, unit="days", source="OSA ss.144-147 (grounds); delay assumed"
    )
    budget_gbp_per_year: float = param(
        56e6,
        lo=0,
        hi=1e12,
        unit="GBP/year",
        source="NAO (2023): GBP 169m cumulative to 2024/25 (~GBP 56m/year)",
    )
    prior_detection_belief: float = param(
        0.3, lo=0, hi=1, source=A + " (platforms' prior that a breach is investigated in a year)"
    )


@dataclass
class JusticeConfig:
    """Police and courts: reports, charges, convictions for individual offenders."""

    rule: str = param("funnel", source="domain.md 2.7 (reports -> arrests -> convictions)")
    rule_params: dict[str, float] = param({}, source="strategy-specific parameters")
    police_report_prob_harassment: float = param(
        0.05,
        lo=0,
        hi=1,
        source="EIU (2021): 14% report to an offline agency; share to police assumed",
    )
    police_report_prob_deepfake: float = param(
        0.51,
        lo=0,
        hi=1,
        source="Crest Advisory (2025): 51% of people depicted in sexual deepfakes reported to police",
    )
    victim_aware_prob_unshared_deepfake: float = param(
        0.1, lo=0, hi=1, source=A + " (a deepfake never shared rarely reaches its victim)"
    )
    charge_prob: float = param(
        0.12,
        lo=0,
        hi=1,
        source="domain.md 2.7: ~12k arrests -> ~1.1k convictions; report-to-charge share assumed",
    )
    conviction_prob: float = param(0.75, lo=0, hi=1, source=A + " (convictions given charge)")
    days_to_charge_mean: float = param(60.0, lo=1, hi=3650, unit="days", source=A)
    days_to_conviction_mean: float = param(150.0, lo=1, hi=3650, unit="days", source=A)
    capacity_cases_per_100k_users_per_day: float = param(
        1.0,
        lo=0,
        hi=1e6,
        unit="cases/100k users/day",
        source=A + " (police capacity; excess reports are dropped)",
    )
    severity_months_harassment: float = param(
        6.0, lo=0, hi=600, unit="months custody", source="s.127 CA 2003: summary, up to 6 months"
    )
    severity_months_deepfake_sharing: float = param(
        24.0, lo=0, hi=600, unit="months custody", source="SOA 2003 s.66B(2)-(4): up to 2 years [U]"
    )
    severity_months_deepfake_creation: float = param(
        6.0, lo=0, hi=600, unit="months custody", source="SOA 2003 s.66E(6): summary maximum"
    )


@dataclass
class ScenarioConfig:
    """A policy scenario: which levers are on and how strong. Defaults = the Act as enacted."""

    name: str = param("baseline", source="scenario file")
    description: str = param(
        "The Online Safety Act as enacted, Ofcom at current capacity.", source="scenario file"
    )
    counterfactual: bool = param(False, source="scenario file (True: not current UK law)")
    regulation: bool = param(True, source="OSA 2023 in force")
    fine_cap_multiplier: float = param(
        1.0, lo=0, hi=100, unit="x statutory cap", source="OSA 2023 Sch. 13 para 4"
    )
    fine_severity_multiplier: float = param(1.0, lo=0, hi=1000, unit="x", source=A)
    regulator_capacity_multiplier: float = param(
        1.0, lo=0, hi=100, unit="x current Ofcom capacity", source="NAO (2023)"
    )
    senior_manager_liability: str = param(
        "information_and_child_safety",
        source="OSA 2023 s.110 and the confirmation-decision offences (domain.md 2.2)",
        choices=("none", "information_and_child_safety", "illegal_content"),
    )
    senior_manager_cost_gbp: float = param(
        50e6,
        lo=0,
        hi=1e12,
        unit="GBP-equivalent per prosecution",
        source=A + " (weight a platform puts on its managers' criminal exposure)",
    )
    deepfake_sharing_offence: bool = param(
        True, source="SOA 2003 s.66B, inserted by OSA 2023 s.188, in force 31 Jan 2024"
    )
    deepfake_creation_offence: bool = param(
        False, source="SOA 2003 s.66E (DUAA 2025 s.138), in force 6 Feb 2026"
    )
    deepfake_priority_offence: bool = param(
        False,
        source="Kendall (12 Jan 2026): creation to become a priority offence (proactive duty)",
    )
    deepfake_police_priority: float = param(
        1.0, lo=0, hi=100, unit="x charge probability for deepfake offences", source=A
    )
    takedown_duty_hours: float = param(
        0.0,
        lo=0.01,
        hi=24 * 365,
        unit="hours",
        source="NetzDG-style 24 h; the 0.01 h (36 s) floor is an assumption: no statute sets a "
        "shorter deadline (the shortest we know, EU Regulation 2021/784 art. 3(3), is 1 h), and "
        "near 0 the modelled cost of meeting one overflows",
        sentinel=(0.0, "no statutory deadline"),
    )


@dataclass
class OutputConfig:
    """What a run writes and shows."""

    progress: bool = param(True, source="implementation choice")
    summary_table: bool = param(True, source="implementation choice")
    events: bool = param(True, source="implementation choice")


@dataclass
class SimConfig:
    """The whole simulation configuration (the Hydra primary config's schema)."""

    seed: int = param(0, lo=0, hi=2**31 - 1, source="replicate index (paired across scenarios)")
    root_seed: int = param(20231026, lo=0, hi=2**63 - 1, source="experiment root seed")
    days: int = param(
        730, lo=1, hi=36_500, unit="days", source="design brief: burn-in + policy year"
    )
    policy_start_day: int = param(
        -1,
        lo=-1,
        hi=36_500,
        unit="day (-1: half-way through the run)",
        source="design brief: a burn-in before the policy and a policy period after it",
    )
    network_cache_dir: str = param(
        "", source="implementation ('' = $OHSIM_CACHE/networks or ~/.cache/ohsim/networks)"
    )
    network_cache_max_gb: float = param(
        5.0,
        lo=0,
        hi=100_000,
        unit="GB (1e9 bytes; 0 = no bound)",
        source=A + " (least recently used graphs are deleted beyond it; 5 GB holds ~50 graphs "
        "of 1M users at mean degree 20, ~100 MB each, or two of 20M users)",
    )
    population: PopulationConfig = field(default_factory=PopulationConfig)
    abusers: AbuserConfig = field(default_factory=AbuserConfig)
    content: ContentConfig = field(default_factory=ContentConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    platforms: dict[str, PlatformConfig] = field(default_factory=dict)
    regulator: RegulatorConfig = field(default_factory=RegulatorConfig)
    justice: JusticeConfig = field(default_factory=JusticeConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    output: OutputConfig = field(default_factory=OutputConfig)


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore (``defaults: [schema, ...]``)."""
    cs = ConfigStore.instance()
    cs.store(name="schema", node=SimConfig)


# --- validation ----------------------------------------------------------------------


def _check_field(key: str, value: Any, meta: dict[str, Any]) -> None:
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(f"{key}={value!r} is not allowed: choose one of {', '.join(choices)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key}={value!r} is not allowed: must be a finite number")
    sentinel = meta.get("sentinel")
    if sentinel is not None and value == sentinel[0]:
        return
    lo, hi = meta.get("lo"), meta.get("hi")
    unit = f" {meta['unit']}" if meta.get("unit") else ""
    if sentinel is not None:
        unit += f", or exactly {sentinel[0]:g} ({sentinel[1]})"
    lo_open = bool(meta.get("lo_open"))
    too_low = lo is not None and (value < lo or (lo_open and value == lo))
    too_high = hi is not None and value > hi
    if too_low or too_high:
        if lo is not None and hi is not None:
            allowed = f"in {'(' if lo_open else '['}{lo}, {hi}]"
        elif lo is not None:
            allowed = f"{'>' if lo_open else '>='} {lo}"
        else:
            allowed = f"<= {hi}"
        raise ConfigError(f"{key}={value!r} is not allowed: must be {allowed}{unit}")


def _walk(prefix: str, obj: Any) -> None:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            _walk(key + ".", value)
        elif f.name == "platforms":
            for name, pc in value.items():
                _walk(f"{key}.{name}.", pc)
        else:
            _check_field(key, value, dict(f.metadata))


def to_simconfig(cfg: DictConfig | SimConfig | dict | None) -> SimConfig:
    """Turn a Hydra/OmegaConf config (or a plain dict of overrides) into a typed SimConfig."""
    if cfg is None:
        from sim.defaults import default_config

        return default_config()
    if isinstance(cfg, SimConfig):
        return cfg
    raw = OmegaConf.to_container(cfg, resolve=False) if isinstance(cfg, DictConfig) else dict(cfg)
    raw.pop("hydra", None)
    _check_unknown_keys(raw, SimConfig, "")
    base = OmegaConf.structured(SimConfig)
    merged = OmegaConf.merge(base, raw)
    obj = OmegaConf.to_object(merged)
    assert isinstance(obj, SimConfig)
    return obj


def unknown_key_error(
    key: str, value: str, known: list[str], *, prefix: str = "", part: str | None = None
) -> ConfigError:
    """The error for a key the schema does not know, with the known keys and the closest.

    Args:
        key: the whole dotted key as given (``population.n_usres``).
        value: the value as the message should show it (already formatted).
        known: the keys allowed at the level where ``part`` was not found.
        prefix: the dotted path of that level (``population``; ``""`` at the top).
        part: the unknown part of ``key`` (default: its last part).
    """
    part = key.rsplit(".", 1)[-1] if part is None else part
    where = f"{prefix}." if prefix else ""
    unknown = "" if f"{where}{part}" == key else f" {where}{part}"
    close = difflib.get_close_matches(part, known, n=1)
    hint = f"; closest match: {where}{close[0]}" if close else ""
    return ConfigError(
        f"{key}={value} is not allowed: unknown key{unknown} (known keys"
        f"{' of ' + prefix if prefix else ''}: {', '.join(sorted(known))}){hint}"
    )


def _check_unknown_keys(raw: dict, cls: type, prefix: str) -> None:
    """Refuse keys the schema does not know (e.g. a typo added with Hydra's ``+``)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in raw.items():
        if key not in fields:
            raise unknown_key_error(
                f"{prefix}{key}", repr(value), list(fields), prefix=prefix.rstrip(".")
            )
        sub = cls.__annotations__.get(key)
        sub_cls = globals().get(sub) if isinstance(sub, str) else None
        if sub_cls is not None and dataclasses.is_dataclass(sub_cls) and isinstance(value, dict):
            _check_unknown_keys(value, sub_cls, f"{prefix}{key}.")
        elif key == "platforms" and isinstance(value, dict):
            for name, pc in value.items():
                if isinstance(pc, dict):
                    _check_unknown_keys(pc, PlatformConfig, f"{prefix}platforms.{name}.")


def validate(cfg: SimConfig) -> SimConfig:
    """Check every value against its declared range and the cross-field rules.

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    _walk("", cfg)
    if cfg.policy_start_day < 0:
        cfg.policy_start_day = cfg.days // 2
    if cfg.policy_start_day >= cfg.days:
        raise ConfigError(
            f"policy_start_day={cfg.policy_start_day} is not allowed: must be < days={cfg.days} "
            "(the summary covers the days from the policy start on), or -1 for half-way"
        )
    if not cfg.platforms:
        raise ConfigError("platforms={} is not allowed: define at least one platform")
    fringe = [name for name, p in cfg.platforms.items() if p.fringe]
    if len(fringe) > 1:
        which = " and ".join(f"platforms.{name}.fringe=true" for name in fringe)
        raise ConfigError(
            f"{which} are not allowed together: at most one platform may set fringe=true "
            "(the lightly moderated site abuse is displaced to)"
        )
    pop = cfg.population
    if pop.share_women + pop.share_other_gender > 1:
        raise ConfigError(
            f"population.share_women={pop.share_women} + population.share_other_gender="
            f"{pop.share_other_gender} = {pop.share_women + pop.share_other_gender:g} is not "
            "allowed: the two shares must sum to <= 1 (the rest of the users are men)"
        )
    net = cfg.network
    if net.kind == "edge_list":
        if not net.path:
            raise ConfigError("network.path='' is not allowed: network=edge_list needs a file path")
        if not Path(net.path).is_file():
            raise ConfigError(f"network.path={net.path!r} is not allowed: the file does not exist")
    elif net.mean_degree >= cfg.population.n_users:
        raise ConfigError(
            f"network.mean_degree={net.mean_degree} is not allowed: must be < "
            f"population.n_users={cfg.population.n_users}"
        )
    _check_memory(cfg)
    _check_subcritical(cfg)
    from sim.behaviours import check_strategy_names

    check_strategy_names(cfg)
    return cfg


MEMORY_LIMIT_GB = 16.0  # the machine size runs are refused above (the project's target machine)
USER_BYTES = 200  # per user: attributes, platform memberships, abuser state (measured order)
EDGE_END_BYTES = 12  # per edge end: CSR int64 index + int32 platform-local copy


def memory_estimate(cfg: SimConfig) -> dict[str, float]:
    """Bytes the largest tables of a run will need, estimated before anything is built.

    ``graph``: ~12 bytes per edge end plus ~200 bytes per user (0 for an edge list, whose
    size is known only when read). ``items``: the harmful-item table keeps one row per
    item ever created, ``HarmfulItems`` bytes per row, and its capacity doubles as it
    grows, so up to twice that. The item count is an upper bound: every abuser willing
    every day (no deterrence), n_users x abusers.share x abusers.attempts_per_day_mean x
    days, less the deepfakes created but never shared. ``shares``: the live shares of
    the items still drawing views (share zero only; re-shares multiply it by the cascade
    size, small while spread is subcritical).
    """
    from sim.content import HarmfulItems, Shares

    n = cfg.population.n_users
    ab = cfg.abusers
    graph = 0.0
    if cfg.network.kind != "edge_list":
        graph = n * cfg.network.mean_degree * EDGE_END_BYTES + n * USER_BYTES
    per_day = n * ab.share * ab.attempts_per_day_mean
    per_day *= 1.0 - ab.deepfake_share * (1.0 - ab.deepfake_share_prob)
    items = per_day * cfg.days
    item_bytes = sum(np.dtype(t).itemsize for t in HarmfulItems._spec.values())
    share_bytes = sum(np.dtype(t).itemsize for t in Shares._spec.values())
    live = per_day * min(cfg.days, cfg.content.item_lifetime_days)
    return {
        "graph": graph,
        "items": 2 * item_bytes * items,
        "shares": 2 * share_bytes * live,
        "n_items": items,
    }


def _check_memory(cfg: SimConfig) -> None:
    """Refuse a configuration whose tables would not fit in memory, before allocating."""
    est = memory_estimate(cfg)
    total_gb = (est["graph"] + est["items"] + est["shares"]) / 1e9
    if total_gb <= MEMORY_LIMIT_GB:
        return
    n, net, ab = cfg.population.n_users, cfg.network, cfg.abusers
    keys = [f"population.n_users={n}"]
    if net.kind != "edge_list":
        keys.append(f"network.mean_degree={net.mean_degree}")
    keys += [
        f"days={cfg.days}",
        f"abusers.share={ab.share}",
        f"abusers.attempts_per_day_mean={ab.attempts_per_day_mean}",
    ]
    raise ConfigError(
        f"{', '.join(keys)} would need ~{total_gb:.0f} GB of memory (graph "
        f"~{est['graph'] / 1e9:.1f} GB; harmful-item table ~{est['items'] / 1e9:.1f} GB for up "
        f"to {est['n_items']:.2g} items; live shares ~{est['shares'] / 1e9:.1f} GB): "
        f"the allowed maximum is {MEMORY_LIMIT_GB:.0f} GB on this machine size"
    )


def branching_number(cfg: SimConfig) -> float:
    """Mean-field re-shares per share of an item of average appeal (dimensionless).

    A share reaches at most ``network.mean_degree`` contacts on average, each views it
    with ``content.view_prob`` and re-shares with ``content.reshare_prob_per_view`` x the
    item's appeal, whose mean is ``1 / (1 + content.appeal_exponent)``. Degree
    heterogeneity (re-shares go to contacts, who have more contacts than average) raises
    the true value, platform membership lowers it; this is the simple product.
    """
    c = cfg.content
    return c.view_prob * c.reshare_prob_per_view * cfg.network.mean_degree / (1 + c.appeal_exponent)


def _check_subcritical(cfg: SimConfig) -> None:
    """Refuse spread in which the average harmful item goes viral.

    Most cascades stop at size one (Goel et al. 2012, 2016); with a branching number of 1
    or more the typical item is re-shared without end, and the share table grows until the
    platform's membership is exhausted (millions of rows a day at national scale).
    """
    if cfg.network.kind == "edge_list":
        return  # the degree is known only when the file is read
    r = branching_number(cfg)
    if r >= 1.0:
        c = cfg.content
        raise ConfigError(
            f"content.view_prob={c.view_prob} x content.reshare_prob_per_view="
            f"{c.reshare_prob_per_view} x network.mean_degree={cfg.network.mean_degree} x "
            f"mean appeal 1/(1 + content.appeal_exponent={c.appeal_exponent}) = branching "
            f"number {r:.3g} is not allowed: must be < 1 (spread of the average harmful item "
            "must be subcritical; most cascades stop at size one, Goel et al. 2016)"
        )


def parameter_table() -> list[dict[str, Any]]:
    """Every parameter with its default, unit, range and source (for docs and tests)."""
    rows: list[dict[str, Any]] = []

    def walk(prefix: str, cls: type) -> None:
        for f in dataclasses.fields(cls):
            key = f"{prefix}{f.name}"
            ftype = cls.__annotations__.get(f.name, "")
            sub = globals().get(str(ftype)) if isinstance(ftype, str) else None
            if sub is not None and dataclasses.is_dataclass(sub):
                walk(key + ".", sub)
                continue
            if f.name == "platforms":
                walk(key + ".<name>.", PlatformConfig)
                continue
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            m = f.metadata
            rows.append(
                {
                    "key": key,
                    "default": default,
                    "unit": m.get("unit", ""),
                    "lo": m.get("lo"),
                    "hi": m.get("hi"),
                    "choices": m.get("choices"),
                    "sentinel": m.get("sentinel"),
                    "source": m.get("source", ""),
                }
            )

    walk("", SimConfig)
    return rows
