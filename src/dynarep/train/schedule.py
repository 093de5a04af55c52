"""Optimiser and learning-rate schedule shared by pretraining and finetuning (protocol §3.4)."""

from __future__ import annotations

import math

import torch
from torch import nn


def peak_lr(lr: float, batch_size: int) -> float:
    """The protocol's linear scaling: a base lr is quoted for batch 256."""
    return lr * batch_size / 256


def make_optimizer(module: nn.Module, lr: float, batch_size: int, weight_decay: float) -> torch.optim.AdamW:
    """AdamW at ``peak_lr(lr, batch_size)``."""
    params = [p for p in module.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=peak_lr(lr, batch_size), weight_decay=weight_decay)


def cosine_lr(peak: float, step: int, total: int) -> float:
    """Cosine decay from ``peak`` to 0 over ``total`` steps, no warm-up."""
    return peak * 0.5 * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when available, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
