"""The linear latent-context environment: the paper's theory setting, cheap and exact.

State s ∈ R^d, observation o = G s + noise in R^D (D ≫ d), dynamics s' = A s + B a + noise, and a
hidden context c per episode that picks the expert gain: a = K_c s + noise. The gains share a
rank-one mean K̄ = u vᵀ, so the context-averaged policy (all that multitask BC can fit when c is
hidden) reads the state along v only, while inverse dynamics, a = B⁺(s' − A s), needs all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LinearContextConfig:
    """Sizes and noise levels of the linear latent-context environment."""

    state_dim: int = 4
    """d: dimension of the true state."""
    obs_dim: int = 32
    """D: dimension of the observation o = G s + noise."""
    action_dim: int = 2
    """m: dimension of the action."""
    contexts: int = 20
    """Hidden contexts in the pretraining corpus."""
    gain_spread: float = 0.3
    """Scale of each context's deviation from the mean gain."""
    obs_noise: float = 0.02
    """Std of observation noise."""
    process_noise: float = 0.01
    """Std of dynamics noise."""
    action_noise: float = 0.05
    """Std of the expert's action noise."""
    horizon: int = 20
    """Steps per episode."""
    seed: int = 0
    """Seed of the matrices G, A, B and the contexts' gains."""


class LinearContextEnv:
    """Samples the fixed matrices once; rolls out experts of any context."""

    def __init__(self, config: LinearContextConfig | None = None) -> None:
        self.config = c = config or LinearContextConfig()
        rng = np.random.default_rng(c.seed)
        self.G = np.linalg.qr(rng.standard_normal((c.obs_dim, c.state_dim)))[0] * 3.0  # D x d
        rotation = np.linalg.qr(rng.standard_normal((c.state_dim, c.state_dim)))[0]
        self.A = 0.8 * rotation  # stable open loop
        self.B = rng.standard_normal((c.state_dim, c.action_dim)) / np.sqrt(c.state_dim)
        u = rng.standard_normal((c.action_dim, 1))
        v = rng.standard_normal((1, c.state_dim))
        self.mean_gain = 0.3 * (u @ v) / (np.linalg.norm(u) * np.linalg.norm(v))  # rank one
        self.gains = np.stack([self.new_gain(rng) for _ in range(c.contexts)])

    def new_gain(self, rng: np.random.Generator) -> np.ndarray:
        """The gain of a fresh context: K̄ + a zero-mean random deviation, redrawn until the closed
        loop A + B K is stable (spectral radius below 0.95), so that episodes stay bounded."""
        c = self.config
        while True:
            deviation = rng.standard_normal((c.action_dim, c.state_dim)) / np.sqrt(c.state_dim)
            gain = self.mean_gain + c.gain_spread * deviation
            if np.abs(np.linalg.eigvals(self.A + self.B @ gain)).max() < 0.95:
                return gain

    def rollout(self, gain: np.ndarray, episodes: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Expert episodes under one gain: obs (E, T+1, D), states (E, T+1, d), actions (E, T, m)."""
        c = self.config
        states = np.zeros((episodes, c.horizon + 1, c.state_dim))
        actions = np.zeros((episodes, c.horizon, c.action_dim))
        states[:, 0] = rng.standard_normal((episodes, c.state_dim))
        for t in range(c.horizon):
            s = states[:, t]
            a = s @ gain.T + c.action_noise * rng.standard_normal((episodes, c.action_dim))
            actions[:, t] = a
            states[:, t + 1] = s @ self.A.T + a @ self.B.T + c.process_noise * rng.standard_normal(s.shape)
        obs = states @ self.G.T + c.obs_noise * rng.standard_normal((*states.shape[:2], c.obs_dim))
        return {"obs": obs, "states": states, "actions": actions}

    def corpus(self, episodes_per_context: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Multitask pretraining data: every context's episodes, the context itself not recorded."""
        parts = [self.rollout(gain, episodes_per_context, rng) for gain in self.gains]
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
