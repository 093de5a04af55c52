"""``dynarep pretrain``: train an encoder with any registered objective.

The loop reads ``objective.needs`` to build the sampler, calls ``objective(batch)``, steps AdamW
with cosine decay, logs JSONL, checkpoints atomically (resuming where an interrupted run stopped),
refuses to continue on a NaN/inf loss, and exports the encoder. It never names an objective.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from dynarep.data.store import EpisodeStore, atomic_write_json, frames_fit_in_memory
from dynarep.data.windows import WindowSampler
from dynarep.files import check_folder_path, read_json, read_sealed_json, read_tensors, seal
from dynarep.nets.encoder import EncoderConfig, default_encoder_config
from dynarep.nets.factory import build_encoder
from dynarep.nets.multicam import MultiCameraConfig
from dynarep.objectives import get_objective
from dynarep.train.checkpoint import CheckpointError, load_optimizer, optimizer_tensors, save_tensors
from dynarep.train.distributed import Processes
from dynarep.train.encoder_io import export_encoder
from dynarep.train.metrics import LoggingConfig, MetricLog
from dynarep.train.pretrain_config import PretrainConfig
from dynarep.train.schedule import cosine_lr, make_optimizer, set_lr


class TrainingDiverged(RuntimeError):
    """The loss became NaN or inf; the last good checkpoint is kept."""


def config_differences(stored: dict[str, Any], current: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ. A key missing from ``stored`` (an option added since that
    run was made) counts as equal: new options default to the old behaviour."""
    differences = []
    for key, value in current.items():
        if key not in stored:
            continue
        if isinstance(value, dict) and isinstance(stored[key], dict):
            differences += config_differences(stored[key], value, f"{prefix}{key}.")
        elif stored[key] != value:
            differences.append(f"{prefix}{key}")
    return differences


def objective_revision(config_class: type) -> int:
    """An objective's ``revision`` (a ClassVar on its config, default 1). It is raised when a change
    of default alters the loss, so that a run folder made before the change is not mistaken for a
    finished run of the new loss (missing options otherwise count as equal)."""
    return int(getattr(config_class, "revision", 1))


def mean_frame_sample(
    store: EpisodeStore, rows: np.ndarray, count: int = 5000, seed: int = 0
) -> torch.Tensor:
    picked = np.sort(np.random.default_rng(seed).choice(rows, size=min(count, len(rows)), replace=False))
    return torch.from_numpy(np.asarray(store.images[picked]))


