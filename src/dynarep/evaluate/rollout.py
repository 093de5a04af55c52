"""``dynarep evaluate``: roll a policy out and record every episode.

Rollouts go through the environment's gymnasium vector env: the point mass steps every episode of
a call in lockstep in one process; Metaworld runs one simulator and renderer per worker process.
Each sub-env plays episodes from a queue (a finished one is reset onto the next seed), so every
episode's start is fixed by its seed whatever the number of workers. The scripted expert is run
from the same starts (physics only), so results can be read against the expert's own ceiling.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from dynarep.envs import Environment, environment_names, make_environment
from dynarep.train.policy import act, load_policy

EVAL_SEED_OFFSET = 10_000_000  # keeps evaluation starts apart from collection starts

Controller = Callable[[dict[str, np.ndarray]], np.ndarray]


def eval_seeds(seed: int, episodes: int) -> list[int]:
    """Episode seeds of evaluation seed ``seed`` (disjoint from every collection seed)."""
    return [EVAL_SEED_OFFSET + seed * 100_003 + i for i in range(episodes)]


def run_rollouts(
    environment: Environment,
    task_id: int | None,
    seeds: list[int],
    controller: Controller,
    render: bool = True,
    workers: int = 1,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """One episode per seed in context ``task_id`` (None: each seed draws its own context).

    ``controller(observations) -> actions`` acts for every sub-env at once. Success = the env's
    success flag at any step; ``steps`` = the first step with reward (the episode length if none);
    ``return`` = the summed reward.
    """
    count = len(seeds)
    num_envs = environment.rollout_envs(count, workers)
    venv = environment.make_vector_env(num_envs, render)
    slot = np.full(num_envs, -1)  # episode played by each sub-env, -1 when idle
    elapsed = np.zeros(num_envs, dtype=np.int64)
    success = np.zeros(count, dtype=bool)
    first_reward = np.full(count, -1)
    returns = np.zeros(count)
    metrics: list[dict[str, float]] = [{} for _ in range(count)]
    queued = iter(range(count))
    bar = tqdm(total=count, desc="rollout", unit="ep", disable=not progress)

    def start(mask: np.ndarray) -> dict[str, np.ndarray] | None:
        """Reset the sub-envs in ``mask`` onto the next queued episodes; idle those left over."""
        episode_seeds: list[int | None] = [None] * num_envs
        for i in np.flatnonzero(mask):
            slot[i] = next(queued, -1)
            mask[i] = slot[i] >= 0
            episode_seeds[i] = seeds[slot[i]] if mask[i] else None
        if not mask.any():
            return None
        observations, info = venv.reset(seed=episode_seeds, options={"task_id": task_id, "reset_mask": mask})
        elapsed[mask] = 0
        for i in np.flatnonzero(mask):
            success[slot[i]] = bool(info["success"][i])
        return observations

    observations = start(np.ones(num_envs, dtype=bool))
    while (slot >= 0).any():
        observations, reward, terminated, truncated, info = venv.step(controller(observations))
        finished = np.zeros(num_envs, dtype=bool)
        for i in np.flatnonzero(slot >= 0):
            episode = slot[i]
            elapsed[i] += 1
            returns[episode] += reward[i]
            if reward[i] > 0 and first_reward[episode] < 0:
                first_reward[episode] = elapsed[i]
            success[episode] |= bool(info["success"][i])
            if terminated[i] or truncated[i]:
                metrics[episode] = environment.episode_metrics(info, i)
                finished[i] = True
                bar.update()
        if finished.any():
            observations = start(finished) or observations
    bar.close()
    venv.close()
    return [
        {
            "task_id": task_id,
            "episode_seed": seeds[i],
            "success": bool(success[i]),
            "steps": int(first_reward[i]) if first_reward[i] > 0 else environment.max_steps,
            "return": float(returns[i]),
            **metrics[i],
        }
        for i in range(count)
    ]


def evaluate(
    policy_dir: str | Path,
    episodes: int = 100,
    seed: int = 0,
    out: str | Path | None = None,
    extra: dict[str, Any] | None = None,
    progress: bool = True,
    workers: int = 2,
    new_contexts: bool = False,
) -> list[dict[str, Any]]:
    """Evaluate a finetuned policy folder; append one JSON line per episode to ``out``.

    Rollouts run in the policy's finetuning context, or, with ``new_contexts``, each in a context of
    its own drawn from its seed (the protocol's evaluation for door and the Metaworld splits)."""
    policy, config = load_policy(policy_dir)
    source = config["env"].get("name", "pointmass")  # policies made before the seam: point mass
    if source not in environment_names():
        raise ValueError(
            f"{policy_dir}: trained on {config['env'].get('format', source)!r} data, which has no "
            "simulator to roll out in; rank encoders with `dynarep evaluate-offline` instead"
        )
    environment = make_environment(config["env"])
    task_id = None if new_contexts else config["task_index"]
    seeds = eval_seeds(seed, episodes)
    state_columns = list(policy.state_columns)
    records = run_rollouts(
        environment,
        task_id,
        seeds,
        lambda obs: act(policy, obs["pixels"], obs["state"][:, state_columns].astype(np.float32)),
        render=policy.uses_pixels,
        workers=workers,
        progress=progress,
    )
    expert = environment.expert_successes(task_id, seeds)
    environment.close()
    for i, record in enumerate(records):
        record.update(seed=seed, episode=i)
        record["expert_success"] = bool(expert[i])
        record.update({"policy": str(policy_dir), **(extra or {})})
    if out is not None:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in records)
    return records
