"""Scripted experts, the demonstrators whose data every objective learns from, and the noise that
turns them into the noisy experts of protocol §2.6 and §5.3."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ActionNoise:
    """Gaussian noise added to an expert's action before it is clipped.

    With ``correlation`` ρ = 0 each step draws afresh (the protocol's noisy expert). With ρ > 0
    the noise is an AR(1) process, n_t = ρ n_{t-1} + sqrt(1 - ρ²) ε_t, started from its
    stationary law: the same std, but a perturbation lasts about 1 / (1 - ρ) steps. That matters
    where one step's push moves the agent less than a frame resolves (the point mass at 32 px):
    i.i.d. noise is then invisible in the frames, while a lasting push bends the path visibly.
    """

    std: float = 0.0
    correlation: float = 0.0

    def process(self, rng: np.random.Generator, shape: tuple[int, ...]) -> NoiseProcess:
        """The noise of one episode (or one batch of episodes in lockstep)."""
        return NoiseProcess(self, rng, shape)

    def for_episode(self, seed: int, shape: tuple[int, ...]) -> NoiseProcess:
        """The noise of the episode started from ``seed``: every environment draws it from the
        same seeded stream, so a store depends on the seeds alone."""
        return self.process(np.random.default_rng([seed, NOISE_STREAM]), shape)


NOISE_STREAM = 11
"""Second word of the noise generator's seed, [episode seed, 11]: a stream of its own (the point
mass draws its start from [episode seed, 7])."""


class NoiseProcess:
    """Draws one episode's noise step by step; with std 0 it draws nothing and adds nothing."""

    def __init__(self, noise: ActionNoise, rng: np.random.Generator, shape: tuple[int, ...]) -> None:
        self.noise, self.rng, self.shape = noise, rng, shape
        self._last: np.ndarray | None = None

    def sample(self) -> np.ndarray | None:
        """This step's noise, or None without noise."""
        if self.noise.std <= 0:
            return None
        draw = self.rng.standard_normal(self.shape)
        rho = self.noise.correlation
        if rho > 0 and self._last is not None:
            draw = rho * self._last + math.sqrt(1.0 - rho * rho) * draw
        self._last = draw
        return self.noise.std * draw


def pointmass_expert(
    position: np.ndarray,
    velocity: np.ndarray,
    goal: np.ndarray,
    noise: np.ndarray | None = None,
) -> np.ndarray:
    """PD controller a = clip(10 (goal - pos) - 1 vel + noise, -1, 1) (protocol §2.1).

    Works on single states (shape (2,)) or batches (shape (n, 2)); ``noise`` is this step's draw
    from a ``NoiseProcess`` (None: the noiseless expert).
    """
    action = 10.0 * (goal - position) - 1.0 * velocity
    if noise is not None:
        action = action + noise
    return np.clip(action, -1.0, 1.0)
