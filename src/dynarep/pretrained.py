"""The encoder in someone else's code: ``dynarep.load_encoder`` and ``dynarep export-encoder``.

``load_encoder(path)`` returns a ``PretrainedEncoder``: a plain ``nn.Module`` in eval mode whose
forward takes camera frames as they come (uint8 ``(B, H, W, 3)`` or float ``(B, 3, H, W)`` in
[0, 1], any size) and returns the embedding. Resizing (bilinear with anti-aliasing, the rule the
importers use) and the mean-frame normalisation the encoder was trained with are built in, so the
caller needs no dynarep code beyond this one call.

``export_encoder_package(run, out)`` writes a self-describing folder: ``model.safetensors``,
``config.json`` (architecture, objective, training data and steps, probe results) and a
``README.md`` model card. Loading it never executes code.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from dynarep.data.resize import resize_pixels
from dynarep.data.store import atomic_write_bytes
from dynarep.data.store_writer import staged_folder
from dynarep.files import read_json
from dynarep.nets.factory import encoder_config_from_dict
from dynarep.train.checkpoint import write_config
from dynarep.train.encoder_io import PACKAGE_STEM, locate_encoder, read_encoder_config
from dynarep.train.encoder_io import load_encoder as load_conv_encoder


class PretrainedEncoder(nn.Module):
    """A dynarep encoder with its preprocessing built in: frames in, embeddings ``(B, D)`` out."""

    def __init__(self, encoder: nn.Module, info: dict[str, Any]) -> None:
        super().__init__()
        self.encoder = encoder
        self.info = info
        """Architecture and provenance (objective, steps, training data), as exported."""

    @property
    def image_size(self) -> int:
        """Side of the square frames the encoder reads; inputs of other sizes are resized to it."""
        return self.encoder.config.image_size

    @property
    def embed_dim(self) -> int:
        return self.encoder.config.embed_dim

    def forward(self, images: Tensor) -> Tensor:
        """uint8 ``(B, H, W, 3)`` (0-255) or float ``(B, 3, H, W)`` (0-1) -> ``(B, embed_dim)``."""
        if images.ndim != 4:
            raise ValueError(f"expected a batch of images (4 dimensions), got shape {tuple(images.shape)}")
        channels = self.encoder.config.in_channels  # 3 per camera, cameras stacked in info order
        if images.dtype == torch.uint8:
            if images.shape[-1] != channels:
                raise ValueError(f"uint8 images must be (B, H, W, {channels}), got {tuple(images.shape)}")
            pixels = images.permute(0, 3, 1, 2).float()
        elif images.is_floating_point():
            if images.shape[1] != channels:
                raise ValueError(
                    f"float images must be (B, {channels}, H, W) in [0, 1], got {tuple(images.shape)}"
                )
            pixels = images.float() * 255.0
        else:
            raise ValueError(f"images must be uint8 (B, H, W, 3) or float (B, 3, H, W), got {images.dtype}")
        return self.encoder.embed(resize_pixels(pixels, self.image_size))


def load_encoder(path: str | Path) -> PretrainedEncoder:
    """A pretrained encoder, ready for frames of any size, in eval mode.

    ``path``: a pretraining run folder (``runs/id``), a folder written by ``dynarep
    export-encoder``, or the ``.safetensors`` file of either.
    """
    return PretrainedEncoder(load_conv_encoder(path), read_encoder_config(path)).eval()


def export_encoder_package(run: str | Path, out: str | Path) -> Path:
    """Write ``out/`` = model.safetensors + config.json + README.md (a model card) for ``run``."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"--out {out}: exists and is not an empty folder; choose a new one")
    info = read_encoder_config(run)
    load_conv_encoder(run)  # refuse weights that do not fit before writing anything
    weights, _ = locate_encoder(run)
    run_folder = weights.parent
    training = _read_json(run_folder / "config.json")
    probes = _read_json(run_folder / "probe.json")
    package = {**info, "training": _training_summary(training), "probes": probes}
    if out.exists():
        out.rmdir()  # an empty folder: fine to take its place
    with staged_folder(out) as tmp:
        shutil.copyfile(weights.with_suffix(".safetensors"), tmp / f"{PACKAGE_STEM}.safetensors")
        write_config(tmp / "config.json", package)
        atomic_write_bytes(tmp / "README.md", model_card(package).encode())
    return out


