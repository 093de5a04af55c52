"""Checkpoints as safetensors + JSON: loading never executes code (no pickles).

``save_weights`` / ``load_weights`` handle one module; the optimizer state of a resumable run is
flattened into tensors (``opt.<param>.<key>``) plus JSON for its hyperparameters.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import nn

from dynarep.data.store import atomic_write_json
from dynarep.files import FileError, read_sealed_json, read_tensors, seal, sha256


class CheckpointError(FileError):
    """A checkpoint is missing or does not match the network it is loaded into."""


def save_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> str:
    """Write a safetensors file atomically; returns its SHA-256 (readers check it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))
    digest = sha256(tmp)
    os.replace(tmp, path)
    return digest


def save_weights(stem: Path, module: nn.Module, config: dict[str, Any]) -> str:
    """Write ``stem.safetensors`` and ``stem.json`` (JSON last: its presence marks completeness;
    it records the weights' SHA-256, which ``load_weights`` checks, and its own). Returns the
    weights' SHA-256."""
    stem = Path(stem)
    digest = save_tensors(stem.with_suffix(".safetensors"), module.state_dict())
    write_config(stem.with_suffix(".json"), {**config, "sha256": digest})
    return digest


def write_config(path: Path, config: dict[str, Any]) -> None:
    """Write a weights config with a fresh checksum of itself (``read_config`` checks it)."""
    atomic_write_json(path, seal(config))


def read_config(stem: Path) -> dict[str, Any]:
    """A checkpoint's JSON config, checked against its own checksum (configs written before it
    existed are read unchecked)."""
    path = Path(stem).with_suffix(".json")
    if not path.exists():
        raise CheckpointError(f"{path}: missing (expected a dynarep checkpoint config)")
    return read_sealed_json(path, CheckpointError, "a dynarep checkpoint config")


def load_weights(stem: Path, module: nn.Module) -> None:
    """Load weights into ``module``, with a one-line error when they are damaged or belong to
    another network."""
    path = Path(stem).with_suffix(".safetensors")
    if not path.exists():
        raise CheckpointError(f"{path}: missing")
    config_path = path.with_suffix(".json")
    recorded = read_config(path.with_suffix("")).get("sha256") if config_path.exists() else None
    tensors = read_tensors(path, recorded)
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = [k for k in expected if k in tensors and tensors[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        if missing:
            detail = f"missing {missing[:3]}"
        elif unexpected:
            detail = f"unexpected {unexpected[:3]}"
        else:
            key = wrong[0]
            detail = f"shape of {key} is {tuple(tensors[key].shape)}, expected {tuple(expected[key].shape)}"
        raise CheckpointError(f"{path}: weights do not fit this network ({detail})")
    module.load_state_dict(tensors)


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer state into tensors and JSON-able hyperparameters."""
    state = optimizer.state_dict()
    tensors = {
        f"opt.{param}.{key}": value if torch.is_tensor(value) else torch.tensor(value)
        for param, slots in state["state"].items()
        for key, value in slots.items()
    }
    return tensors, {"param_groups": state["param_groups"]}


def load_optimizer(
    optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any]
) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        if name.startswith("opt."):
            _, param, key = name.split(".", 2)
            state.setdefault(int(param), {})[key] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
