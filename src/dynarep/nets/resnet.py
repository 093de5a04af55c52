"""ResNet-18 as φ: the backbone of the ImageNet and R3M baselines (protocol §4) and of DynaMo.

Written out here because torchvision (and timm, which needs it) does not install beside the CPU
build of torch this project pins; the parameter names are torchvision's (``conv1``, ``bn1``,
``layer1.0.conv1``, ...), so a torchvision, timm or R3M ResNet-18 state dict loads as it is. Weights
come only from a local file the user names (``--weights``; ``.safetensors``, or a ``.pt``/``.pth``
state dict read with ``weights_only=True``): nothing is downloaded. Frames are scaled to [0, 1] and
normalised with the ImageNet mean and std, as those weights expect; the 512-d average-pooled
features are φ, optionally projected to ``embed_dim``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from dynarep.train.checkpoint import CheckpointError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
STRIPPED_PREFIXES = ("module.", "convnet.", "model.", "backbone.", "encoder.")


@dataclass(frozen=True)
class ResNetConfig:
    """Architecture of the ResNet-18 encoder."""

    image_size: int = 64
    """Side of the square input image in pixels (any size from 32 up)."""
    projection: int | None = None
    """Project the 512-d pooled features to this size (None: φ is the 512-d features)."""
    weights: str | None = None
    """Local ResNet-18 weights to start from (.safetensors, .pt, .pth); None: random init."""

    @property
    def in_channels(self) -> int:
        return 3

    @property
    def embed_dim(self) -> int:
        return self.projection or 512

    def to_dict(self) -> dict[str, Any]:
        return {"name": "resnet18", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResNetConfig:
        return cls(**{k: v for k, v in data.items() if k != "name"})


class BasicBlock(nn.Module):
    def __init__(self, in_channels: int, channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride, bias=False), nn.BatchNorm2d(channels)
            )

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNetEncoder(nn.Module):
    """φ: uint8 frames (B, S, S, 3) -> (B, 512) (or ``embed_dim``)."""

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__()
        if config.image_size < 32:
            raise ValueError(f"a ResNet-18 encoder needs frames of at least 32 px, got {config.image_size}")
        self.config = config
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths, layers, in_channels = (64, 128, 256, 512), [], 64
        for i, width in enumerate(widths):
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(BasicBlock(in_channels, width, stride), BasicBlock(width, width, 1)))
            in_channels = width
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.project = nn.Identity() if config.projection is None else nn.Linear(512, config.projection)
        self.register_buffer("mean_frame", torch.tensor(IMAGENET_MEAN).view(3, 1, 1) * 255)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(3, 1, 1) * 255)

    def set_mean_frame(self, frames: Tensor) -> None:
        """No-op: pretrained ResNet weights expect the ImageNet statistics, kept as they are."""

    def normalize(self, frames: Tensor) -> Tensor:
        size = self.config.image_size
        if frames.shape[1:] != (size, size, 3):
            raise ValueError(f"encoder expects frames (B, {size}, {size}, 3), got {tuple(frames.shape)}")
        return self.center(frames.permute(0, 3, 1, 2).float())

    def center(self, pixels: Tensor) -> Tensor:
        return (pixels - self.mean_frame) / self.std

    def features(self, centered: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(centered))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.project(x.mean(dim=(2, 3)))

    def embed(self, pixels: Tensor) -> Tensor:
        return self.features(self.center(pixels))

    def forward(self, frames: Tensor) -> Tensor:
        return self.features(self.normalize(frames))

    def load_backbone(self, path: str | Path) -> None:
        """Load a torchvision/timm/R3M ResNet-18 state dict (the classifier ``fc`` is dropped)."""
        path = Path(path)
        if not path.exists():
            raise CheckpointError(f"--weights {path}: no such file")
        try:
            if path.suffix == ".safetensors":
                from safetensors.torch import load_file

                state = load_file(str(path))
            else:
                state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # noqa: BLE001  (any decoding failure names the file)
            raise CheckpointError(
                f"--weights {path}: unreadable weights ({type(error).__name__}: {error})"
            ) from None
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        state = {_strip(k): v for k, v in state.items() if not _strip(k).startswith("fc.")}
        expected = {k for k in self.state_dict() if not k.startswith(("project.", "mean_frame", "std"))}
        missing = sorted(expected - set(state))
        if missing:
            raise CheckpointError(f"--weights {path}: not a ResNet-18 state dict (missing {missing[:3]})")
        wrong = [k for k in expected if state[k].shape != self.state_dict()[k].shape]
        if wrong:
            raise CheckpointError(f"--weights {path}: {wrong[0]} has shape {tuple(state[wrong[0]].shape)}")
        self.load_state_dict({k: state[k] for k in expected}, strict=False)


def _strip(key: str) -> str:
    """R3M and wrapped models prefix the torchvision names (``module.convnet.conv1.weight``)."""
    changed = True
    while changed:
        changed = False
        for prefix in STRIPPED_PREFIXES:
            if key.startswith(prefix):
                key, changed = key[len(prefix) :], True
    return key
