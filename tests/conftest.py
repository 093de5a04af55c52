"""Shared tiny fixtures: 32 px frames, 10-step episodes, a handful of episodes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dynarep.data.collect import CollectSpec, collect
from dynarep.envs.pointmass import PointMassConfig

TINY_ENV = PointMassConfig(image_size=32, episode_steps=10)

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 pretraining-style episodes (one goal each), collected in-process."""
    path = tmp_path_factory.mktemp("stores") / "pretrain"
    collect(path, TINY_ENV, CollectSpec(episodes=6), workers=1, progress=False)
    return path


@pytest.fixture(scope="session")
def tiny_finetune_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 episodes sharing one hidden goal."""
    path = tmp_path_factory.mktemp("stores") / "finetune"
    spec = CollectSpec(episodes=4, first_task=1_000_000, episodes_per_task=4, seed=1_000_000)
    collect(path, TINY_ENV, spec, workers=1, progress=False)
    return path
