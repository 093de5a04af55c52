"""``dynarep label``: train an inverse dynamics labeller on a labelled store, label another store.

The output is a new store: the unlabelled store's frames and episodes, an ``action`` column from
the labeller, an ``action_source`` column (``idm``, or ``expert`` where ``--existing keep`` kept a
recorded action) and, in ``meta/info.json``, the labeller's provenance: its config, the SHA-256 of
its weights (kept in ``OUT/labeller/``), the labelled store, and its labelling error on held-out
labelled episodes. The stores it reads are never modified.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import torch
from tqdm import tqdm

from dynarep.data.augment import shift_windows
from dynarep.data.store import (
    EpisodeStore,
    StoreError,
    atomic_write_json,
    atomic_write_parquet,
    store_files,
)
from dynarep.data.store_writer import check_new_store, staged_folder
from dynarep.evaluate.offline import action_errors
from dynarep.files import checksums, read_parquet, seal
from dynarep.label.idm import (
    EarlyFusionLabeller,
    InverseDynamicsLabeller,
    LabellerConfig,
    StateLabeller,
    gather,
    gather_states,
    run_anchors,
    run_rows,
)
from dynarep.nets.encoder import ConvEncoder, default_encoder_config
from dynarep.train.checkpoint import save_weights
from dynarep.train.encoder_io import load_encoder
from dynarep.train.schedule import cosine_lr, make_optimizer, set_lr

EXISTING = ("error", "keep", "relabel")
Labeller = InverseDynamicsLabeller | EarlyFusionLabeller | StateLabeller
PREDICT_BATCH = 256


def label(
    labelled_path: str | Path,
    unlabelled_path: str | Path,
    out: str | Path,
    config: LabellerConfig | None = None,
    existing: str = "error",
    progress: bool = True,
) -> Path:
    """Write ``out``: the unlabelled store with IDM actions; returns ``out``."""
    config = config or LabellerConfig()
    out = Path(out)
    check_new_store(out)
    labelled = EpisodeStore(labelled_path, in_memory=True)
    unlabelled = EpisodeStore(unlabelled_path)
    check_inputs(labelled, unlabelled, config, existing)
    started = time.perf_counter()
    model, validation = train_labeller(labelled, config, progress)
    predictions = predict(model, unlabelled, config, progress)
    with staged_folder(out) as tmp:
        digest = _save_labeller(tmp / "labeller", model, config, labelled)
        provenance = {
            "labeller": {"config": asdict(config), "sha256": digest, "path": "labeller/labeller.safetensors"},
            "labelled_store": {"path": str(Path(labelled_path).resolve()), "env": labelled.info.get("env")},
            "validation": validation,
            "existing": existing,
            "seconds": round(time.perf_counter() - started, 1),
        }
        if existing == "relabel" and unlabelled.has_actions:  # the truth is there: say how close
            rows = np.flatnonzero(unlabelled.has_action)
            provenance["error_vs_replaced_actions"] = action_errors(
                unlabelled.actions[rows], predictions[rows]
            )
        _write_store(tmp, unlabelled, predictions, existing, provenance)
    return out


def check_inputs(
    labelled: EpisodeStore, unlabelled: EpisodeStore, config: LabellerConfig, existing: str
) -> None:
    """Every refusal before any work, each one line naming the flag or store."""
    if existing not in EXISTING:
        raise ValueError(f"--existing {existing!r}: choose one of {', '.join(EXISTING)}")
    if config.encoder and (config.inputs == "state" or config.fusion == "early"):
        raise ValueError("--encoder: only the late-fusion frame labeller starts from an encoder")
    if config.segment > 1 and (config.inputs == "state" or config.fusion == "early"):
        raise ValueError("--segment: only the late-fusion frame labeller trains on runs of frames")
    if config.shift and config.inputs == "state":
        raise ValueError("--shift: only the frame labeller shifts frames; drop it with --inputs state")
    if config.past < 0 or config.future < 0 or config.past + config.future == 0:
        raise ValueError("--past/--future: the window needs at least one frame besides t")
    if not labelled.has_actions:
        raise StoreError(f"--labelled {labelled.root}: has no actions to learn from")
    env_a, env_b = (
        (labelled.info.get("env") or {}).get("name"),
        (unlabelled.info.get("env") or {}).get("name"),
    )
    if env_a != env_b:
        raise StoreError(
            f"--labelled {labelled.root} comes from environment {env_a!r}, --unlabelled {unlabelled.root} "
            f"from {env_b!r}; a labeller only transfers within one environment"
        )
    if config.inputs == "state" and labelled.states.shape[1] != unlabelled.states.shape[1]:
        raise StoreError(
            f"--inputs state: --labelled {labelled.root} holds {labelled.states.shape[1]}-d states, "
            f"--unlabelled {unlabelled.root} {unlabelled.states.shape[1]}-d"
        )
    if config.inputs == "frames" and labelled.image_size != unlabelled.image_size:
        raise StoreError(
            f"--labelled {labelled.root} holds {labelled.image_size} px frames, --unlabelled "
            f"{unlabelled.root} {unlabelled.image_size} px; import or collect them at one size"
        )
    if unlabelled.has_actions and unlabelled.action_dim != labelled.action_dim:
        raise StoreError(
            f"--unlabelled {unlabelled.root}: {unlabelled.action_dim}-d actions, "
            f"the labelled store's are {labelled.action_dim}-d"
        )
    if unlabelled.has_actions and existing == "error":
        raise StoreError(
            f"--unlabelled {unlabelled.root} already has actions; pass --existing keep (keep them, "
            "label nothing new) or --existing relabel (replace them by IDM labels, the originals "
            "kept as action.original)"
        )
    window = config.past + config.future + 1
    for store in (labelled, unlabelled):
        shortest = int(store.lengths.min()) + 1
        if window > shortest:
            raise StoreError(
                f"--past {config.past} --future {config.future}: a window of {window} frames is longer "
                f"than the shortest episode of {store.root} ({shortest} frames)"
            )


def windows(store: EpisodeStore, rows: np.ndarray, config: LabellerConfig) -> torch.Tensor:
    """The labeller's input around each row: frame windows or state windows."""
    return (gather if config.inputs == "frames" else gather_states)(store, rows, config.offsets)


