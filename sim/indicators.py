"""End-of-run indicators (``summary.json``), computed over the policy period.

Each indicator is defined once here; docs/outputs.md lists them. Counts and money are
totals over days ``policy_start_day .. days-1``; rates are over the same days.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.content import REMOVED
from sim.population import MAN, OTHER, WOMAN

if TYPE_CHECKING:
    from sim.model import HarmModel


def summarise(model: HarmModel) -> dict[str, float]:
    """Indicators a policy reader compares across scenarios (all plain numbers)."""
    cfg = model.cfg
    ts = model.timeseries()
    ev = model.events()
    start = cfg.policy_start_day
    pol = ts[ts["day"] >= start]
    pev = ev[ev["day"] >= start]
    items = model.items
    n = items.n
    in_period = items.view("day") >= start
    removed = in_period & (items.view("state") == REMOVED)
    hours = (items.view("removed_h") - items.view("created_h"))[removed]
    # Removals after a user report: the time a takedown duty bounds (from the report).
    reported = removed & np.isfinite(items.view("reported_h")) & ~items.view("proactive")
    report_hours = items.view("removed_h")[reported] - items.view("reported_h")[reported]
    u = model.users
    victims = (u.first_harm_day >= start) & u.victim
    fines = pev[pev["kind"].isin(["fine", "daily_penalty"])]
    single = pev[pev["kind"] == "fine"]
    # Para 4(7): a fine and its daily penalties count together against one cap.
    decisions = [d for d in model.regulator.decisions if d["day"] >= start]
    ratio = max((d["used"] / d["cap"] for d in decisions if d["cap"] > 0), default=0.0)
    capped = single[single["cap_gbp"] > 0]  # a zero cap (multiplier 0) has no ratio
    single_ratio = float((capped["amount_gbp"] / capped["cap_gbp"]).max()) if len(capped) else 0.0
    harmful_views = float(pol["harmful_views"].sum())
    total_views = float(pol["total_views"].sum())
    created = int(in_period.sum())
    fringe = model.fringe_index
    fringe_items = int((in_period & (items.view("platform") == fringe)).sum()) if fringe >= 0 else 0
    spend = sum(float(pol[f"moderation_spend_gbp__{p.name}"].sum()) for p in model.platform_list)
    removed_n = int(removed.sum())
    proactive = int((removed & items.view("proactive")).sum())
    return {
        "harmful_views_per_10k": 1e4 * harmful_views / total_views if total_views > 0 else 0.0,
        "harmful_views": harmful_views,
        "total_views": total_views,
        "harmful_items_created": created,
        "harmful_items_removed": removed_n,
        "median_takedown_hours": float(np.median(hours)) if len(hours) else 0.0,
        "median_report_to_takedown_hours": (
            float(np.median(report_hours)) if len(report_hours) else 0.0
        ),
        "proactive_detection_share": proactive / removed_n if removed_n else 0.0,
        "victims_women": int((victims & (u.gender == WOMAN)).sum()),
        "victims_men": int((victims & (u.gender == MAN)).sum()),
        "victims_other": int((victims & (u.gender == OTHER)).sum()),
        "victims_children": int((victims & u.child).sum()),
        "wrongful_removals": float(pol["wrongful_removals"].sum()),
        "accounts_suspended": int(pol["accounts_suspended"].sum()),
        "self_censoring_users": int(u.self_censoring.sum()),
        "users_left_platform": int(u.left_any.sum()),
        "moderation_spend_gbp": spend,
        "fines_imposed_gbp": float(fines["amount_gbp"].sum()),
        "fines_paid_gbp": float(pev.loc[pev["kind"] == "fine_paid", "amount_gbp"].sum()),
        "fines_count": len(single),
        "max_fine_to_cap_ratio": ratio,
        "investigations_opened": int((pev["kind"] == "investigation_opened").sum()),
        "investigations_closed": int((pev["kind"] == "investigation_closed").sum()),
        "provisional_notices": int((pev["kind"] == "provisional_notice").sum()),
        "max_single_fine_to_cap_ratio": single_ratio,
        "business_disruption_orders": int(
            pev["kind"].isin(["service_restriction_order", "access_restriction_order"]).sum()
        ),
        "regulator_cost_gbp": float(pol["regulator_cost_gbp"].sum()),
        "police_reports": int(pol["police_reports"].sum()),
        "charges": int(pol["charges"].sum()),
        "convictions": int(pol["convictions"].sum()),
        "deepfakes_created": int(pol["deepfakes_created"].sum()),
        "fringe_abuse_share": fringe_items / created if created else 0.0,
        "platform_exits": int((pev["kind"] == "platform_exit").sum()),
        "senior_manager_prosecutions": int((pev["kind"] == "senior_manager_prosecution").sum()),
        "days_simulated": len(ts),
        "n_users": u.n,
        "items_tracked": n,
    }
