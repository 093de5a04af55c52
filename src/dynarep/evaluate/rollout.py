"""``dynarep evaluate``: roll a policy out in its finetuning context and record every episode.

All rollouts of a call run in lockstep in one ``PointMassBatch`` (one model, one renderer), and
their frames go through the encoder as one batch per step. The expert is also run (physics only,
no rendering) from the same starts, so results can be read against the expert's own ceiling.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from dynarep.envs.experts import pointmass_expert
from dynarep.envs.pointmass import PointMassBatch, PointMassConfig, goal_for_task, start_for_seed
from dynarep.train.policy import Policy, act, load_policy

EVAL_SEED_OFFSET = 10_000_000  # keeps evaluation starts apart from collection starts


def eval_starts(seed: int, episodes: int) -> np.ndarray:
    return np.stack([start_for_seed(EVAL_SEED_OFFSET + seed * 100_003 + i) for i in range(episodes)])


def run_episodes(
    env: PointMassConfig,
    task_id: int,
    starts: np.ndarray,
    controller: Any,
    render: bool,
    progress: bool = False,
) -> PointMassBatch:
    """Run ``controller(pixels, positions, velocities, goals) -> actions`` for a full episode."""
    sim = PointMassBatch(env, len(starts))
    sim.reset(starts, np.repeat(goal_for_task(task_id)[None], len(starts), axis=0))
    for _ in tqdm(range(env.episode_steps), desc="rollout", disable=not progress):
        pixels = sim.render() if render else None
        sim.step(controller(pixels, sim.positions(), sim.velocities(), sim.goals))
    sim.close()
    return sim


def evaluate_policy(
    policy: Policy,
    env: PointMassConfig,
    task_id: int,
    episodes: int = 100,
    seed: int = 0,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Per-episode results of ``episodes`` rollouts from seeded random starts."""
    torch.set_grad_enabled(False)
    starts = eval_starts(seed, episodes)
    first_success = np.full(episodes, -1)
    hits = np.zeros(episodes)

    def control(pixels, positions, velocities, goals):
        return act(policy, pixels, positions.astype(np.float32))

    sim = PointMassBatch(env, episodes)
    sim.reset(starts, np.repeat(goal_for_task(task_id)[None], episodes, axis=0))
    for step in tqdm(range(env.episode_steps), desc="evaluate", disable=not progress):
        pixels = sim.render() if policy.uses_pixels else None
        sim.step(control(pixels, sim.positions(), sim.velocities(), sim.goals))
        inside = sim.distance() <= 0.015
        hits += inside
        first_success[(first_success < 0) & inside] = step + 1
    sim.close()
    expert = run_episodes(env, task_id, starts, lambda _p, pos, vel, goal: pointmass_expert(pos, vel, goal), render=False)
    final = sim.distance()
    return [
        {
            "task_id": task_id,
            "seed": seed,
            "episode": i,
            "success": bool(sim.succeeded[i]),
            "steps": int(first_success[i]) if first_success[i] > 0 else env.episode_steps,
            "return": float(hits[i]),
            "min_distance": float(sim.min_distance[i]),
            "final_distance": float(final[i]),
            "expert_success": bool(expert.succeeded[i]),
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
    env = PointMassConfig(**{k: v for k, v in config["env"].items() if k != "name"})
    records = evaluate_policy(policy, env, config["task_index"], episodes, seed, progress)
    for record in records:
        record.update({"policy": str(policy_dir), **(extra or {})})
    if out is not None:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in records)
    return records
