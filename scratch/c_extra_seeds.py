"""Criterion (c)/(c') excess R_slow - 0.25 R_fast per seed for the two counterfactuals."""

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.validate import (
    COUNTERFACTUAL_DELAYS_H,
    FAST_H,
    SLOW_H,
    _delay_overrides,
    run_key,
    simulate,
)

SEEDS = range(int(sys.argv[1]), int(sys.argv[2]))


def main():
    keys = {
        (r, d, s): run_key(_delay_overrides(d, r), s)
        for r in ("none", "no_suspension")
        for d in (*COUNTERFACTUAL_DELAYS_H, None)
        for s in SEEDS
    }
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        res = dict(zip(keys, pool.map(simulate, keys.values(), chunksize=2)))
    for r in ("none", "no_suspension"):
        ex = []
        for s in SEEDS:
            ref = res[(r, None, s)].summary["harmful_views"]
            R = {
                d: 1 - res[(r, d, s)].summary["harmful_views"] / ref
                for d in COUNTERFACTUAL_DELAYS_H
            }
            ex.append(np.mean([R[d] for d in SLOW_H]) - 0.25 * np.mean([R[d] for d in FAST_H]))
            print(
                r,
                s,
                {k: round(100 * v, 1) for k, v in R.items()},
                round(100 * ex[-1], 2),
                flush=True,
            )
        ex = 100 * np.array(ex)
        print(r, "mean", ex.mean(), "sd", ex.std(ddof=1), flush=True)


if __name__ == "__main__":
    main()
