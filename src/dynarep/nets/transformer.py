"""A small causal transformer over a sequence of vectors (used by DynaMo's dynamics models)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class CausalTransformer(nn.Module):
    """(B, T, in_dim) -> (B, T, out_dim); position t attends to positions <= t only."""

    def __init__(self, in_dim: int, out_dim: int, width: int, layers: int, heads: int, max_len: int) -> None:
        super().__init__()
        self.embed = nn.Linear(in_dim, width)
        self.position = nn.Parameter(torch.zeros(1, max_len, width))
        layer = nn.TransformerEncoderLayer(
            width, heads, dim_feedforward=4 * width, dropout=0.0, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, out_dim))

    def forward(self, x: Tensor) -> Tensor:
        t = x.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(t, device=x.device)
        h = self.blocks(self.embed(x) + self.position[:, :t], mask=mask, is_causal=True)
        return self.out(h)
