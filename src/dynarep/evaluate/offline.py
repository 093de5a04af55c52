"""``dynarep evaluate-offline``: rank encoders on recorded data, without a simulator.

For each evaluated task of a store, a few-shot head is trained on ``demos`` episodes (exactly as
``finetune`` trains it: frozen encoder, the same MLP, steps and optimiser) and scored on the task's
other episodes by held-out action error: mean squared error, and R² per action dimension (1 is
perfect, 0 is no better than predicting the held-out mean action). Each seed draws other training
episodes and another head initialisation.

Several tasks and several splits per task are what make the ranking trustworthy: on the point
mass, one split of one task per goal ranked encoders against rollouts with Spearman 0.40; three
splits on each of five goals, 0.90, ordering every pair that rollouts tell apart as rollouts do
(benchmarks/RESULTS.md). The table sorts by mean held-out MSE over tasks and seeds; it also shows
each encoder's mean rank over tasks (1 = lowest MSE on a task, every task counting once however
large its errors), which on the point mass ordered one such pair the other way.

Why a proxy at all: real-robot data has no simulator to roll out in. On the point mass this
ranking is compared with rollout success (benchmarks/RESULTS.md) to say how far it can be trusted.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from dynarep.data.store import EpisodeStore, StoreError
from dynarep.evaluate.offline_config import OfflineConfig
from dynarep.train.encoder_io import encoder_cameras, load_encoder
from dynarep.train.finetune import FinetuneConfig, fit
from dynarep.train.policy import Policy

STATE = "state"


def evaluate_offline(
    store_path: str | Path,
    encoders: list[str],
    config: OfflineConfig | None = None,
    progress: bool = True,
) -> dict[str, dict[str, Any]]:
    """Held-out action error of a few-shot head on each encoder (a run folder, an exported folder,
    or ``"state"``: the head reads ``observation.state``). Returns, per name, ``mean_rank`` (over
    tasks, 1 = lowest MSE), ``mse``, ``r2`` (mean over action dimensions) and ``r2_per_dim``, means
    over tasks and seeds, and ``per_task`` with the per-seed figures."""
    config = config or OfflineConfig()
    store = EpisodeStore(store_path, in_memory=True)
    if not store.has_actions:
        raise StoreError(f"{store.root}: an action-free store; offline evaluation scores predicted actions")
    splits: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for task, episodes in evaluated_tasks(store, config).items():
        splits[task] = []
        for seed in range(config.seeds):
            order = np.random.default_rng(seed).permutation(episodes)
            held = order[config.demos :][: config.max_heldout]
            splits[task].append((_rows(store, order[: config.demos]), _rows(store, held)))
    rows = np.unique(np.concatenate([part for pairs in splits.values() for pair in pairs for part in pair]))
    position = {row: i for i, row in enumerate(rows)}
    finetune = FinetuneConfig(demos=config.demos, steps=config.steps, batch_size=config.batch_size)
    results: dict[str, dict[str, Any]] = {}
    fits = len(encoders) * len(splits) * config.seeds
    bar = tqdm(total=fits, desc="evaluate-offline", unit="fit", disable=not progress)
    for name in encoders:
        policy_type, inputs, make_policy = _inputs(name, store, rows)
        per_task = []
        for task, task_splits in splits.items():
            per_seed = []
            for seed, (train, held) in enumerate(task_splits):
                torch.manual_seed(seed)
                policy = make_policy()
                fit(
                    policy,
                    policy_type,
                    inputs[[position[r] for r in train]],
                    torch.from_numpy(store.actions[train]),
                    replace(finetune, seed=seed),
                    torch.Generator().manual_seed(seed),
                    progress=False,
                )
                with torch.no_grad():
                    held_inputs = inputs[[position[r] for r in held]]
                    head_input = held_inputs if policy_type == "frozen" else held_inputs.float()
                    predicted = policy.eval().head(head_input).numpy()
                per_seed.append({"seed": seed, **action_errors(store.actions[held], predicted)})
                bar.update()
            per_task.append({"task": task, **_mean_errors(per_seed), "per_seed": per_seed})
        results[name] = {
            "tasks": list(splits),
            **_mean_errors(per_task),
            "per_task": per_task,
            "config": asdict(config),
        }
    bar.close()
    task_errors = {name: [t["mse"] for t in result["per_task"]] for name, result in results.items()}
    for name, rank in mean_ranks(task_errors).items():
        results[name]["mean_rank"] = rank
    return results


def _mean_errors(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Means of ``mse``, ``r2`` and ``r2_per_dim`` over seeds or tasks."""
    return {
        "mse": float(np.mean([r["mse"] for r in results])),
        "r2": float(np.mean([r["r2"] for r in results])),
        "r2_per_dim": np.mean([r["r2_per_dim"] for r in results], axis=0).tolist(),
    }