def _read_json(path: Path) -> dict[str, Any]:
    return read_json(path) if path.exists() else {}


def _training_summary(config: dict[str, Any]) -> dict[str, Any]:
    """The parts of a pretraining run's config a reader of the model card cares about."""
    keys = ("objective", "objective_config", "pretrain", "store_info")
    return {k: config[k] for k in keys if k in config}


def model_card(package: dict[str, Any]) -> str:
    """A Markdown model card: what the encoder is, how it was trained, how to use it."""
    arch = package["encoder"]
    built = encoder_config_from_dict(arch)
    store = package.get("store", {})
    env = store.get("env", {})
    training = package.get("training", {})
    optimisation = training.get("pretrain", {})
    objective = package.get("objective", "unknown")
    lines = [
        "---",
        "library_name: dynarep",
        "tags: [robotics, imitation-learning, representation-learning, " + objective.replace("_", "-") + "]",
        "---",
        "",
        f"# dynarep encoder: {objective} on {env.get('name', 'an episode store')}",
        "",
        f"A {built.embed_dim}-d visual representation φ(o) pretrained with **{objective}** by "
        f"dynarep ({arch.get('name', 'conv')} encoder). Freeze it and train a small policy head on a "
        "few demonstrations.",
        "",
        "## Use",
        "",
        "```python",
        "import dynarep",
        "",
        'encoder = dynarep.load_encoder("path/to/this/folder")  # nn.Module, eval mode',
        f"z = encoder(frames)  # uint8 (B, H, W, {built.in_channels}) or float "
        f"(B, {built.in_channels}, H, W) in [0, 1] -> (B, {built.embed_dim})",
        "```",
        "",
        f"Frames of any size are resized to {built.image_size}x{built.image_size} (bilinear, "
        "anti-aliased) and normalised as in training inside the module.",
        "",
        "## Training",
        "",
        "| | |",
        "|---|---|",
        f"| objective | `{objective}` {json.dumps(training.get('objective_config', {}), sort_keys=True)} |",
        f"| steps | {package.get('steps', optimisation.get('steps', '?'))} |",
        f"| batch size, lr, weight decay | {optimisation.get('batch_size', '?')}, "
        f"{optimisation.get('lr', '?')}, {optimisation.get('weight_decay', '?')} |",
        f"| seed | {optimisation.get('seed', '?')} |",
        f"| data: environment | `{json.dumps(env, sort_keys=True)}` |",
        f"| data: episodes | {store.get('num_episodes', '?')} |",
        f"| data: collection | `{json.dumps(store.get('collection', {}), sort_keys=True)}` |",
        "",
        "## Architecture",
        "",
        f"`{json.dumps(arch, sort_keys=True)}` (input {built.image_size} px, embedding {built.embed_dim}).",
        "",
    ]
    probes = package.get("probes") or {}
    if probes:
        lines += [
            "## Probes (state decodability, validation RMSE in mm on held-out episodes)",
            "",
            "| target | linear | MLP |",
            "|---|---|---|",
        ]
        targets = sorted({key.split("/")[2] for key in probes if key.endswith("/val_mm")})
        for target in targets:
            linear = probes.get(f"probe/linear/{target}/val_mm")
            mlp = probes.get(f"probe/mlp/{target}/val_mm")
            lines.append(f"| {target} | {_mm(linear)} | {_mm(mlp)} |")
        lines.append("")
    lines += [
        "## Files",
        "",
        "`model.safetensors` (weights, including the mean frame), `config.json` (architecture and "
        "provenance), this card. Loading executes no code.",
        "",
    ]
    return "\n".join(lines)


def _mm(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
