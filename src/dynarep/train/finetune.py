"""``dynarep finetune``: behaviour cloning on a few demonstrations of a new hidden context.

With a frozen encoder the embeddings of every finetuning frame are computed once and only the MLP
head trains (protocol §1.3: no augmentation, encoder never unfrozen). The scratch baseline trains
the same encoder + head end to end with random shifts; the state oracle trains the head on the
true position.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from dynarep.data.augment import random_shift
from dynarep.data.store import EpisodeStore, StoreError
from dynarep.envs import environment_names, make_environment
from dynarep.files import check_folder_path
from dynarep.nets.encoder import default_encoder_config
from dynarep.train.encoder_io import encoder_cameras, load_encoder
from dynarep.train.finetune_config import FinetuneConfig
from dynarep.train.metrics import LoggingConfig, MetricLog
from dynarep.train.policy import Policy, fold_normalisation, write_policy_folder
from dynarep.train.pretrain import TrainingDiverged
from dynarep.train.schedule import cosine_lr, make_optimizer, resolve_device, set_lr


def finetune(
    store_path: str | Path,
    out: str | Path,
    policy_type: str = "frozen",
    encoder_path: str | Path | None = None,
    config: FinetuneConfig | None = None,
    progress: bool = True,
    device: str = "auto",
    logging: LoggingConfig | None = None,
) -> Path:
    """Train a policy and write ``out/policy.safetensors`` + ``out/policy.json``; returns ``out``.

    ``device``: auto (CUDA when available), cpu, cuda, ...; the saved policy is always on the CPU.
    ``logging``: the loss curve also to TensorBoard or W&B (``log.jsonl`` is always written).
    """
    config = config or FinetuneConfig()
    check_folder_path(out)
    out = Path(out)
    if policy_type == "frozen" and encoder_path is None:
        raise ValueError("--encoder: a frozen-encoder policy needs a pretrained encoder")
    store = EpisodeStore(store_path, in_memory=True)
    if policy_type == "frozen":
        store.use_cameras(encoder_cameras(encoder_path))
    rows = store.episode_frame_rows(config.demos)
    rows = rows[store.has_action[rows]]
    if len(rows) == 0:
        raise StoreError(f"{store.root}: the first {config.demos} episodes hold no actions")
    actions = torch.from_numpy(store.actions[rows])
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)

    if policy_type == "frozen":
        encoder = load_encoder(encoder_path)
        if encoder.config.image_size != store.image_size:
            raise ValueError(
                f"--encoder {encoder_path}: takes {encoder.config.image_size} px frames, but "
                f"{store.root} holds {store.image_size} px"
            )
        policy = Policy("frozen", store.action_dim, encoder.config, config.dropout)
        policy.encoder.load_state_dict(encoder.state_dict())
        policy.encoder.requires_grad_(False)
        with torch.no_grad():
            inputs = torch.cat(
                [
                    policy.encoder(torch.from_numpy(store.images[c]))
                    for c in np.array_split(rows, max(1, len(rows) // 512))
                ]
            )
    elif policy_type == "scratch":
        policy = Policy("scratch", store.action_dim, default_encoder_config(store.image_size), config.dropout)
        inputs = torch.from_numpy(np.asarray(store.images[rows]))
        policy.encoder.set_mean_frame(inputs)
    elif policy_type == "state":
        columns = state_columns_for(store, config.state_columns)
        policy = Policy("state", store.action_dim, None, config.dropout, columns)
        inputs = torch.from_numpy(store.states[rows][:, list(columns)])
    else:
        raise ValueError(f"--policy-type {policy_type!r}: choose frozen, scratch or state")
    standardize = config.standardize_states and policy_type == "state"
    if standardize:
        mean, std = inputs.mean(0), inputs.std(0).clamp_min(STD_FLOOR)
        inputs = (inputs - mean) / std

    log = fit(policy, policy_type, inputs, actions, config, generator, resolve_device(device), progress)
    if standardize:
        fold_normalisation(policy, mean, std)
    encoder = str(Path(encoder_path).resolve()) if encoder_path else None
    if logging is not None and (logging.tensorboard or logging.wandb):
        out.mkdir(parents=True, exist_ok=True)
        sinks = MetricLog(out, logging, {"finetune": asdict(config), "policy_type": policy_type}, jsonl=False)
        for record in log:
            sinks.write(record)
        sinks.close()
    return write_policy_folder(
        out, policy.cpu().eval(), log, store, {"finetune": asdict(config), "encoder_path": encoder}
    )


STD_FLOOR = 1e-2
"""A column that barely moves in the demos (an unused object slot, a quaternion at rest) is scaled
by at most 1/STD_FLOOR, so a small change at rollout time does not become a huge input."""


def state_columns_for(store: EpisodeStore, which: str) -> tuple[int, ...]:
    """Columns of ``observation.state`` a state policy reads: ``all``, or ``oracle``, the
    environment's choice (imported data has no environment to name them: all)."""
    registered = store.env_config.get("name", "pointmass") in environment_names()
    if which == "oracle" and registered:
        return tuple(make_environment(store.env_config).oracle_state)
    return tuple(range(store.states.shape[1]))


def fit(
    policy: Policy,
    policy_type: str,
    inputs: torch.Tensor,
    actions: torch.Tensor,
    config: FinetuneConfig,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
    progress: bool = True,
) -> list[dict[str, float]]:
    """Behaviour cloning of ``actions`` from ``inputs`` (embeddings, pixels or states, by
    ``policy_type``); trains in place and returns the loss log. Frozen policies train the head only."""
    policy.to(device)
    inputs, actions = inputs.to(device), actions.to(device)
    trainable = policy.head if policy_type == "frozen" else policy
    optimizer = make_optimizer(trainable, config.lr, config.batch_size, config.weight_decay)
    peak = optimizer.param_groups[0]["lr"]
    policy.train()
    if policy.encoder is not None and policy_type == "frozen":
        policy.encoder.eval()
    log = []
    started = time.perf_counter()
    for step in tqdm(range(config.steps), desc=f"finetune {policy_type}", disable=not progress):
        set_lr(optimizer, cosine_lr(peak, step, config.steps))
        idx = torch.randint(0, len(inputs), (config.batch_size,), generator=generator).to(device)
        if policy_type == "frozen":
            prediction = policy.head(inputs[idx])
        elif policy_type == "scratch":
            prediction = policy(random_shift(inputs[idx].cpu(), config.shift, generator).to(device), None)
        else:
            prediction = policy(None, inputs[idx])
        loss = torch.mean((prediction - actions[idx]) ** 2)
        if not torch.isfinite(loss):
            raise TrainingDiverged(
                f"finetune {policy_type}: loss is {loss.item()} at step {step}; try a lower --lr"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if (step + 1) % 100 == 0 or step + 1 == config.steps:
            log.append(
                {
                    "step": step + 1,
                    "finetune/loss": loss.item(),
                    "time": round(time.perf_counter() - started, 2),
                }
            )
    return log