def ranks(values: np.ndarray | list[float]) -> np.ndarray:
    """1-based ranks, smallest first; ties share their mean rank."""
    values = np.asarray(values, dtype=float)
    ranked = np.empty(len(values))
    ranked[values.argsort(kind="stable")] = np.arange(1, len(values) + 1, dtype=float)
    for value in np.unique(values):
        ranked[values == value] = ranked[values == value].mean()
    return ranked


def mean_ranks(errors: dict[str, list[float]]) -> dict[str, float]:
    """Each name's rank on each task (1 = lowest error), averaged over tasks: every task counts
    once, however large its errors are."""
    names = list(errors)
    per_task = np.array([errors[name] for name in names]).T  # tasks x names
    return dict(zip(names, np.mean([ranks(task) for task in per_task], axis=0).tolist(), strict=True))


def action_errors(true: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """MSE over everything, and R² per action dimension around the held-out mean (NaN where the
    held-out action does not vary: a saturated or constant action leaves R² undefined)."""
    residual = ((true - predicted) ** 2).sum(axis=0)
    spread = ((true - true.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(spread > 1e-12 * len(true), 1 - residual / spread, np.nan)
    return {
        "mse": float(np.mean((true - predicted) ** 2)),
        "r2": float(np.nanmean(r2)) if np.isfinite(r2).any() else float("nan"),
        "r2_per_dim": r2.tolist(),
    }


def evaluated_tasks(store: EpisodeStore, config: OfflineConfig) -> dict[int, np.ndarray]:
    """The evaluated tasks and their episodes; each needs ``demos`` to train on and one to hold out."""
    tasks = store.episodes["task_index"].to_numpy()
    values, counts = np.unique(tasks, return_counts=True)
    most = sorted(zip(values.tolist(), counts.tolist(), strict=True), key=lambda x: (-x[1], x[0]))
    listing = ", ".join(f"{v} ({c})" for v, c in most[:5])
    if config.tasks:
        chosen = list(config.tasks)
        for task in chosen:
            if task not in values:
                raise StoreError(
                    f"{store.root}: no task {task} (--tasks); tasks with the most episodes: {listing}"
                )
    else:
        chosen = [v for v, c in most if c > config.demos][: config.max_tasks] or [most[0][0]]
    episodes = {task: np.flatnonzero(tasks == task) for task in chosen}
    for task, found in episodes.items():
        if len(found) < config.demos + 1:
            raise StoreError(
                f"{store.root}: task {task} has {len(found)} episode(s); --demos {config.demos} needs "
                f"at least {config.demos + 1} (the rest are held out). "
                f"Tasks with the most episodes: {listing}"
            )
    return episodes


def _rows(store: EpisodeStore, episodes: np.ndarray) -> np.ndarray:
    """Frame rows that carry an action, of the given episodes, in store order."""
    chosen = np.isin(store.episode_index, episodes) & store.has_action
    return np.flatnonzero(chosen)


def _inputs(name: str, store: EpisodeStore, rows: np.ndarray):  # noqa: ANN202
    """(policy type, head inputs for ``rows``, a maker of a fresh policy) for one encoder name."""
    if name == STATE:
        if store.states.shape[1] == 0:
            raise StoreError(f"{store.root}: no observation.state for the {STATE!r} row")
        columns = tuple(range(store.states.shape[1]))
        return (
            STATE,
            torch.from_numpy(store.states[rows]),
            lambda: Policy(STATE, store.action_dim, None, 0.1, columns),
        )
    encoder = load_encoder(name)
    store.use_cameras(encoder_cameras(name) or store.image_keys[:1])
    if encoder.config.image_size != store.image_size:
        raise ValueError(
            f"{name}: takes {encoder.config.image_size} px frames, "
            f"but {store.root} holds {store.image_size} px"
        )
    with torch.no_grad():
        chunks = np.array_split(rows, max(1, len(rows) // 512))
        embeddings = torch.cat([encoder(torch.from_numpy(store.images[c])) for c in chunks])
    return "frozen", embeddings, lambda: Policy("frozen", store.action_dim, encoder.config, 0.1)


def table(results: dict[str, dict[str, Any]], names: dict[str, str] | None = None) -> str:
    """A Markdown table of the results, lowest mean held-out MSE first."""
    names = names or {}
    lines = [
        "| encoder | held-out MSE | R² (mean) | R² per action dim | mean rank over tasks |",
        "|---|---|---|---|---|",
    ]
    for name, result in sorted(results.items(), key=lambda item: item[1]["mse"]):
        per_dim = ", ".join(f"{v:.2f}" for v in result["r2_per_dim"])
        lines.append(
            f"| {names.get(name, name)} | {result['mse']:.4f} | {result['r2']:.3f} | {per_dim} | "
            f"{result['mean_rank']:.2f} |"
        )
    n = len(next(iter(results.values()))["tasks"]) if results else 0
    return "\n".join([*lines, "", f"Over {n} task(s); rank 1 is the lowest held-out MSE on a task."])