def train_labeller(
    store: EpisodeStore, config: LabellerConfig, progress: bool
) -> tuple[Labeller, dict[str, Any]]:
    """Fit on most labelled episodes; the labelling error on the held-out ones (MSE, R² per dim)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(store.num_episodes)
    held = int(round(config.validation * store.num_episodes)) if store.num_episodes > 1 else 0
    val_episodes, train_episodes = order[:held], order[held:]
    train_rows = np.flatnonzero(np.isin(store.episode_index, train_episodes) & store.has_action)
    val_rows = np.flatnonzero(np.isin(store.episode_index, val_episodes) & store.has_action)
    if config.inputs == "state":
        states = torch.from_numpy(store.states[train_rows])
        model: Labeller = StateLabeller(
            states.mean(0), states.std(0) + 1e-3, len(config.offsets), store.action_dim
        )
    elif config.encoder:
        encoder = load_encoder(config.encoder)
        if encoder.config.image_size != store.image_size:
            raise ValueError(
                f"--encoder {config.encoder}: {encoder.config.image_size} px, the store {store.image_size} px"
            )
    else:
        encoder = ConvEncoder(default_encoder_config(store.image_size))
        sample = rng.choice(len(store.images), size=min(5000, len(store.images)), replace=False)
        mean_frames = torch.from_numpy(np.asarray(store.images[np.sort(sample)]))
        encoder.set_mean_frame(mean_frames)
    if config.inputs == "frames" and config.fusion == "early":
        model = EarlyFusionLabeller(store.image_size, len(config.offsets), store.action_dim, mean_frames)
    elif config.inputs == "frames":
        model = InverseDynamicsLabeller(encoder, len(config.offsets), store.action_dim)
    optimizer = make_optimizer(model, config.lr, config.batch_size, config.weight_decay)
    peak = optimizer.param_groups[0]["lr"]
    actions = torch.from_numpy(store.actions)
    shifts = torch.Generator().manual_seed(config.seed)
    anchors = run_anchors(store, train_rows, config.segment) if config.segment > 1 else train_rows
    if not len(anchors):
        raise StoreError(
            f"--segment {config.segment}: {store.root} has no run of {config.segment} labelled steps "
            "in one episode; lower --segment"
            if config.segment > 1
            else f"--validation {config.validation}: leaves no labelled episode of {store.root} to train on"
        )
    model.train()
    for step in tqdm(range(config.steps), desc="train labeller", unit="step", disable=not progress):
        set_lr(optimizer, cosine_lr(peak, step, config.steps))
        if config.segment > 1:  # runs of consecutive steps, each frame encoded once
            starts = rng.choice(anchors, size=max(1, config.batch_size // config.segment))
            indices = run_rows(store, starts, config.offsets, config.segment)
            runs = torch.from_numpy(np.asarray(store.images[indices.reshape(-1)]))
            runs = shift_windows(runs.view(*indices.shape, *store.images.shape[1:]), config.shift, shifts)
            prediction = model.forward_runs(runs).flatten(0, 1)
            target = actions[(starts[:, None] + np.arange(config.segment)).reshape(-1)]
        else:
            rows = rng.choice(train_rows, size=config.batch_size)
            inputs = windows(store, rows, config)
            if config.inputs == "frames":
                inputs = shift_windows(inputs, config.shift, shifts)
            prediction, target = model(inputs), actions[rows]
        loss = torch.mean((prediction - target) ** 2)
        if not torch.isfinite(loss):
            raise RuntimeError(
                f"label: the labeller's loss is {loss.item()} at step {step}; try a lower --lr"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    model.eval()
    validation: dict[str, Any] = {"episodes": int(held), "frames": int(len(val_rows))}
    if len(val_rows):
        validation.update(
            action_errors(store.actions[val_rows], _predict_rows(model, store, val_rows, config))
        )
    return model, validation


@torch.no_grad()
def _predict_rows(
    model: Labeller, store: EpisodeStore, rows: np.ndarray, config: LabellerConfig
) -> np.ndarray:
    return np.concatenate(
        [
            model(windows(store, rows[i : i + PREDICT_BATCH], config)).numpy()
            for i in range(0, len(rows), PREDICT_BATCH)
        ]
    )


def predict(model: Labeller, store: EpisodeStore, config: LabellerConfig, progress: bool) -> np.ndarray:
    """A label for every frame of ``store`` (float32, (frames, action_dim))."""
    rows = np.arange(len(store.images))
    parts = []
    for i in tqdm(range(0, len(rows), PREDICT_BATCH), desc="label", unit="batch", disable=not progress):
        parts.append(_predict_rows(model, store, rows[i : i + PREDICT_BATCH], config))
    return np.concatenate(parts).astype(np.float32)


def _save_labeller(folder: Path, model: Labeller, config: LabellerConfig, store: EpisodeStore) -> str:
    info = {
        "kind": "dynarep.labeller/v1",
        "config": asdict(config),
        "offsets": list(config.offsets),
        "encoder": model.encoder.config.to_dict() if isinstance(model, InverseDynamicsLabeller) else None,
        "action_dim": store.action_dim,
    }
    return save_weights(folder / "labeller", model, info)


def _write_store(
    root: Path, source: EpisodeStore, predictions: np.ndarray, existing: str, provenance: dict[str, Any]
) -> None:
    """The source store with new action columns; frames linked (or copied), never modified."""
    frames = read_parquet(
        source.root / "data" / "frames.parquet", source.checksums.get("data/frames.parquet")
    )
    keep = existing == "keep" and source.has_actions
    actions = np.where(source.has_action[:, None], source.actions, predictions) if keep else predictions
    sources = np.where(source.has_action, "expert", "idm") if keep else np.full(len(predictions), "idm")
    columns = {name: frames[name] for name in frames.column_names if name != "action"}
    columns["action"] = pa.array(list(actions.astype(np.float32)))
    columns["action_source"] = pa.array(sources.tolist(), pa.string())
    if source.has_actions and not keep:
        columns["action.original"] = frames["action"]
    atomic_write_parquet(root / "data" / "frames.parquet", pa.table(columns))
    (root / "meta").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source.root / "meta" / "episodes.parquet", root / "meta" / "episodes.parquet")
    (root / "images").mkdir(parents=True, exist_ok=True)
    for key in source.image_keys:
        name = f"{key}.npy"
        try:
            os.link(source.root / "images" / name, root / "images" / name)  # frames are read-only: share them
        except OSError:
            shutil.copyfile(source.root / "images" / name, root / "images" / name)
    info = {**source.info, "labels": provenance, "checksums": checksums(root, store_files(root))}
    atomic_write_json(root / "meta" / "info.json", seal(info))
