"""A dynarep encoder inside a policy written against plain PyTorch.

Run: python examples/own_policy.py ENCODER STORE [STEPS]
  ENCODER  a pretraining run folder or a folder written by `dynarep export-encoder`
  STORE    an episode store with actions (your demonstrations; any uint8 frames would do)

The only dynarep call the policy needs is ``dynarep.load_encoder``; everything else is torch.
The encoder is frozen and its embeddings are computed once, as the paper's finetuning does.
"""

from __future__ import annotations

import sys

import numpy as np
import torch
from torch import Tensor, nn

import dynarep
from dynarep.data.store import EpisodeStore


class Policy(nn.Module):
    """Frozen pretrained encoder + a small MLP head: camera frames -> actions in [-1, 1].

    The embeddings are standardised with their mean and std over the demonstrations: a briefly
    trained encoder can vary over a small range, and a head with a fixed learning rate then learns
    slowly or not at all."""

    def __init__(self, encoder: nn.Module, embed_dim: int, action_dim: int) -> None:
        super().__init__()
        self.encoder = encoder.requires_grad_(False).eval()
        self.register_buffer("z_mean", torch.zeros(embed_dim))
        self.register_buffer("z_std", torch.ones(embed_dim))
        self.head = nn.Sequential(nn.Linear(embed_dim, 256), nn.GELU(), nn.Linear(256, action_dim), nn.Tanh())

    def embed(self, frames: Tensor) -> Tensor:
        with torch.no_grad():
            return (self.encoder(frames) - self.z_mean) / self.z_std

    def forward(self, frames: Tensor) -> Tensor:
        return self.head(self.embed(frames))


def train(
    encoder_path: str, frames: np.ndarray, actions: np.ndarray, steps: int = 500
) -> tuple[list[float], Policy]:
    """Behaviour cloning of ``actions`` from uint8 ``frames`` (N, H, W, 3): the loss curve and policy."""
    torch.manual_seed(0)
    encoder = dynarep.load_encoder(encoder_path)
    policy = Policy(encoder, encoder.embed_dim, actions.shape[1])
    with torch.no_grad():  # frozen encoder: embed every frame once
        chunks = np.array_split(frames, max(1, len(frames) // 256))
        z = torch.cat([encoder(torch.from_numpy(chunk)) for chunk in chunks])
        policy.z_mean.copy_(z.mean(0))
        policy.z_std.copy_(z.std(0) + 1e-6)
        z = (z - policy.z_mean) / policy.z_std
    targets = torch.from_numpy(actions)
    optimizer = torch.optim.AdamW(policy.head.parameters(), lr=1e-3)
    losses = []
    for _ in range(steps):
        batch = torch.randint(0, len(z), (min(256, len(z)),))
        loss = nn.functional.mse_loss(policy.head(z[batch]), targets[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, policy


def demonstrations(store_path: str) -> tuple[np.ndarray, np.ndarray]:
    """(frames, actions) of every frame that has an action."""
    store = EpisodeStore(store_path)
    rows = np.flatnonzero(store.has_action)
    return np.array(store.images[rows]), store.actions[rows]


if __name__ == "__main__":
    encoder_path, store_path = sys.argv[1], sys.argv[2]
    frames, actions = demonstrations(store_path)
    losses, policy = train(encoder_path, frames, actions, int(sys.argv[3]) if len(sys.argv) > 3 else 500)
    action = policy(torch.from_numpy(frames[:1]))[0].tolist()
    print(f"BC loss {losses[0]:.4f} -> {losses[-1]:.4f}; action for the first frame: {action}")
