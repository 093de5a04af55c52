"""Inverse dynamics (ID): predict a_t from φ(o_t) and φ(o_{t+k}) (protocol §1.2).

Actions depend only on the controllable state and the dynamics, never on the hidden context, so
the only way to predict them from two frames is to encode where the mass is: the representation
keeps exactly the state a new task's policy will need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import torch
from torch import Tensor

from dynarep.config_checks import AT_LEAST_0, AT_LEAST_1, FRACTION, Checked
from dynarep.nets.encoder import ConvEncoder
from dynarep.nets.mlp import mlp
from dynarep.objectives.base import Batch, Objective, Window, mse, register_objective


@dataclass
class InverseDynamicsConfig(Checked):
    """Options of the inverse-dynamics objective."""

    horizon: Annotated[int, AT_LEAST_1] = 1
    """Predict a_t from (o_t, o_{t+horizon}); the published default is 1."""
    stop_grad_next: bool = False
    """Block gradients through φ(o_{t+horizon})."""
    shared_encoder: bool = True
    """Encode o_{t+horizon} with the same φ (published); False trains a second encoder for it."""
    shift: Annotated[int, AT_LEAST_0] = 0
    """Random-shift pixels per frame (the mass moves < 1 px a step at 32 px: 0 by default)."""
    dropout: Annotated[float, FRACTION] = 0.1
    """Dropout of the action head."""


@register_objective("inverse_dynamics", InverseDynamicsConfig)
class InverseDynamics(Objective):
    def __init__(self, config: InverseDynamicsConfig, encoder: ConvEncoder, action_dim: int) -> None:
        super().__init__(config, encoder, action_dim)
        if config.horizon < 1:
            raise ValueError(f"inverse_dynamics horizon must be >= 1, got {config.horizon}")
        self.needs = Window(frames=(0, config.horizon), actions=(0,), shift=config.shift)
        self.head = mlp(2 * encoder.config.embed_dim, action_dim, dropout=config.dropout)
        self.next_encoder = None
        if not config.shared_encoder:
            self.next_encoder = type(encoder)(encoder.config)
            self.next_encoder.mean_frame.copy_(encoder.mean_frame)

    def forward(self, batch: Batch) -> tuple[Tensor, dict[str, float]]:
        now, later = batch.frames[0], batch.frames[self.config.horizon]
        if self.next_encoder is None:
            first, second = self.encoder(torch.cat([now, later])).chunk(2)
        else:
            first, second = self.encoder(now), self.next_encoder(later)
        if self.config.stop_grad_next:
            second = second.detach()
        prediction = self.head(torch.cat([first, second], dim=1))
        loss = mse(prediction, batch.actions[:, 0])
        return loss, {"loss": loss.item()}
