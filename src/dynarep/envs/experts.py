"""Scripted experts: the demonstrators whose data every objective learns from."""

from __future__ import annotations

import numpy as np


def pointmass_expert(
    position: np.ndarray,
    velocity: np.ndarray,
    goal: np.ndarray,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """PD controller a = clip(10 (goal - pos) - 1 vel + noise N(0, I), -1, 1) (protocol §2.1).

    Works on single states (shape (2,)) or batches (shape (n, 2)).
    """
    action = 10.0 * (goal - position) - 1.0 * velocity
    if noise > 0:
        rng = rng or np.random.default_rng()
        action = action + noise * rng.standard_normal(action.shape)
    return np.clip(action, -1.0, 1.0)
