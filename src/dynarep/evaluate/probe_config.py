"""Settings of the state-decodability probes (``dynarep.evaluate.probe``), apart from it so that the
CLI builds ``--help`` and refuses a bad flag without importing torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from dynarep.config_checks import AT_LEAST_0, Checked, Range


@dataclass
class ProbeConfig(Checked):
    """Settings of the state-decodability probes."""

    train_fraction: Annotated[float, Range(0, 1, open_low=True, open_high=True)] = 0.8
    """Fraction of the store's episodes used to fit the probes; the rest validates."""
    ridge: Annotated[float, AT_LEAST_0] = 1e-3
    """Ridge penalty of the linear probe."""
    mlp_steps: Annotated[int, AT_LEAST_0] = 1500
    """Adam steps of the MLP probe."""
    seed: int = 0
    """Seed of the MLP probe."""
