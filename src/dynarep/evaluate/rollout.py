"""``dynarep evaluate``: roll a policy out in its finetuning context and record every episode.

All rollouts of a call run in lockstep in one ``PointMassBatch`` (one model, one renderer), and
their frames go through the encoder as one batch per step. The expert is also run (physics only,
no rendering) from the same starts, so results can be read against the expert's own ceiling.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from dynarep.envs.experts import pointmass_expert
from dynarep.envs.pointmass import (
    SUCCESS_RADIUS,
    PointMassBatch,
    PointMassConfig,
    goal_for_task,
    start_for_seed,
)
from dynarep.train.policy import Policy, act, load_policy

EVAL_SEED_OFFSET = 10_000_000  # keeps evaluation starts apart from collection starts


def eval_starts(seed: int, episodes: int) -> np.ndarray:
    return np.stack([start_for_seed(EVAL_SEED_OFFSET + seed * 100_003 + i) for i in range(episodes)])


@dataclass
class Rollouts:
    """What a batch of episodes did: the final simulator state plus per-episode tallies."""

    sim: PointMassBatch
    first_success: np.ndarray  # step of first success, -1 if never
    steps_inside: np.ndarray  # steps spent within the success radius (the return)


def run_episodes(
    env: PointMassConfig,
    task_id: int,
    starts: np.ndarray,
    controller: Callable[[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    render: bool,
    progress: bool = False,
) -> Rollouts:
    """Run ``controller(pixels, positions, velocities, goals) -> actions`` for full episodes."""
    n = len(starts)
    sim = PointMassBatch(env, n)
    sim.reset(starts, np.repeat(goal_for_task(task_id)[None], n, axis=0))
    first_success = np.full(n, -1)
    steps_inside = np.zeros(n)
    for step in tqdm(range(env.episode_steps), desc="rollout", disable=not progress):
        pixels = sim.render() if render else None
        sim.step(controller(pixels, sim.positions(), sim.velocities(), sim.goals))
        inside = sim.distance() <= SUCCESS_RADIUS
        steps_inside += inside
        first_success[(first_success < 0) & inside] = step + 1
    sim.close()
    return Rollouts(sim, first_success, steps_inside)


def evaluate_policy(
    policy: Policy,
    env: PointMassConfig,
    task_id: int,
    episodes: int = 100,
    seed: int = 0,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Per-episode results of ``episodes`` rollouts from seeded random starts."""
    starts = eval_starts(seed, episodes)
    learner = run_episodes(
        env,
        task_id,
        starts,
        lambda pix, pos, _vel, _goal: act(policy, pix, pos.astype(np.float32)),
        render=policy.uses_pixels,
        progress=progress,
    )
    expert = run_episodes(
        env, task_id, starts, lambda _pix, pos, vel, goal: pointmass_expert(pos, vel, goal), render=False
    )
    sim, final = learner.sim, learner.sim.distance()
    return [
        {
            "task_id": task_id,
            "seed": seed,
            "episode": i,
            "success": bool(sim.succeeded[i]),
            "steps": int(learner.first_success[i]) if learner.first_success[i] > 0 else env.episode_steps,
            "return": float(learner.steps_inside[i]),
            "min_distance": float(sim.min_distance[i]),
            "final_distance": float(final[i]),
            "expert_success": bool(expert.sim.succeeded[i]),
        }
        for i in range(episodes)
    ]


def evaluate(
    policy_dir: str | Path,
    episodes: int = 100,
    seed: int = 0,
    out: str | Path | None = None,
    extra: dict[str, Any] | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Evaluate a finetuned policy folder; append one JSON line per episode to ``out``."""
    policy, config = load_policy(policy_dir)
    env = PointMassConfig.from_dict(config["env"])
    records = evaluate_policy(policy, env, config["task_index"], episodes, seed, progress)
    for record in records:
        record.update({"policy": str(policy_dir), **(extra or {})})
    if out is not None:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in records)
    return records
