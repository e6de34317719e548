"""Users and abusers as arrays (the crowd), one element per simulated user.

Mesa agents would cost a Python object and a method call per user per day; at 10^6
users that is the whole time budget (research/mesa-3.5.md, section 3). The crowd is
therefore held as numpy arrays and updated with vectorised operations; the actors that
decide strategically and are few (platforms, the regulator, the justice system) are Mesa
agents (``sim/agents.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sim.config import AbuserConfig, PopulationConfig

WOMAN, MAN, OTHER = 0, 1, 2
GENDERS = ("women", "men", "other")

# Offence kinds tracked in abusers' perceived certainty (columns of ``Abusers.alpha``).
HARASSMENT_OFFENCE, DEEPFAKE_SHARING, DEEPFAKE_CREATION = 0, 1, 2
OFFENCES = ("malicious_communications", "deepfake_sharing", "deepfake_creation")


@dataclass
class Users:
    """State of every user.

    Attributes (shape ``(n,)`` unless noted):
        gender: int8, WOMAN / MAN / OTHER.
        child: bool, aged 13-17.
        activity: float, benign posts per day before any self-censorship (log-normal).
        member: bool, shape (n, n_platforms): user is on the platform (False after leaving).
        harm: float, accumulated harm (harassment = 1 per exposure-weighted item, deepfake
            weighted by ``content.deepfake_harm_weight``).
        victim: bool, harmed at least once during the run.
        first_harm_day: int, day of first harm (-1 if never).
        self_censoring: bool, posts ``self_censor_activity_factor`` times less.
        left_any: bool, has left at least one platform.
        is_abuser: bool.
        degree: int, contacts in the social graph.
    """

    gender: np.ndarray
    child: np.ndarray
    activity: np.ndarray
    member: np.ndarray
    harm: np.ndarray
    victim: np.ndarray
    first_harm_day: np.ndarray
    self_censoring: np.ndarray
    left_any: np.ndarray
    is_abuser: np.ndarray
    degree: np.ndarray

    @property
    def n(self) -> int:
        """Number of users."""
        return len(self.gender)

    def effective_activity(self, factor: float) -> np.ndarray:
        """Benign posts per day after self-censorship."""
        return self.activity * np.where(self.self_censoring, factor, 1.0)


def draw_demographics(cfg: PopulationConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Gender, child flag and heavy-tailed activity for ``cfg.n_users`` users."""
    n = cfg.n_users
    u = rng.random(n)
    gender = np.full(n, MAN, dtype=np.int8)
    gender[u < cfg.share_women] = WOMAN
    gender[(u >= cfg.share_women) & (u < cfg.share_women + cfg.share_other_gender)] = OTHER
    child = rng.random(n) < cfg.share_children
    # Log-normal with the requested mean: E[exp(N(mu, s^2))] = exp(mu + s^2/2).
    s = cfg.activity_sigma
    activity = cfg.posts_per_day_mean * np.exp(rng.normal(-0.5 * s * s, s, n))
    return gender, child, activity


@dataclass
class Abusers:
    """Abusers: a subset of users with a propensity and a learned perception of risk.

    Attributes (shape ``(a,)`` unless noted):
        ids: user id of each abuser.
        propensity: float, expected abusive acts per day when willing (log-normal,
            heavy-tailed so a small share of users produce most abuse).
        risk_aversion: float, weight on expected sanction (log-normal, mean 1).
        alpha, beta: float, shape (a, 3): Beta pseudo-counts of sanctioned and
            unsanctioned acts per offence (OFFENCES); perceived certainty is
            ``alpha / (alpha + beta)``.
        incapacitated_until: int, day until which the abuser is in custody.
        adj: sparse (a, n) rows of the social graph for abusers (who they observe).
    """

    ids: np.ndarray
    propensity: np.ndarray
    risk_aversion: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    alpha0: float
    beta0: float
    incapacitated_until: np.ndarray
    adj: sp.csr_array

    @property
    def n(self) -> int:
        """Number of abusers."""
        return len(self.ids)

    def perceived_certainty(self) -> np.ndarray:
        """Perceived probability of conviction per act, shape (a, 3)."""
        return self.alpha / (self.alpha + self.beta)


def draw_abusers(
    cfg: AbuserConfig, n_users: int, adj: sp.csr_array, rng: np.random.Generator
) -> Abusers:
    """Choose abusers and draw their heterogeneous propensity and risk aversion."""
    a = max(1, round(cfg.share * n_users)) if cfg.share > 0 else 0
    ids = np.sort(rng.choice(n_users, size=a, replace=False)) if a else np.zeros(0, np.int64)
    s = cfg.propensity_sigma
    propensity = cfg.attempts_per_day_mean * np.exp(rng.normal(-0.5 * s * s, s, a))
    r = cfg.risk_aversion_sigma
    risk_aversion = np.exp(rng.normal(-0.5 * r * r, r, a))
    alpha0 = cfg.prior_certainty * cfg.prior_weight
    beta0 = (1.0 - cfg.prior_certainty) * cfg.prior_weight
    k = len(OFFENCES)
    return Abusers(
        ids=ids.astype(np.int64),
        propensity=propensity,
        risk_aversion=risk_aversion,
        alpha=np.full((a, k), alpha0),
        beta=np.full((a, k), beta0),
        alpha0=alpha0,
        beta0=beta0,
        incapacitated_until=np.full(a, -1, dtype=np.int64),
        adj=sp.csr_array(adj[ids]) if a else sp.csr_array((0, n_users)),
    )
