"""The protocol's MLP head: Dense 256 -> GELU -> Dropout -> Dense 256 -> GELU -> Dropout -> out."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn


def mlp(
    in_dim: int,
    out_dim: int,
    hidden: Sequence[int] = (256, 256),
    dropout: float = 0.1,
    tanh_output: bool = True,
) -> nn.Sequential:
    """An MLP head; ``tanh_output`` keeps actions in [-1, 1] as the protocol's policies do."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_dim, width), nn.GELU(), nn.Dropout(dropout)]
        in_dim = width
    layers.append(nn.Linear(in_dim, out_dim))
    if tanh_output:
        layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def action_encoder(in_dim: int, out_dim: int = 64) -> nn.Sequential:
    """ψ(a): MLP(256, 256) -> out_dim -> LayerNorm -> tanh, no dropout (protocol §3.2)."""
    return nn.Sequential(
        mlp(in_dim, out_dim, dropout=0.0, tanh_output=False), nn.LayerNorm(out_dim), nn.Tanh()
    )


def projector(in_dim: int, out_dim: int = 64) -> nn.Sequential:
    """Contrastive projection head MLP(256, 256) -> out_dim; callers L2-normalise its output."""
    return mlp(in_dim, out_dim, dropout=0.0, tanh_output=False)
