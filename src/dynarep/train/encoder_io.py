"""The standalone encoder artifact: ``encoder.safetensors`` + ``encoder.json``.

``load_encoder(path)`` is the one call a user needs to get φ back, with no training code involved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dynarep.nets.encoder import ConvEncoder, EncoderConfig
from dynarep.train.checkpoint import CheckpointError, load_weights, read_config, save_weights

ENCODER_KIND = "dynarep.encoder/v1"


def _stem(path: str | Path) -> Path:
    path = Path(path)
    return path / "encoder" if path.is_dir() else path.with_suffix("")


def export_encoder(path: str | Path, encoder: ConvEncoder, provenance: dict[str, Any]) -> Path:
    """Write the encoder next to its config and provenance (objective, data, steps)."""
    stem = _stem(path)
    save_weights(stem, encoder, {"kind": ENCODER_KIND, "encoder": encoder.config.to_dict(), **provenance})
    return stem.with_suffix(".safetensors")


def load_encoder(path: str | Path) -> ConvEncoder:
    """Load an exported encoder from its folder or its ``.safetensors``/``.json`` path."""
    stem = _stem(path)
    config = read_config(stem)
    if config.get("kind") != ENCODER_KIND:
        raise CheckpointError(
            f"{stem.with_suffix('.json')}: not a dynarep encoder (kind {config.get('kind')!r})"
        )
    encoder = ConvEncoder(EncoderConfig.from_dict(config["encoder"]))
    load_weights(stem, encoder)
    return encoder.eval()
