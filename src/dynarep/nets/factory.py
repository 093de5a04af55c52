"""Build an encoder from its config, or from the config's JSON form in a checkpoint."""

from __future__ import annotations

from typing import Any

from torch import nn

from dynarep.nets.encoder import ConvEncoder, EncoderConfig
from dynarep.nets.multicam import MultiCameraConfig, MultiCameraEncoder


def build_encoder(config: EncoderConfig | MultiCameraConfig) -> nn.Module:
    return MultiCameraEncoder(config) if isinstance(config, MultiCameraConfig) else ConvEncoder(config)


def encoder_config_from_dict(data: dict[str, Any]) -> EncoderConfig | MultiCameraConfig:
    """Inverse of ``config.to_dict()`` for either encoder (a multi-camera one names its cameras)."""
    return MultiCameraConfig.from_dict(data) if "camera_names" in data else EncoderConfig.from_dict(data)


def camera_names(config: EncoderConfig | MultiCameraConfig) -> tuple[str, ...] | None:
    """The store cameras a multi-camera encoder reads, in order; None for a one-camera encoder."""
    return config.camera_names if isinstance(config, MultiCameraConfig) else None
