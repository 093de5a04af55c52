"""Multitask behaviour cloning without context (BC): predict a_t from φ(o_t) alone.

The hidden context is not in the image, so the best BC can do is the context-averaged action; on
point mass that average barely depends on position, which is why BC learns a weak representation
(the paper's mechanism, protocol §1.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from torch import Tensor

from dynarep.config_checks import AT_LEAST_0, FRACTION, Checked
from dynarep.nets.encoder import ConvEncoder
from dynarep.nets.mlp import mlp
from dynarep.objectives.base import Batch, Objective, Window, mse, register_objective


@dataclass
class BehaviorCloningConfig(Checked):
    """Options of the multitask behaviour-cloning objective."""

    shift: Annotated[int, AT_LEAST_0] = 0
    """Random-shift pixels per frame."""
    dropout: Annotated[float, FRACTION] = 0.1
    """Dropout of the policy head."""


@register_objective("bc", BehaviorCloningConfig)
class BehaviorCloning(Objective):
    def __init__(self, config: BehaviorCloningConfig, encoder: ConvEncoder, action_dim: int) -> None:
        super().__init__(config, encoder, action_dim)
        self.needs = Window(frames=(0,), actions=(0,), shift=config.shift)
        self.head = mlp(encoder.config.embed_dim, action_dim, dropout=config.dropout)

    def forward(self, batch: Batch) -> tuple[Tensor, dict[str, float]]:
        loss = mse(self.head(self.encoder(batch.frames[0])), batch.actions[:, 0])
        return loss, {"loss": loss.item()}
