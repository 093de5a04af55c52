"""Settings of pretraining (``dynarep.train.pretrain``), apart from it so that the CLI builds
``--help`` and refuses a bad flag without importing torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from dynarep.config_checks import AT_LEAST_0, AT_LEAST_1, POSITIVE, Checked


@dataclass
class PretrainConfig(Checked):
    """Optimisation settings of a pretraining run."""

    steps: Annotated[int, AT_LEAST_0] = 2000
    """Optimiser steps (the paper: 100k on a GPU); 0 exports the randomly initialised encoder."""
    batch_size: Annotated[int, AT_LEAST_1] = 128
    """Windows per step."""
    lr: Annotated[float, POSITIVE] = 1e-3
    """Base learning rate, scaled by batch_size/256 (protocol §3.4)."""
    weight_decay: Annotated[float, AT_LEAST_0] = 1e-4
    """AdamW weight decay."""
    seed: int = 0
    """Seed of initialisation and sampling."""
    max_episodes: Annotated[int | None, AT_LEAST_1] = None
    """Use only the first N episodes of the store (None: all)."""
    checkpoint_every: Annotated[int, AT_LEAST_1] = 500
    """Steps between resumable checkpoints."""
    log_every: Annotated[int, AT_LEAST_1] = 50
    """Steps between JSONL log lines."""
    cameras: tuple[str, ...] = ()
    """Store cameras to train on (default: the first); several are encoded and concatenated."""
    separate_cameras: bool = False
    """With several cameras: one encoder per camera instead of one shared encoder."""
