"""A user-defined objective: k-step inverse dynamics written outside dynarep.

Run: python examples/custom_objective.py STORE OUT
Importing this module registers "my_objective"; the training loop needs nothing else.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import torch

from dynarep.nets.mlp import mlp
from dynarep.objectives import Batch, Objective, Window, register_objective
from dynarep.train.pretrain import PretrainConfig, pretrain


@dataclass
class MyConfig:
    """Options of the example objective."""

    horizon: int = 3
    """Predict a_t from (o_t, o_{t+horizon})."""


@register_objective("my_objective", MyConfig)
class MyObjective(Objective):
    def __init__(self, config: MyConfig, encoder, action_dim: int) -> None:
        super().__init__(config, encoder, action_dim)
        self.needs = Window(frames=(0, config.horizon), actions=(0,))
        self.head = mlp(2 * encoder.config.embed_dim, action_dim)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        z = self.encoder(torch.cat([batch.frames[0], batch.frames[self.config.horizon]]))
        loss = ((self.head(torch.cat(z.chunk(2), dim=1)) - batch.actions[:, 0]) ** 2).mean()
        return loss, {"loss": loss.item()}


if __name__ == "__main__":
    store, out = sys.argv[1], sys.argv[2]
    print(pretrain(store, out, "my_objective", MyConfig(horizon=3), PretrainConfig(steps=200)))
