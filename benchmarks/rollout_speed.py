"""Evaluation speed: batched rollouts vs one environment at a time, in one run.

Usage: python benchmarks/rollout_speed.py POLICY [--episodes 50]

POLICY is a finetuned point-mass policy folder (e.g. runs/pointmass-quick/policies/
inverse_dynamics_seed0_demos2). The same episodes (same seeds, same policy) are rolled out twice:
all sub-environments in lockstep with one batched policy call per step (what ``dynarep evaluate``
does), then one episode at a time. Prints rollouts/s of each and the ratio (issue 11 asks for
>= 1.6x on 2 cores), and the share of the batched run spent rendering.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dynarep.envs import make_environment
from dynarep.evaluate.rollout import eval_seeds, run_rollouts
from dynarep.train.policy import act, load_policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("policy")
    parser.add_argument("--episodes", type=int, default=50)
    args = parser.parse_args()
    policy, config = load_policy(args.policy)
    environment = make_environment(config["env"])
    columns = list(policy.state_columns)

    def controller(obs: dict) -> np.ndarray:
        return act(policy, obs["pixels"], obs["state"][:, columns].astype(np.float32))

    seeds = eval_seeds(0, args.episodes)
    timings = {}
    started = time.perf_counter()
    batched = run_rollouts(environment, config["task_index"], seeds, controller, render=policy.uses_pixels)
    timings["batched (lockstep)"] = time.perf_counter() - started
    started = time.perf_counter()
    single = [
        run_rollouts(environment, config["task_index"], [s], controller, render=policy.uses_pixels)[0]
        for s in seeds
    ]
    timings["one at a time"] = time.perf_counter() - started
    started = time.perf_counter()
    run_rollouts(environment, config["task_index"], seeds, lambda obs: np.zeros((len(seeds), 2)), render=True)
    render_only = time.perf_counter() - started
    same = [r["success"] for r in batched] == [r["success"] for r in single]
    print(f"{args.episodes} episodes, policy {args.policy}; same successes both ways: {same}")
    for name, seconds in timings.items():
        print(f"  {name:20s} {args.episodes / seconds:7.1f} rollouts/s")
    print(f"  ratio batched / one at a time: {timings['one at a time'] / timings['batched (lockstep)']:.2f}x")
    total = timings["batched (lockstep)"]
    print(f"  stepping + rendering alone (zero actions, batched): {render_only:.1f} s of {total:.1f} s")


if __name__ == "__main__":
    main()
