"""``dynarep evaluate-offline``: rank encoders on recorded data, without a simulator.

For one task of a store, a few-shot head is trained on ``demos`` episodes (exactly as ``finetune``
trains it: frozen encoder, the same MLP, steps and optimiser) and scored on the task's other
episodes by held-out action error: mean squared error, and R² per action dimension (1 is perfect,
0 is no better than predicting the held-out mean action). Each seed draws other training
episodes and another head initialisation; the figures are means over seeds.

Why a proxy at all: real-robot data has no simulator to roll out in. On the point mass this
ranking is compared with rollout success (benchmarks/RESULTS.md) to say how far it can be trusted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import torch
from tqdm import tqdm

from dynarep.config_checks import AT_LEAST_1, Checked
from dynarep.data.store import EpisodeStore, StoreError
from dynarep.train.encoder_io import encoder_cameras, load_encoder
from dynarep.train.finetune import FinetuneConfig, fit
from dynarep.train.policy import Policy

STATE = "state"


@dataclass
class OfflineConfig(Checked):
    """Settings of offline evaluation."""

    demos: Annotated[int, AT_LEAST_1] = 5
    """Training episodes of the task; the task's other episodes are held out."""
    task: int | None = None
    """task_index to evaluate on (default: the task with the most episodes)."""
    seeds: Annotated[int, AT_LEAST_1] = 3
    """Repeats, each with other training episodes and head initialisation."""
    max_heldout: Annotated[int, AT_LEAST_1] = 50
    """At most this many held-out episodes per seed."""
    steps: Annotated[int, AT_LEAST_1] = 2000
    """Head-training steps (as finetune)."""
    batch_size: Annotated[int, AT_LEAST_1] = 256
    """Frames per step."""


def evaluate_offline(
    store_path: str | Path,
    encoders: list[str],
    config: OfflineConfig | None = None,
    progress: bool = True,
) -> dict[str, dict[str, Any]]:
    """Held-out action error of a few-shot head on each encoder (a run folder, an exported folder,
    or ``"state"``: the head reads ``observation.state``). Returns, per name, ``mse``, ``r2`` (mean
    over action dimensions), ``r2_per_dim`` and the per-seed figures."""
    config = config or OfflineConfig()
    store = EpisodeStore(store_path, in_memory=True)
    if not store.has_actions:
        raise StoreError(f"{store.root}: an action-free store; offline evaluation scores predicted actions")
    task, episodes = task_episodes(store, config)
    splits = []
    for seed in range(config.seeds):
        order = np.random.default_rng(seed).permutation(episodes)
        splits.append(
            (_rows(store, order[: config.demos]), _rows(store, order[config.demos :][: config.max_heldout]))
        )
    task_rows = _rows(store, episodes)
    finetune = FinetuneConfig(demos=config.demos, steps=config.steps, batch_size=config.batch_size)
    results: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=len(encoders) * config.seeds, desc="evaluate-offline", unit="fit", disable=not progress)
    for name in encoders:
        policy_type, inputs, make_policy = _inputs(name, store, task_rows)
        position = {row: i for i, row in enumerate(task_rows)}
        per_seed = []
        for seed, (train, held) in enumerate(splits):
            torch.manual_seed(seed)
            policy = make_policy()
            train_inputs = inputs[[position[r] for r in train]]
            actions = torch.from_numpy(store.actions[train])
            generator = torch.Generator().manual_seed(seed)
            fit(
                policy,
                policy_type,
                train_inputs,
                actions,
                replace(finetune, seed=seed),
                generator,
                progress=False,
            )
            with torch.no_grad():
                held_inputs = inputs[[position[r] for r in held]]
                head_input = held_inputs if policy_type == "frozen" else held_inputs.float()
                predicted = policy.eval().head(head_input).numpy()
            per_seed.append({"seed": seed, **action_errors(store.actions[held], predicted)})
            bar.update()
        results[name] = {
            "task": task,
            "mse": float(np.mean([r["mse"] for r in per_seed])),
            "r2": float(np.mean([r["r2"] for r in per_seed])),
            "r2_per_dim": np.mean([r["r2_per_dim"] for r in per_seed], axis=0).tolist(),
            "per_seed": per_seed,
            "config": asdict(config),
        }
    bar.close()
    return results


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


def task_episodes(store: EpisodeStore, config: OfflineConfig) -> tuple[int, np.ndarray]:
    """The evaluated task and its episodes; enough of them to train on ``demos`` and hold out one."""
    tasks = store.episodes["task_index"].to_numpy()
    values, counts = np.unique(tasks, return_counts=True)
    task = int(values[np.argmax(counts)]) if config.task is None else config.task
    episodes = np.flatnonzero(tasks == task)
    if len(episodes) < config.demos + 1:
        raise StoreError(
            f"{store.root}: task {task} has {len(episodes)} episode(s); --demos {config.demos} needs "
            f"at least {config.demos + 1} (the rest are held out). Tasks with the most episodes: "
            + ", ".join(
                f"{v} ({c})" for v, c in sorted(zip(values, counts, strict=True), key=lambda x: -x[1])[:5]
            )
        )
    return task, episodes


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
    """A Markdown table of the results, best R² first."""
    names = names or {}
    lines = ["| encoder | held-out MSE | R² (mean) | R² per action dim |", "|---|---|---|---|"]
    for name, result in sorted(results.items(), key=lambda item: -item[1]["r2"]):
        per_dim = ", ".join(f"{v:.2f}" for v in result["r2_per_dim"])
        lines.append(f"| {names.get(name, name)} | {result['mse']:.4f} | {result['r2']:.3f} | {per_dim} |")
    return "\n".join(lines)