def pretrain(
    store_path: str | Path,
    out: str | Path,
    objective: str,
    objective_config: Any | None = None,
    config: PretrainConfig | None = None,
    encoder_config: EncoderConfig | MultiCameraConfig | None = None,
    progress: bool = True,
    device: str = "auto",
    logging: LoggingConfig | None = None,
) -> Path:
    """Pretrain and export ``out/encoder.safetensors``; returns its path. Idempotent and resumable.

    ``device`` is auto (CUDA when available), cpu, cuda, cuda:1, ...; it is not part of the run's
    identity, so a run started on one device can be resumed on another. Neither is ``logging``
    (metrics to TensorBoard or W&B besides ``log.jsonl``).
    """
    config = config or PretrainConfig()
    check_folder_path(out)
    config_class, objective_class = get_objective(objective)
    objective_config = objective_config if objective_config is not None else config_class()
    out = Path(out)
    in_memory = frames_fit_in_memory(store_path)  # else memory-mapped: a store larger than RAM still trains
    store = EpisodeStore(store_path, in_memory=in_memory).use_cameras(config.cameras)
    encoder_config = encoder_config or default_encoder_config(store.image_size)
    if len(store.camera_keys) > 1 and not isinstance(encoder_config, MultiCameraConfig):
        encoder_config = MultiCameraConfig(
            encoder_config, tuple(store.camera_keys), not config.separate_cameras
        )
    if encoder_config.image_size != store.image_size:
        raise ValueError(
            f"--image-size: encoder expects {encoder_config.image_size} px but {store.root} holds "
            f"{store.image_size} px frames"
        )
    run = {
        "objective": objective,
        "objective_revision": objective_revision(config_class),
        "objective_config": asdict(objective_config),
        "pretrain": asdict(config),
        "encoder": encoder_config.to_dict(),
        "store": str(Path(store_path).resolve()),
        "store_info": {k: store.info[k] for k in ("env", "collection", "num_episodes")},
    }
    config_path = out / "config.json"
    if config_path.exists():
        stored = read_json(config_path)
        stored.setdefault("objective_revision", 1)  # runs made before revisions were recorded
        differences = config_differences(stored, json.loads(json.dumps(run)))
        if differences:
            raise ValueError(
                f"{out}: holds a pretraining run with another configuration ({', '.join(differences)}); "
                "choose another --out or delete it"
            )
        if (out / "encoder.json").exists():
            return out / "encoder.safetensors"
    torch.manual_seed(config.seed)
    encoder = build_encoder(encoder_config)
    rows = store.episode_frame_rows(config.max_episodes)
    encoder.set_mean_frame(mean_frame_sample(store, rows, seed=config.seed))  # before objectives copy φ
    model = objective_class(objective_config, encoder, store.action_dim)
    if model.needs.actions and not store.has_actions:
        raise ValueError(
            f"{store.root}: an action-free store (no action column); objective {objective} needs actions, "
            "choose one whose window reads frames only"
        )
    sampler = WindowSampler(store, model.needs, seed=config.seed, max_episodes=config.max_episodes)
    processes = Processes.start(device)  # one, or several under `accelerate launch` / `torchrun`
    if config.batch_size % processes.count:
        raise ValueError(
            f"--batch-size {config.batch_size}: must split evenly over the {processes.count} processes"
        )
    if processes.is_main:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "config.json", run)  # only once the run is known to start
    trained = processes.prepare(model)  # on its device; with several processes, wrapped for DDP
    optimizer = make_optimizer(model, config.lr, config.batch_size, config.weight_decay)
    peak_lr = optimizer.param_groups[0]["lr"]
    step = _resume(out, model, optimizer, sampler)

    log = MetricLog(out, logging, run) if processes.is_main else None
    bar = tqdm(
        total=config.steps,
        initial=step,
        desc=f"pretrain {objective}",
        unit="step",
        disable=not progress or not processes.is_main,
    )
    model.train()
    started = time.perf_counter()
    while step < config.steps:
        set_lr(optimizer, cosine_lr(peak_lr, step, config.steps))
        batch = sampler.sample(config.batch_size).shard(processes.rank, processes.count)
        loss, metrics = trained(batch.to(processes.device))
        if not math.isfinite(loss.item()):
            raise TrainingDiverged(
                f"pretrain {objective}: loss is {loss.item()} at step {step}; stopped, the last good "
                f"checkpoint in {out} is kept (try a lower --lr)"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # under DDP this also averages the gradients over processes
        optimizer.step()
        step += 1
        bar.update()
        if step % config.log_every == 0 or step == config.steps:
            metrics = processes.mean(metrics)
            record = {"step": step, "time": round(time.perf_counter() - started, 2)}
            record.update({f"pretrain/{k}": v for k, v in metrics.items()})
            record["pretrain/lr"] = optimizer.param_groups[0]["lr"]
            if log is not None:
                log.write(record)
            bar.set_postfix(loss=f"{metrics.get('loss', float('nan')):.4f}")
        if step % config.checkpoint_every == 0 and step < config.steps:
            if processes.is_main:
                _checkpoint(out, model, optimizer, sampler, step)
            processes.wait()
    bar.close()
    provenance = {"objective": objective, "steps": step, "store": run["store_info"]}
    if config.cameras:
        provenance["cameras"] = list(store.camera_keys)
    if processes.is_main:
        log.close()
        _checkpoint(out, model, optimizer, sampler, step)
        export_encoder(out, encoder.cpu().eval(), provenance)
    processes.finish()
    return out / "encoder.safetensors"


def _checkpoint(
    out: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, sampler: WindowSampler, step: int
) -> None:
    tensors, meta = optimizer_tensors(optimizer)
    tensors.update({f"model.{k}": v for k, v in model.state_dict().items()})
    tensors["rng.torch"] = torch.get_rng_state()  # dropout draws from the global generator
    digest = save_tensors(out / "checkpoint.safetensors", tensors)
    atomic_write_json(
        out / "checkpoint.json",
        seal({"step": step, "optimizer": meta, "sampler": sampler.state_dict(), "sha256": digest}),
    )


def _resume(
    out: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, sampler: WindowSampler
) -> int:
    meta_path = out / "checkpoint.json"
    if not meta_path.exists():
        return 0
    meta = read_sealed_json(meta_path, CheckpointError, "a dynarep checkpoint")
    tensors = read_tensors(out / "checkpoint.safetensors", meta.get("sha256"))
    model.load_state_dict({k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")})
    load_optimizer(optimizer, tensors, meta["optimizer"])
    sampler.load_state_dict(meta["sampler"])
    torch.set_rng_state(tensors["rng.torch"])
    return int(meta["step"])
