"""Image augmentation on uint8 frame batches (B, H, W, C)."""

from __future__ import annotations

import torch
from torch import Tensor


def random_shift(frames: Tensor, pad: int, generator: torch.Generator | None = None) -> Tensor:
    """Edge-pad each uint8 frame (B, H, W, C) by ``pad`` px and crop back at a random offset.

    Edge padding followed by a crop is the same as reading the frame at clamped coordinates, so
    the shift is a single gather on the uint8 frames (no padded float copy).
    """
    if pad <= 0:
        return frames
    b, h, w, _ = frames.shape
    dy = torch.randint(-pad, pad + 1, (b, 1), generator=generator)
    dx = torch.randint(-pad, pad + 1, (b, 1), generator=generator)
    rows = (dy + torch.arange(h)).clamp_(0, h - 1)[:, :, None]  # (B, H, 1)
    cols = (dx + torch.arange(w)).clamp_(0, w - 1)[:, None, :]  # (B, 1, W)
    return frames[torch.arange(b)[:, None, None], rows, cols]  # (B, H, W, C)


def shift_windows(windows: Tensor, pad: int, generator: torch.Generator | None = None) -> Tensor:
    """``random_shift`` of uint8 windows (B, T, H, W, C), one offset per window for all its frames.

    Shifting a window as one image keeps the motion between its frames, which is what an inverse
    dynamics model reads, while moving where in the frame that motion happens.
    """
    if pad <= 0:
        return windows
    b, t, h, w, c = windows.shape
    stacked = windows.permute(0, 2, 3, 1, 4).reshape(b, h, w, t * c)
    return random_shift(stacked, pad, generator).reshape(b, h, w, t, c).permute(0, 3, 1, 2, 4)
