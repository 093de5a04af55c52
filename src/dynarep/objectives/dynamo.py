"""DynaMo: action-free latent inverse + forward dynamics over windows of frames (protocol §5.1).

For a window of T frames, e_t = φ(o_t). A causal transformer g infers a small latent action
z_t from e_1..e_t (the bottleneck); a causal transformer h predicts ê_{t+1} from [e_t, z_{t+1}].
Loss: 1 − cos(ê_{t+1}, sg(ē_{t+1})) with ē the embedding itself (SimSiam) or an EMA encoder's,
plus a covariance regulariser on the embeddings. No actions and no augmentation are used.

Deviation from DynaMo, on by default: a VICReg variance hinge on each embedding dimension. DynaMo's
ResNet-18 has BatchNorm, which keeps a batch of embeddings spread out; our small encoder (LayerNorm
+ tanh, no BatchNorm) collapses to one constant embedding within 50 steps without it, because the
off-diagonal covariance penalty is zero for a constant (measured in benchmarks/RESULTS.md).
``variance_weight 0`` gives the published loss.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Annotated, ClassVar

import torch
from torch import Tensor, nn

from dynarep.config_checks import AT_LEAST_0, AT_LEAST_1, POSITIVE, Checked, Range
from dynarep.nets.encoder import ConvEncoder
from dynarep.nets.transformer import CausalTransformer
from dynarep.objectives.base import Batch, Objective, Window, register_objective


@dataclass
class DynaMoConfig(Checked):
    """Options of DynaMo latent dynamics pretraining."""

    revision: ClassVar[int] = 2  # 2: variance hinge on by default (see train/pretrain.py)

    window: Annotated[int, Range(2)] = 5
    """Frames per training window (DynaMo's default is 5)."""
    latent_action_dim: Annotated[int, AT_LEAST_1] = 4
    """Dimension of the latent action: roughly the underlying state dimension."""
    width: Annotated[int, AT_LEAST_1] = 64
    """Width of both causal transformers."""
    layers: Annotated[int, AT_LEAST_1] = 2
    """Layers of each transformer."""
    heads: Annotated[int, AT_LEAST_1] = 4
    """Attention heads."""
    covariance_weight: Annotated[float, AT_LEAST_0] = 0.04
    """Weight of the off-diagonal covariance penalty on the embeddings."""
    variance_weight: Annotated[float, AT_LEAST_0] = 1.0
    """Weight of the variance hinge that keeps every embedding dimension spread (0: DynaMo as published)."""
    variance_target: Annotated[float, POSITIVE] = 0.5
    """Per-dimension standard deviation, over the batch, below which the hinge is active."""
    ema: Annotated[float | None, Range(0, 1, open_high=True)] = None
    """EMA rate of a target encoder; None uses the stop-gradient embedding itself (SimSiam)."""


def covariance_penalty(embeddings: Tensor) -> Tensor:
    """Mean squared off-diagonal entry of the embeddings' covariance matrix."""
    centered = embeddings - embeddings.mean(dim=0)
    cov = centered.T @ centered / max(len(embeddings) - 1, 1)
    off_diagonal = cov - torch.diag(torch.diagonal(cov))
    return off_diagonal.pow(2).sum() / (cov.shape[0] * (cov.shape[0] - 1))


def variance_penalty(embeddings: Tensor, target: float) -> Tensor:
    """VICReg's hinge: mean over dimensions of max(0, target - std over the batch)."""
    std = torch.sqrt(embeddings.var(dim=0) + 1e-4)
    return torch.relu(target - std).mean()


@register_objective("dynamo", DynaMoConfig)
class DynaMo(Objective):
    def __init__(self, config: DynaMoConfig, encoder: ConvEncoder, action_dim: int) -> None:
        super().__init__(config, encoder, action_dim)
        self.needs = Window(frames=tuple(range(config.window)), actions=(), shift=0)
        embed = encoder.config.embed_dim
        args = (config.width, config.layers, config.heads, config.window)
        self.inverse = CausalTransformer(embed, config.latent_action_dim, *args)
        self.forward_model = CausalTransformer(embed + config.latent_action_dim, embed, *args)
        self.target_encoder: nn.Module | None = None
        if config.ema is not None:
            self.target_encoder = copy.deepcopy(encoder).requires_grad_(False)

    @torch.no_grad()
    def _targets(self, frames: Tensor, embeddings: Tensor) -> Tensor:
        if self.target_encoder is None:
            return embeddings.detach()
        rate = self.config.ema
        for target, online in zip(self.target_encoder.parameters(), self.encoder.parameters(), strict=True):
            target.mul_(rate).add_(online.detach(), alpha=1 - rate)
        return self.target_encoder(frames)

    def forward(self, batch: Batch) -> tuple[Tensor, dict[str, float]]:
        t = self.config.window
        frames = torch.stack([batch.frames[k] for k in range(t)], dim=1)  # (B, T, H, W, 3)
        b = frames.shape[0]
        flat = frames.flatten(0, 1)
        embeddings = self.encoder(flat)
        e = embeddings.view(b, t, -1)
        targets = self._targets(flat, embeddings).view(b, t, -1)
        z = self.inverse(e)  # z[:, i] has seen e_1..e_i
        predicted = self.forward_model(torch.cat([e[:, :-1], z[:, 1:]], dim=-1))  # ê_2..ê_T
        cosine = nn.functional.cosine_similarity(predicted, targets[:, 1:], dim=-1)
        dynamics = 1 - cosine.mean()
        covariance = covariance_penalty(embeddings)
        variance = variance_penalty(embeddings, self.config.variance_target)
        loss = dynamics + self.config.covariance_weight * covariance + self.config.variance_weight * variance
        return loss, {
            "loss": loss.item(),
            "dynamics": dynamics.item(),
            "covariance": covariance.item(),
            "variance": variance.item(),
        }
