"""Sizes of the theory experiment (``dynarep.experiments.theory``), apart from it so that the CLI
builds ``--help`` and refuses a bad flag without importing torch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TheoryConfig:
    """Sizes of the theory experiment."""

    episodes_per_context: int = 10
    """Pretraining episodes per hidden context."""
    steps: int = 2000
    """Full-batch Adam steps for each linear encoder."""
    lr: float = 0.02
    """Adam learning rate."""
    l2: float = 1e-3
    """L2 penalty on W: directions the objective does not need decay, so W keeps only what it uses."""
    demos: tuple[int, ...] = (1, 2, 5)
    """Finetuning set sizes (episodes of the new context)."""
    new_contexts: int = 20
    """New contexts averaged over for few-shot BC."""
    ridge: float = 1e-3
    """Ridge penalty of the few-shot policy fit."""
    seed: int = 0
    """Seed of data and initialisation."""
