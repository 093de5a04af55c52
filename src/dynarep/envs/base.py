"""The environment seam: everything the pipeline needs from a simulator, behind one interface.

An environment is one module that registers a config dataclass (its documented fields become
``dynarep collect --env NAME`` flags) and an ``Environment`` subclass. Collection asks it for expert
episodes, evaluation for a gymnasium vector env and the expert's own success, finetuning for the
state the oracle reads, and probes for the state they decode. Nothing outside ``envs/`` names a
particular environment except the benchmark suites.

Seeds: a *task id* fixes the hidden context (a goal, an object configuration, a Metaworld task);
an *episode seed* fixes the start within it. Both are explicit, so every episode can be redone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from dynarep.data.store import Episode
from dynarep.envs.experts import ActionNoise
from dynarep.registry import Registry


class Environment:
    """Base class of a registered environment; the config is the only constructor argument."""

    registry_name: ClassVar[str]
    version: ClassVar[str] = "1"
    """Raised when a change alters what the environment records (stored in ``meta/info.json``)."""

    def __init__(self, config: Any) -> None:
        self.config = config

    # --- what the data mean -------------------------------------------------------------------
    fps: float = 20.0
    state_names: tuple[str, ...] = ()
    """Names of the columns of ``observation.state`` (the privileged state the store keeps)."""
    context_names: tuple[str, ...] = ()
    """Names of the hidden-context vector stored per episode."""
    oracle_state: tuple[int, ...] = ()
    """Columns of ``observation.state`` the state-oracle policy reads."""
    probe_targets: dict[str, tuple[int, ...]] = {}
    """Named groups of state columns that probes decode from φ(o); the first is the headline."""
    reward_rule: str = ""
    """What the stored ``next.reward`` is, one sentence (recorded in ``meta/info.json``); empty when
    the environment records no reward."""

    @property
    def image_size(self) -> int:
        return int(self.config.image_size)

    @property
    def max_steps(self) -> int:
        """Longest episode in control steps."""
        raise NotImplementedError

    def check_available(self) -> None:
        """Raise a one-line error when this machine cannot run the simulator (called before any
        file is written)."""

    def expert_info(self) -> dict[str, Any]:
        """Provenance of the scripted expert, stored in ``meta/info.json``."""
        return {}

    # --- collection -----------------------------------------------------------------------------
    def record_episodes(self, task_ids: list[int], seeds: list[int], noise: ActionNoise) -> list[Episode]:
        """Roll out the scripted expert once per (task id, episode seed), rendering every frame;
        ``noise.for_episode(seed, shape)`` gives each episode's perturbations of its actions."""
        raise NotImplementedError

    # --- evaluation -----------------------------------------------------------------------------
    def make_vector_env(self, num_envs: int, render: bool = True) -> gym.vector.VectorEnv:
        """A vector env for rollouts. ``reset(seed=[...], options={"task_id": t})`` starts one
        episode per sub-env (``task_id`` None: each episode draws its context from its seed);
        observations are dicts with ``pixels`` (uint8, zeros when ``render`` is False) and ``state``;
        infos carry ``success``. Autoreset is disabled: a finished sub-env idles until reset."""
        raise NotImplementedError

    def rollout_envs(self, episodes: int, workers: int) -> int:
        """How many sub-envs to roll ``episodes`` out with, given ``workers`` processes."""
        return max(1, min(episodes, workers))

    def expert_successes(self, task_id: int | None, seeds: list[int]) -> np.ndarray:
        """Whether the scripted expert succeeds from these starts (physics only, no rendering)."""
        raise NotImplementedError

    def episode_metrics(self, info: dict[str, Any], index: int) -> dict[str, float]:
        """Extra per-episode numbers for results files, read from a finished episode's info."""
        return {}

    def close(self) -> None:
        """Release simulators and renderers this object holds."""


_ENVIRONMENTS: Registry[type[Environment]] = Registry("environment")


def register_environment(name: str, config_class: type) -> Callable[[type[Environment]], type[Environment]]:
    """Class decorator: make ``name`` usable as ``--env name``."""
    return _ENVIRONMENTS.register(name, config_class)


def environment_names() -> list[str]:
    return _ENVIRONMENTS.names()


def get_environment(name: str) -> tuple[type, type[Environment]]:
    """(config class, environment class), or a one-line error listing the registered names."""
    return _ENVIRONMENTS.get(name)


def env_config_to_dict(config: Any) -> dict[str, Any]:
    """A config as stored in stores and policies: its fields plus the environment's name."""
    return {"name": _ENVIRONMENTS.name_of_config(config), **asdict(config)}


def env_config_from_dict(data: dict[str, Any]) -> Any:
    """Inverse of ``env_config_to_dict``; stores made before the seam carry no name (point mass)."""
    config_class, _ = get_environment(data.get("name", "pointmass"))
    known = {f.name for f in fields(config_class)}
    return config_class(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known})


def make_environment(config: Any) -> Environment:
    """The environment for a config object or its stored dict."""
    if isinstance(config, dict):
        config = env_config_from_dict(config)
    _, env_class = get_environment(_ENVIRONMENTS.name_of_config(config))
    return env_class(config)
