"""One resize rule for every image that enters an encoder: bilinear with anti-aliasing.

Importers (shrinking camera frames into a store) and the public encoder (shrinking a user's frames
at run time) both go through ``resize_pixels``, so a policy sees its frames the way the encoder was
trained on them. Without anti-aliasing, thin or small objects flicker in and out of a downscaled
frame (calibration-notes.md: the point mass vanished at 30 % of positions at 32 px). Non-square
frames are squeezed to a square, not cropped: nothing at the edge of the view is lost.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional


def resize_pixels(pixels: Tensor, size: int) -> Tensor:
    """Float pixels (B, C, H, W) -> (B, C, size, size); unchanged when already that size."""
    if pixels.shape[-2:] == (size, size):
        return pixels
    return functional.interpolate(
        pixels, size=(size, size), mode="bilinear", antialias=True, align_corners=False
    )


def resize_frames(frames: np.ndarray, size: int) -> np.ndarray:
    """uint8 frames (N, H, W, 3) -> uint8 (N, size, size, 3), rounded to the nearest level."""
    if frames.shape[1:3] == (size, size):
        return np.ascontiguousarray(frames, dtype=np.uint8)
    pixels = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    resized = resize_pixels(pixels, size).round_().clamp_(0, 255).to(torch.uint8)
    return resized.permute(0, 2, 3, 1).contiguous().numpy()
