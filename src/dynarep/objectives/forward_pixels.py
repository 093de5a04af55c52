"""Explicit forward dynamics (FD-e): decode o_{t+1} from [φ(o_t), ψ(a_t)] (protocol §1.2).

The target is the next frame in the encoder's own normalisation (frame minus mean frame, / 64),
so the loss is spent on what moves rather than on the static floor. No augmentation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from dynarep.nets.decoder import PixelDecoder
from dynarep.nets.encoder import ConvEncoder
from dynarep.nets.mlp import action_encoder
from dynarep.objectives.base import Batch, Objective, Window, mse, register_objective


@dataclass
class ForwardPixelsConfig:
    """Options of pixel-reconstruction forward dynamics."""

    decoder_channels: int = 32
    """Channels of the transposed-conv decoder."""


@register_objective("fd_pixels", ForwardPixelsConfig)
class ForwardPixels(Objective):
    def __init__(self, config: ForwardPixelsConfig, encoder: ConvEncoder, action_dim: int) -> None:
        super().__init__(config, encoder, action_dim)
        self.needs = Window(frames=(0, 1), actions=(0,), shift=0)
        embed = encoder.config.embed_dim
        self.action_encoder = action_encoder(action_dim, embed)
        self.decoder = PixelDecoder(2 * embed, encoder.config.image_size, config.decoder_channels)

    def forward(self, batch: Batch) -> tuple[Tensor, dict[str, float]]:
        z = torch.cat([self.encoder(batch.frames[0]), self.action_encoder(batch.actions[:, 0])], dim=1)
        with torch.no_grad():
            target = self.encoder.normalize(batch.frames[1])
        loss = mse(self.decoder(z), target)
        return loss, {"loss": loss.item()}
