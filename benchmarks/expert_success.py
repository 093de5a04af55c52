"""Success rate of the scripted point-mass expert over random hidden goals and starts.

Usage: python benchmarks/expert_success.py [--contexts 1000] [--noise 0.0] [--correlation 0.0]
Physics only (no rendering): the expert sees the true state and goal.
"""

from __future__ import annotations

import argparse

import numpy as np

from dynarep.envs.experts import ActionNoise, pointmass_expert
from dynarep.envs.pointmass import PointMassBatch, PointMassConfig, goal_for_task, start_for_seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contexts", type=int, default=1000, help="random goals (one start each)")
    parser.add_argument("--noise", type=float, default=0.0, help="expert action noise sigma")
    parser.add_argument("--correlation", type=float, default=0.0, help="noise correlation step to step")
    args = parser.parse_args()
    n = args.contexts
    sim = PointMassBatch(PointMassConfig(), n)
    goals = np.stack([goal_for_task(i) for i in range(n)])
    starts = np.stack([start_for_seed(i) for i in range(n)])
    sim.reset(starts, goals)
    noise = ActionNoise(args.noise, args.correlation).process(np.random.default_rng(0), (n, 2))
    for _ in range(sim.config.episode_steps):
        sim.step(pointmass_expert(sim.positions(), sim.velocities(), sim.goals, noise.sample()))
    success = sim.succeeded
    distance = np.linalg.norm(goals - starts, axis=1)
    se = np.sqrt(success.mean() * (1 - success.mean()) / n)
    setting = f"noise {args.noise}, correlation {args.correlation}"
    print(f"expert success over {n} contexts ({setting}): {success.mean():.3f} ± {se:.3f} (SE)")
    for low, high in [(0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.9)]:
        mask = (distance >= low) & (distance < high)
        if mask.any():
            rate = success[mask].mean()
            print(f"  start-goal distance {low:.1f}-{high:.1f} m: {rate:.3f} ({mask.sum()} contexts)")
    print(f"  median min distance of failures: {1000 * np.median(sim.min_distance[~success]):.1f} mm")


if __name__ == "__main__":
    main()
