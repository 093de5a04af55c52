"""Few-shot policies: a frozen (or from-scratch) encoder plus the protocol's MLP head.

Three kinds share one class so that evaluation never cares how a policy was trained:
``frozen`` (pretrained φ, frozen; only the head learned), ``scratch`` (encoder and head trained end
to end on the few demos) and ``state`` (the head reads the columns of the true state that the
environment names as the oracle's, e.g. the point mass's position: an oracle baseline).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from dynarep.data.store import EpisodeStore, atomic_write_json
from dynarep.nets.encoder import EncoderConfig
from dynarep.nets.factory import build_encoder, encoder_config_from_dict
from dynarep.nets.mlp import mlp
from dynarep.nets.multicam import MultiCameraConfig
from dynarep.train.checkpoint import CheckpointError, load_weights, read_config, save_weights

POLICY_KIND = "dynarep.policy/v1"
POLICY_TYPES = ("frozen", "scratch", "state")


class Policy(nn.Module):
    def __init__(
        self,
        policy_type: str,
        action_dim: int,
        encoder_config: EncoderConfig | MultiCameraConfig | None,
        dropout: float = 0.1,
        state_columns: tuple[int, ...] = (0, 1),
    ) -> None:
        super().__init__()
        if policy_type not in POLICY_TYPES:
            raise ValueError(f"unknown policy type {policy_type!r}; choose one of {POLICY_TYPES}")
        self.policy_type = policy_type
        self.state_columns = tuple(state_columns)
        use_encoder = policy_type != "state" and encoder_config
        self.encoder = build_encoder(encoder_config, fresh=False) if use_encoder else None
        in_dim = len(self.state_columns) if policy_type == "state" else self.encoder.config.embed_dim
        self.head = mlp(in_dim, action_dim, dropout=dropout)

    @property
    def uses_pixels(self) -> bool:
        return self.encoder is not None

    def features(self, pixels: Tensor | None, positions: Tensor | None) -> Tensor:
        if self.encoder is None:
            return positions.float()
        return self.encoder(pixels)

    def forward(self, pixels: Tensor | None, positions: Tensor | None) -> Tensor:
        return self.head(self.features(pixels, positions))


@torch.no_grad()
def fold_normalisation(policy: Policy, mean: Tensor, std: Tensor) -> None:
    """Make a head trained on (s - m) / σ read raw states: W (s - m) / σ + b == (W / σ) s + (b - W m / σ).
    A saved policy then needs no normalisation of its own (TD3+BC, the standardised state oracle)."""
    first: nn.Linear = policy.head[0]
    first.bias -= first.weight @ (mean / std).to(first.weight)
    first.weight /= std.to(first.weight)


def save_policy(path: Path, policy: Policy, info: dict[str, Any]) -> None:
    config = {
        "kind": POLICY_KIND,
        "policy_type": policy.policy_type,
        "encoder": policy.encoder.config.to_dict() if policy.encoder is not None else None,
        "action_dim": policy.head[-2].out_features,
        "dropout": policy.head[2].p,
        "state_columns": list(policy.state_columns),
        **info,
    }
    save_weights(Path(path) / "policy", policy, config)


def load_policy(path: str | Path) -> tuple[Policy, dict[str, Any]]:
    """Load a policy folder written by ``dynarep finetune``: (policy in eval mode, its config)."""
    stem = Path(path) / "policy"
    config = read_config(stem)
    if config.get("kind") != POLICY_KIND:
        raise CheckpointError(f"{stem.with_suffix('.json')}: not a dynarep policy")
    encoder = encoder_config_from_dict(config["encoder"]) if config["encoder"] else None
    columns = tuple(config.get("state_columns", (0, 1)))  # policies made before the seam: position
    policy = Policy(config["policy_type"], config["action_dim"], encoder, config["dropout"], columns)
    load_weights(stem, policy)
    return policy.eval(), config


@torch.no_grad()
def act(policy: Policy, pixels: Any, positions: Any) -> Any:
    """Batched actions as numpy from numpy observations."""
    pix = torch.from_numpy(pixels) if policy.uses_pixels else None
    pos = torch.from_numpy(positions) if not policy.uses_pixels else None
    return policy(pix, pos).numpy()


def write_policy_folder(
    out: Path, policy: Policy, log: list[dict[str, Any]], store: EpisodeStore, extra: dict[str, Any]
) -> Path:
    """A policy folder as ``dynarep evaluate`` reads it: weights + ``policy.json`` (with the
    environment, task and context to roll out in, taken from the store's first episode),
    ``config.json`` and the training ``log.jsonl``; returns ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log))
    info = {
        "env": store.env_config,
        "task_index": int(store.episodes["task_index"][0].as_py()),
        "context": store.contexts[0].tolist(),
        "store": str(store.root.resolve()),
        **extra,
    }
    save_policy(out, policy, info)
    atomic_write_json(out / "config.json", info)
    return out
