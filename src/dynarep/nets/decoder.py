"""Pixel decoder for explicit forward dynamics: a vector -> a (3, H, W) image (3 x cameras channels).

Dense -> (channels, H/4, W/4) -> two stride-2 transposed convs -> 3 x H x W. Every supported image
size (32, 48, 64, 84) is a multiple of 4, which keeps the decoder the same shape at every size.
"""

from __future__ import annotations

from torch import Tensor, nn


class PixelDecoder(nn.Module):
    def __init__(self, in_dim: int, image_size: int, channels: int = 32, out_channels: int = 3) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(f"PixelDecoder needs an image size divisible by 4, got {image_size}")
        self.base = image_size // 4
        self.channels = channels
        self.dense = nn.Sequential(nn.Linear(in_dim, channels * self.base * self.base), nn.GELU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1),
            nn.GELU(),
            nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(channels, out_channels, 3, padding=1),
        )

    def forward(self, z: Tensor) -> Tensor:
        x = self.dense(z).view(-1, self.channels, self.base, self.base)
        return self.up(x)
