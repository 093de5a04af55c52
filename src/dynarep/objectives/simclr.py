"""SimCLR-style static contrastive learning (Cont), protocol §1.2.

Two independent random-shift crops of the same frame must identify each other among the batch
(InfoNCE, one direction). Crops only: no colour jitter or blur, as in the published sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import torch
from torch import Tensor

from dynarep.config_checks import AT_LEAST_0, POSITIVE, Checked
from dynarep.data.augment import random_shift
from dynarep.nets.encoder import ConvEncoder
from dynarep.nets.mlp import projector
from dynarep.objectives.base import Batch, Objective, Window, info_nce, register_objective


@dataclass
class SimCLRConfig(Checked):
    """Options of static contrastive learning."""

    shift: Annotated[int, AT_LEAST_0] = 3
    """Random-shift pixels of each view (about 10% of a 32 px frame); 0 makes the task trivial."""
    temperature: Annotated[float, POSITIVE] = 1.0
    """InfoNCE temperature."""


@register_objective("simclr", SimCLRConfig)
class SimCLR(Objective):
    def __init__(self, config: SimCLRConfig, encoder: ConvEncoder, action_dim: int) -> None:
        super().__init__(config, encoder, action_dim)
        self.needs = Window(frames=(0,), actions=(), shift=0)  # the two views are drawn here
        embed = encoder.config.embed_dim
        self.project_a = projector(embed)
        self.project_b = projector(embed)

    def forward(self, batch: Batch) -> tuple[Tensor, dict[str, float]]:
        frames = batch.frames[0]
        views = torch.cat([random_shift(frames, self.config.shift), random_shift(frames, self.config.shift)])
        a, b = self.encoder(views).chunk(2)
        loss = info_nce(self.project_a(a), self.project_b(b), self.config.temperature)
        return loss, {"loss": loss.item()}
