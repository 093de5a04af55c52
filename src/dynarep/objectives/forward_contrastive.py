"""Implicit (contrastive) forward dynamics (FD-i), protocol §1.2.

u = P([φ(aug o_t), ψ(a_t..a_{t+k-1})]) must identify v = P'(φ(aug' o_{t+k})) among the other
next frames of the batch (InfoNCE, one direction). With k > 1 the k actions are stacked into ψ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import torch
from torch import Tensor

from dynarep.config_checks import AT_LEAST_0, AT_LEAST_1, POSITIVE, Checked
from dynarep.nets.encoder import ConvEncoder
from dynarep.nets.mlp import action_encoder, projector
from dynarep.objectives.base import Batch, Objective, Window, info_nce, register_objective


@dataclass
class ForwardContrastiveConfig(Checked):
    """Options of contrastive forward dynamics."""

    horizon: Annotated[int, AT_LEAST_1] = 1
    """Contrast (o_t, a_t..a_{t+horizon-1}) against o_{t+horizon}."""
    temperature: Annotated[float, POSITIVE] = 1.0
    """InfoNCE temperature (the published value is 1.0)."""
    shift: Annotated[int, AT_LEAST_0] = 0
    """Random-shift pixels per frame."""


@register_objective("fd_contrastive", ForwardContrastiveConfig)
class ForwardContrastive(Objective):
    def __init__(self, config: ForwardContrastiveConfig, encoder: ConvEncoder, action_dim: int) -> None:
        super().__init__(config, encoder, action_dim)
        if config.horizon < 1:
            raise ValueError(f"fd_contrastive horizon must be >= 1, got {config.horizon}")
        k = config.horizon
        self.needs = Window(frames=(0, k), actions=tuple(range(k)), shift=config.shift)
        embed = encoder.config.embed_dim
        self.action_encoder = action_encoder(k * action_dim, embed)
        self.project_now = projector(2 * embed)
        self.project_next = projector(embed)

    def forward(self, batch: Batch) -> tuple[Tensor, dict[str, float]]:
        now, later = self.encoder(torch.cat([batch.frames[0], batch.frames[self.config.horizon]])).chunk(2)
        u = self.project_now(torch.cat([now, self.action_encoder(batch.actions.flatten(1))], dim=1))
        loss = info_nce(u, self.project_next(later), self.config.temperature)
        return loss, {"loss": loss.item()}
