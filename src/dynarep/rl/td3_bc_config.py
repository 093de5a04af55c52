"""Settings of TD3+BC (``dynarep.rl.td3_bc``), apart from it so that the CLI builds ``--help`` and
refuses a bad flag without importing torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from dynarep.config_checks import AT_LEAST_1, FRACTION, POSITIVE, Checked


@dataclass
class TD3BCConfig(Checked):
    """Settings of TD3+BC (defaults: the paper's, as SSORL uses them)."""

    steps: Annotated[int, AT_LEAST_1] = 20000
    """Critic updates (the actor updates every policy_every of them)."""
    batch_size: Annotated[int, AT_LEAST_1] = 256
    """Transitions per update."""
    lr: Annotated[float, POSITIVE] = 3e-4
    """Adam learning rate of actor and critics."""
    alpha: Annotated[float, POSITIVE] = 2.5
    """Weight of the Q term against behaviour cloning (λ = alpha / mean |Q|)."""
    discount: Annotated[float, FRACTION] = 0.99
    """Discount factor γ."""
    tau: Annotated[float, FRACTION] = 0.005
    """Polyak rate of the target networks."""
    policy_noise: Annotated[float, FRACTION] = 0.2
    """Std of the target policy smoothing noise."""
    noise_clip: Annotated[float, FRACTION] = 0.5
    """Clip of the target policy smoothing noise."""
    policy_every: Annotated[int, AT_LEAST_1] = 2
    """Delay of actor and target updates, in critic updates."""
    state_columns: Literal["all", "oracle"] = "all"
    """State columns the agent reads: all of observation.state, or the environment's oracle columns."""
    terminal_on_done: bool = False
    """Treat each episode's last step as terminal (no bootstrapping); off for time-limited episodes."""
    seed: int = 0
    """Seed of initialisation and sampling."""
