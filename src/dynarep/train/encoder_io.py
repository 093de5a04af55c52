"""The standalone encoder artifact: ``encoder.safetensors`` + ``encoder.json``.

``load_encoder(path)`` is the one call a user needs to get φ back, with no training code involved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from dynarep.nets.factory import build_encoder, encoder_config_from_dict
from dynarep.train.checkpoint import CheckpointError, load_weights, read_config, save_weights

ENCODER_KIND = "dynarep.encoder/v1"


PACKAGE_STEM = "model"  # ``dynarep export-encoder`` writes model.safetensors + config.json


def _stem(path: str | Path) -> Path:
    path = Path(path)
    return path / "encoder" if path.is_dir() else path.with_suffix("")


def locate_encoder(path: str | Path) -> tuple[Path, Path]:
    """(weights stem, config stem) of an encoder: a pretraining run folder (encoder.*), a folder
    written by ``dynarep export-encoder`` (model.safetensors + config.json), or either's file."""
    stem = _stem(path)
    exported = stem.name == PACKAGE_STEM or (Path(path).is_dir() and not stem.with_suffix(".json").exists())
    if exported and Path(path).is_dir():
        stem = stem.with_name(PACKAGE_STEM)
    return stem, stem.with_name("config") if exported else stem


def export_encoder(path: str | Path, encoder: nn.Module, provenance: dict[str, Any]) -> Path:
    """Write the encoder next to its config and provenance (objective, data, steps)."""
    stem = _stem(path)
    save_weights(stem, encoder, {"kind": ENCODER_KIND, "encoder": encoder.config.to_dict(), **provenance})
    return stem.with_suffix(".safetensors")


def read_encoder_config(path: str | Path) -> dict[str, Any]:
    """The JSON beside an encoder's weights (architecture and provenance), checked to be one."""
    weights, config_stem = locate_encoder(path)
    if Path(path).is_dir() and not config_stem.with_suffix(".json").exists():
        raise CheckpointError(
            f"{path}: no encoder here (expected encoder.safetensors + encoder.json from `dynarep "
            "pretrain`, or model.safetensors + config.json from `dynarep export-encoder`)"
        )
    config = read_config(config_stem)
    if config.get("kind") != ENCODER_KIND:
        raise CheckpointError(
            f"{config_stem.with_suffix('.json')}: not a dynarep encoder (kind {config.get('kind')!r})"
        )
    return config


def load_encoder(path: str | Path) -> nn.Module:
    """Load an encoder (see ``locate_encoder`` for the paths it accepts) in eval mode."""
    config = read_encoder_config(path)
    encoder = build_encoder(encoder_config_from_dict(config["encoder"]), fresh=False)
    load_weights(locate_encoder(path)[0], encoder)
    return encoder.eval()


def encoder_cameras(path: str | Path) -> list[str] | None:
    """The store cameras an encoder was trained on (None: the store's first camera)."""
    config = read_encoder_config(path)
    return config.get("cameras") or config["encoder"].get("camera_names")
