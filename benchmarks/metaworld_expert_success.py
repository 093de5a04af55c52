"""Success of Metaworld's scripted experts per task, as dynarep collects them.

Usage: python benchmarks/metaworld_expert_success.py [--episodes 50] [--tasks pick-place-v3 ...]

Each episode is a new configuration (task id = episode index, so object and goal positions are
drawn by the task's seeded sampler) with the hand start jittered by ±5 cm; at most 250 steps,
stopping on success. Physics only: the expert reads the privileged state, nothing is rendered.
Prints a Markdown table (success, SE, mean steps of the successful episodes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dynarep.envs.metaworld import MetaworldConfig, MetaworldEnv
from dynarep.envs.metaworld_tasks import ALL_TASKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--episodes", type=int, default=50, help="configurations per task (default 50)")
    parser.add_argument("--tasks", nargs="+", default=list(ALL_TASKS), help="tasks (default: all 50)")
    args = parser.parse_args()
    print("| task | success | SE | mean steps (successes) |\n|---|---|---|---|")
    rates, started = [], time.perf_counter()
    for task in args.tasks:
        env = MetaworldEnv(MetaworldConfig(tasks=(task,)), render=False)
        successes, steps = [], []
        for i in range(args.episodes):
            env.reset(seed=i, options={"task_id": i})
            while not env.done:
                env.step(env.expert_action())
            successes.append(env.succeeded)
            if env.succeeded:
                steps.append(env.steps)
        env.close()
        rate = float(np.mean(successes))
        rates.append(rate)
        se = np.sqrt(rate * (1 - rate) / args.episodes)
        mean_steps = f"{np.mean(steps):.0f}" if steps else "—"
        print(f"| {task} | {rate:.2f} | {se:.2f} | {mean_steps} |", flush=True)
    print(
        f"\n{len(args.tasks)} tasks x {args.episodes} episodes: mean success {np.mean(rates):.3f}, "
        f"{sum(r == 1.0 for r in rates)} tasks at 1.00, {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
