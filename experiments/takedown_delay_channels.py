"""Which abuser/platform response to removals makes the delay-independent floor of check 7?

Runs the check-7 design (sim.validate._delay_overrides) with one channel switched off at a
time and prints the mean reduction in harmful views vs no takedown per delay.
Usage: python -m experiments.takedown_delay_channels [seeds] [extra overrides...]
"""

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.validate import FIXED_EFFORTS, _delay_overrides, run_key, simulate

SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
EXTRA = tuple(sys.argv[2:])
DELAYS = (1.0, 3.0, 6.0, 24.0, 96.0, 168.0, 336.0)
NOSUSP = tuple(f"platforms.{p}.suspension_prob_at_full_effort=0" for p in FIXED_EFFORTS)
NODISP = ("abusers.displacement_sensitivity=0",)
NOFRINGE = ("abusers.fringe_join_prob_per_day=0",)
VARIANTS = {
    "full": (),
    "no_suspension": NOSUSP,
    "no_displacement": NODISP,
    "no_fringe_join": NOFRINGE,
    "susp_only": NODISP + NOFRINGE,
    "none": NOSUSP + NODISP + NOFRINGE,
}


VARIANTS = {
    k: v
    for k, v in VARIANTS.items()
    if k in __import__("os").environ.get("VARS", ",".join(VARIANTS)).split(",")
}


def key(v: str, d: float | None, s: int) -> tuple[str, ...]:
    return run_key(_delay_overrides(d) + VARIANTS[v] + EXTRA, s)


def main() -> None:
    keys = [key(v, d, s) for v in VARIANTS for d in (*DELAYS, None) for s in range(SEEDS)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        res = dict(zip(keys, pool.map(simulate, keys, chunksize=4), strict=True))
    print(f"seeds={SEEDS} extra={EXTRA}")
    print(
        "variant          "
        + " ".join(f"{d:>6g}h" for d in DELAYS)
        + "  ratio(96-336/1-6)  items(1h,336h,ref) susp(1h,336h) fringe(1h,336h,ref)"
    )
    for v in VARIANTS:
        ref = np.array([res[key(v, None, s)].summary["harmful_views"] for s in range(SEEDS)])
        red = np.array(
            [
                [1 - res[key(v, d, s)].summary["harmful_views"] / ref[s] for d in DELAYS]
                for s in range(SEEDS)
            ]
        )
        m = 100 * red.mean(0)
        fast = red[:, :3].mean(1)
        slow = red[:, 4:].mean(1)

        def g(d: float | None, k: str, v: str = v) -> float:
            return float(np.mean([res[key(v, d, s)].summary[k] for s in range(SEEDS)]))

        items = "harmful_items_created"
        fringe = "fringe_abuse_share"
        print(
            f"{v:16s} "
            + " ".join(f"{x:6.1f}%" for x in m)
            + f"  {slow.mean() / fast.mean():.2f}"
            + f"  {g(1.0, items):.0f},{g(336.0, items):.0f},{g(None, items):.0f}"
            + f"  {g(1.0, 'accounts_suspended'):.0f},{g(336.0, 'accounts_suspended'):.0f}"
            + f"  {g(1.0, fringe):.2f},{g(336.0, fringe):.2f},{g(None, fringe):.2f}"
        )


if __name__ == "__main__":
    main()
