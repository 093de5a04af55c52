"""Settings of few-shot behaviour cloning (``dynarep.train.finetune``), apart from it so that the CLI
builds ``--help`` and refuses a bad flag without importing torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from dynarep.config_checks import AT_LEAST_0, AT_LEAST_1, FRACTION, POSITIVE, Checked


@dataclass
class FinetuneConfig(Checked):
    """Settings of few-shot behaviour cloning."""

    demos: Annotated[int, AT_LEAST_1] = 2
    """Use the first N episodes of the finetuning store."""
    steps: Annotated[int, AT_LEAST_0] = 2000
    """Optimiser steps (the paper: 10k)."""
    batch_size: Annotated[int, AT_LEAST_1] = 256
    """Frames per step."""
    lr: Annotated[float, POSITIVE] = 1e-3
    """Base learning rate, scaled by batch_size/256."""
    weight_decay: Annotated[float, AT_LEAST_0] = 1e-4
    """AdamW weight decay."""
    dropout: Annotated[float, FRACTION] = 0.1
    """Dropout of the head."""
    shift: Annotated[int, AT_LEAST_0] = 2
    """Random-shift pixels (scratch policies only; frozen embeddings get none)."""
    state_columns: Literal["oracle", "all"] = "oracle"
    """State policies only: the environment's oracle columns (point mass: position) or all of
    observation.state."""
    standardize_states: bool = False
    """State policies only: train the head on the states minus the demos' mean, over their standard
    deviation (floored at 0.01), folded into the head's first layer afterwards so the saved
    policy reads raw states. Metaworld's raw hand and object coordinates (metres, moving by
    centimetres) otherwise reach the head almost constant; its presets switch it on."""
    seed: int = 0
    """Seed of initialisation and sampling."""
