"""The seam between data, objectives and the training loop.

An objective is an ``nn.Module`` built from (config, encoder, action_dim). It declares in ``needs``
which frame and action offsets the window sampler must deliver and how much random shift to apply,
and returns ``(loss, metrics)`` from ``forward(batch)``. The training loop only ever sees this
interface, so adding an objective is one new module plus ``@register_objective``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from dynarep.nets.encoder import ConvEncoder
from dynarep.registry import Registry


@dataclass(frozen=True)
class Window:
    """What a sampler must deliver for one training example anchored at frame t."""

    frames: tuple[int, ...] = (0,)
    """Frame offsets relative to t, e.g. (0, 1) for (o_t, o_{t+1})."""
    actions: tuple[int, ...] = (0,)
    """Action offsets relative to t."""
    shift: int = 0
    """Random-shift augmentation: edge-pad by this many pixels, crop back (independent per frame)."""


@dataclass
class Batch:
    """A minibatch of windows. ``frames[k]`` holds o_{t+k} as uint8 (B, H, W, 3)."""

    frames: dict[int, Tensor]
    actions: Tensor  # (B, len(window.actions), action_dim)
    states: Tensor  # (B, state_dim): the true low-dimensional state at t (probes only)

    def to(self, device: torch.device | str) -> Batch:
        return Batch(
            frames={k: v.to(device, non_blocking=True) for k, v in self.frames.items()},
            actions=self.actions.to(device),
            states=self.states.to(device),
        )

    def shard(self, rank: int, count: int) -> Batch:
        """Part ``rank`` of ``count`` equal, contiguous parts (data-parallel training)."""
        if count == 1:
            return self
        size = len(self.states) // count
        part = slice(rank * size, (rank + 1) * size)
        return Batch({k: v[part] for k, v in self.frames.items()}, self.actions[part], self.states[part])


class Objective(nn.Module):
    """Base class: holds the encoder being trained; subclasses add heads and the loss."""

    needs: Window = Window()

    def __init__(self, config: Any, encoder: ConvEncoder, action_dim: int) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.action_dim = action_dim

    def forward(self, batch: Batch) -> tuple[Tensor, dict[str, float]]:  # pragma: no cover
        raise NotImplementedError


_OBJECTIVES: Registry[type[Objective]] = Registry("objective")


def register_objective(name: str, config_class: type) -> Callable[[type[Objective]], type[Objective]]:
    """Class decorator: make ``name`` usable as ``dynarep pretrain --objective name``."""
    return _OBJECTIVES.register(name, config_class)


def objective_names() -> list[str]:
    return _OBJECTIVES.names()


def get_objective(name: str) -> tuple[type, type[Objective]]:
    """(config class, objective class) for a registered name, or a one-line error listing names."""
    return _OBJECTIVES.get(name)


def mse(prediction: Tensor, target: Tensor) -> Tensor:
    return torch.mean((prediction - target) ** 2)


def info_nce(u: Tensor, v: Tensor, temperature: float) -> Tensor:
    """One-directional InfoNCE: u_i must pick v_i among all v_j of the batch (protocol §1.2)."""
    logits = nn.functional.normalize(u, dim=1) @ nn.functional.normalize(v, dim=1).T / temperature
    return nn.functional.cross_entropy(logits, torch.arange(len(u), device=u.device))
