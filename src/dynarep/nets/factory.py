"""The encoder seam: φ's architectures, registered by name, built from a config or its JSON form.

``conv`` is the protocol's conv + spatial-softmax encoder; ``resnet18`` the ImageNet/R3M/DynaMo
backbone (from a local weights file or random). A multi-camera encoder wraps the conv encoder. Any
registered encoder serves every objective: they read ``config.embed_dim``, ``config.image_size``,
``config.in_channels`` and call ``normalize``, ``features`` and ``forward``.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from dynarep.nets.encoder import ConvEncoder, EncoderConfig
from dynarep.nets.multicam import MultiCameraConfig, MultiCameraEncoder
from dynarep.nets.resnet import ResNetConfig, ResNetEncoder
from dynarep.registry import Registry

ENCODERS: Registry[type[nn.Module]] = Registry("encoder")
ENCODERS.register("conv", EncoderConfig)(ConvEncoder)
ENCODERS.register("resnet18", ResNetConfig)(ResNetEncoder)
register_encoder = ENCODERS.register
get_encoder = ENCODERS.get
encoder_names = ENCODERS.names


def build_encoder(config: Any, fresh: bool = True) -> nn.Module:
    """The encoder for ``config``; a fresh one starts from ``config.weights`` when it names a
    file (a checkpoint being loaded does not: its own weights follow)."""
    if isinstance(config, MultiCameraConfig):  # a wrapper around conv encoders, not a backbone choice
        return MultiCameraEncoder(config)
    _, encoder_class = ENCODERS.get(ENCODERS.name_of_config(config))
    encoder = encoder_class(config)
    weights = getattr(config, "weights", None)
    if fresh and weights:
        encoder.load_backbone(weights)
    return encoder


def encoder_config_from_dict(data: dict[str, Any]) -> Any:
    """Inverse of ``config.to_dict()``: by its ``name``; older files (no name) are the conv
    encoder, or a multi-camera one when they name cameras."""
    if "camera_names" in data:
        return MultiCameraConfig.from_dict(data)
    config_class, _ = ENCODERS.get(data.get("name", "conv"))
    return config_class.from_dict(data)


def camera_names(config: Any) -> tuple[str, ...] | None:
    """The store cameras a multi-camera encoder reads, in order; None for a one-camera encoder."""
    return config.camera_names if isinstance(config, MultiCameraConfig) else None
