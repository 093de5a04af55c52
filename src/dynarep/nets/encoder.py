"""Image encoder φ: conv stack -> spatial softmax -> Linear(64) -> LayerNorm -> tanh (protocol §3.1).

The encoder owns its input normalisation: a uint8 (B, H, W, 3) frame minus the dataset's mean frame,
divided by 64. Subtracting the mean frame removes the static floor so that the 1-pixel mass is what
varies; without it training sits on the "predict the mean action" plateau for hundreds of steps
(calibration-notes.md). The mean frame is a buffer, so it travels with the exported weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from dynarep.config_checks import ConfigError


@dataclass(frozen=True)
class EncoderConfig:
    """Architecture of the conv + spatial-softmax encoder."""

    image_size: int = 32
    """Side of the square input image in pixels."""
    channels: tuple[int, ...] = (32, 32, 32, 32)
    """Output channels of each 3x3 VALID conv layer (protocol: 32, 64, 128, 256)."""
    strides: tuple[int, ...] = (2, 1, 1, 1)
    """Stride of each conv layer (protocol: 2, 2, 1, 1)."""
    keypoints: int = 32
    """Spatial-softmax keypoint maps; the softmax emits 2 coordinates per map."""
    embed_dim: int = 64
    """Dimension of the representation φ(o)."""

    def __post_init__(self) -> None:
        if len(self.channels) != len(self.strides):
            raise ConfigError("--channels and --strides: give the same number of layers")
        size = self.feature_map_size()
        if size < 2:
            raise ConfigError(
                f"--image-size {self.image_size}: too small for encoder strides {self.strides}: "
                f"the feature map would be {size}x{size}; use a larger image or smaller strides"
            )

    @property
    def in_channels(self) -> int:
        """Channels of the frames it reads (one RGB camera)."""
        return 3

    def feature_map_size(self) -> int:
        size = self.image_size
        for stride in self.strides:
            size = (size - 3) // stride + 1
        return size

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EncoderConfig:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k != "name"})


def default_encoder_config(image_size: int) -> EncoderConfig:
    """Cheap widths for small CPU images, the protocol's architecture from 84 px up."""
    if image_size <= 48:
        return EncoderConfig(image_size=image_size)
    if image_size < 84:
        return EncoderConfig(image_size, (32, 32, 64, 64), (2, 2, 1, 1), 64)
    return EncoderConfig(image_size, (32, 64, 128, 256), (2, 2, 1, 1), 256)


class SpatialSoftmax(nn.Module):
    """Expected (x, y) image coordinates, in [-1, 1], of each of ``keypoints`` softmax maps."""

    def __init__(self, in_channels: int, keypoints: int, size: int) -> None:
        super().__init__()
        self.project = nn.Conv2d(in_channels, keypoints, kernel_size=1)
        grid = torch.linspace(-1.0, 1.0, size)
        ys, xs = torch.meshgrid(grid, grid, indexing="ij")
        self.register_buffer("grid", torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        attention = self.project(x).flatten(2).softmax(dim=-1)  # (B, K, H*W)
        return (attention @ self.grid).flatten(1)  # (B, 2K)


def mean_of_frames(frames: Tensor) -> Tensor:
    """The float32 mean of uint8 frames (N, H, W, C) over N.

    Exact integer sums, a few hundred frames at a time, then one division: the same values as
    ``frames.float().mean(0)`` without a float copy of every frame (61 MB for 5000 frames at
    32 px, 420 MB at 84 px)."""
    total = torch.zeros(frames.shape[1:], dtype=torch.int64)
    for chunk in frames.split(512):
        total += chunk.sum(dim=0, dtype=torch.int64)
    return total.float() / max(len(frames), 1)


class ConvEncoder(nn.Module):
    """φ: uint8 frames (B, H, W, 3) -> embeddings (B, embed_dim) in [-1, 1]."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        in_channels = 3
        for width, stride in zip(config.channels, config.strides, strict=True):
            layers += [nn.Conv2d(in_channels, width, 3, stride), nn.GELU()]
            in_channels = width
        self.conv = nn.Sequential(*layers)
        self.softmax = SpatialSoftmax(in_channels, config.keypoints, config.feature_map_size())
        self.project = nn.Sequential(
            nn.Linear(2 * config.keypoints, config.embed_dim), nn.LayerNorm(config.embed_dim), nn.Tanh()
        )
        size = config.image_size
        self.register_buffer("mean_frame", torch.full((3, size, size), 127.5))

    @torch.no_grad()
    def set_mean_frame(self, frames: Tensor) -> None:
        """Set the normalisation from uint8 frames (N, H, W, 3) of the training data."""
        self.mean_frame.copy_(mean_of_frames(frames).permute(2, 0, 1))

    def normalize(self, frames: Tensor) -> Tensor:
        """uint8 frames (B, S, S, 3) -> the network's input (B, 3, S, S): minus the mean frame, / 64."""
        if frames.shape[1:] != (self.config.image_size, self.config.image_size, 3):
            raise ValueError(
                f"encoder expects frames (B, {self.config.image_size}, {self.config.image_size}, 3), "
                f"got {tuple(frames.shape)}"
            )
        return self.center(frames.permute(0, 3, 1, 2).float())

    def center(self, pixels: Tensor) -> Tensor:
        return (pixels - self.mean_frame) / 64.0

    def embed(self, pixels: Tensor) -> Tensor:
        """φ of float pixels (B, 3, S, S) on the 0-255 scale, already at the encoder's size."""
        return self.features(self.center(pixels))

    def features(self, centered: Tensor) -> Tensor:
        """φ of the network's input (B, 3, S, S), already centred on a mean frame."""
        return self.project(self.softmax(self.conv(centered)))

    def forward(self, frames: Tensor) -> Tensor:
        return self.project(self.softmax(self.conv(self.normalize(frames))))
