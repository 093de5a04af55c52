"""Benchmark suites: which environment a comparison runs in, how its data are split, and the
published numbers to hold it against (protocol.md §2, §4.3). The benchmark runner never names an
environment; it reads a suite.

A suite has one pretraining environment and one or more finetuning targets (the Metaworld splits
finetune on 5 tasks, each a separate few-shot problem whose success is averaged per seed). A
finetuning set is either one configuration repeated (point mass, pick-place: the policy is
evaluated in that same hidden context) or one episode per configuration (door and the splits:
each rollout then draws a new configuration, the protocol's ``fix_eval_task=False``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dynarep.envs.metaworld import MetaworldConfig
from dynarep.envs.metaworld_tasks import DOOR_SPLIT, ML45_SPLIT, R3M_SPLIT
from dynarep.envs.pointmass import PointMassConfig
from dynarep.experiments.presets import (
    DOOR_PRESETS,
    PICK_PLACE_PRESETS,
    POINTMASS_PRESETS,
    SPLIT_PRESETS,
    Preset,
)


@dataclass(frozen=True)
class Suite:
    """One benchmark: environments, data split, presets and the published success to compare."""

    title: str
    """Heading of the report and the plot."""
    pretrain_env: Callable[[Preset], Any]
    """The pretraining corpus's environment config for a preset."""
    finetune_envs: Callable[[Preset], dict[str, Any]]
    """Finetuning targets: name -> environment config (one few-shot problem each)."""
    presets: dict[str, Preset]
    """Sizes: quick, cpu, paper."""
    one_configuration: bool = True
    """True: a finetuning set repeats one hidden context and rollouts stay in it; False: one
    episode per configuration and every rollout draws a new one."""
    success_only: bool = False
    """Keep only the expert's successful episodes (re-running failures from new starts)."""
    published: dict[str, dict[int, float]] = field(default_factory=dict)
    """Published success per method and demo count (protocol.md §4.3)."""
    success_rule: str = ""
    """One sentence for the report: what counts as success."""
    state_label: str = "State oracle"
    """Table label of the state-oracle row."""


def _metaworld(preset: Preset, tasks: tuple[str, ...], hide_goal: bool) -> MetaworldConfig:
    return MetaworldConfig(tasks=tasks, hide_goal=hide_goal, image_size=preset.image_size)


def _split(
    name: str,
    pretrain: tuple[str, ...],
    targets: tuple[str, ...],
    published: dict,
    presets: dict[str, Preset] = SPLIT_PRESETS,
) -> Suite:
    return Suite(
        title=f"Metaworld {name}: frozen encoder + BC head",
        pretrain_env=lambda p: _metaworld(p, pretrain, hide_goal=False),
        finetune_envs=lambda p: {t: _metaworld(p, (t,), hide_goal=False) for t in targets},
        presets=presets,
        one_configuration=False,
        success_only=True,
        published=published,
        success_rule="Success = Metaworld's success flag at any step of an episode of at most "
        "250 steps (it stops on success); each rollout in a new configuration of the target task.",
        state_label="State oracle (hand, object, goal)",
    )


SUITES: dict[str, Suite] = {
    "pointmass": Suite(
        title="Point mass, hidden goal: frozen encoder + BC head",
        pretrain_env=lambda p: PointMassConfig(image_size=p.image_size),
        finetune_envs=lambda p: {"pointmass": PointMassConfig(image_size=p.image_size)},
        presets=POINTMASS_PRESETS,
        published={
            "inverse_dynamics": {1: 0.20, 2: 0.72, 5: 0.85, 10: 0.85},
            "bc": {1: 0.05, 2: 0.25, 5: 0.78, 10: 0.84},
            "fd_pixels": {1: 0.07, 2: 0.20, 5: 0.51, 10: 0.61},
            "fd_contrastive": {1: 0.05, 2: 0.48, 5: 0.80, 10: 0.85},
            "simclr": {1: 0.06, 2: 0.52, 5: 0.82, 10: 0.84},
            "scratch": {1: 0.04, 2: 0.24, 5: 0.76, 10: 0.78},
            "state": {1: 0.08, 2: 0.62, 5: 0.86, 10: 0.86},
        },
        success_rule="Success = the mass came within 1.5 cm of the hidden goal at any step of the "
        "100-step episode.",
        state_label="State oracle (position)",
    ),
    "metaworld-pick-place": Suite(
        title="Metaworld pick-place, hidden goal: frozen encoder + BC head",
        pretrain_env=lambda p: _metaworld(p, ("pick-place-v3",), hide_goal=True),
        finetune_envs=lambda p: {"pick-place-v3": _metaworld(p, ("pick-place-v3",), hide_goal=True)},
        presets=PICK_PLACE_PRESETS,
        success_only=True,
        published={
            "inverse_dynamics": {2: 0.34, 5: 0.83, 10: 0.98, 20: 1.0},
            "bc": {2: 0.29, 5: 0.75, 10: 0.99, 20: 1.0},
            "fd_pixels": {2: 0.37, 5: 0.80, 10: 0.96, 20: 0.99},
            "fd_contrastive": {2: 0.31, 5: 0.80, 10: 0.97, 20: 0.98},
            "simclr": {2: 0.09, 5: 0.19, 10: 0.25, 20: 0.39},
            "scratch": {2: 0.24, 5: 0.51, 10: 0.85, 20: 0.91},
            "state": {2: 0.52, 5: 0.77, 10: 0.97, 20: 1.0},
        },
        success_rule="Success = Metaworld's success flag (object within 7 cm of the hidden goal) at any "
        "step of an episode of at most 250 steps (it stops on success), in the finetuning "
        "configuration, from hand starts jittered by ±5 cm.",
        state_label="State oracle (hand, object)",
    ),
    "metaworld-door": _split(
        "door (pretrain door-unlock/close/open, finetune door-lock)",
        DOOR_SPLIT.pretrain,
        DOOR_SPLIT.finetune,
        {
            "inverse_dynamics": {2: 0.06, 5: 0.16, 10: 0.43, 20: 0.60},
            "bc": {2: 0.12, 5: 0.22, 10: 0.39, 20: 0.58},
            "fd_pixels": {2: 0.02, 5: 0.25, 10: 0.39, 20: 0.43},
            "fd_contrastive": {2: 0.07, 5: 0.17, 10: 0.45, 20: 0.47},
            "simclr": {2: 0.04, 5: 0.06, 10: 0.20, 20: 0.25},
            "scratch": {2: 0.14, 5: 0.31, 10: 0.39, 20: 0.80},
            "state": {2: 0.71, 5: 0.93, 10: 0.90, 20: 0.98},
        },
        DOOR_PRESETS,
    ),
    "metaworld-door-all": _split(
        "door-all (door-lock also in pretraining)",
        DOOR_SPLIT.pretrain_all,
        DOOR_SPLIT.finetune,
        {},
        DOOR_PRESETS,
    ),
    "metaworld-ml45": _split(
        "ML45 split",
        ML45_SPLIT.pretrain,
        ML45_SPLIT.finetune,
        {
            "inverse_dynamics": {2: 0.14, 5: 0.28, 10: 0.40, 20: 0.60},
            "bc": {2: 0.13, 5: 0.26, 10: 0.45, 20: 0.53},
            "fd_pixels": {2: 0.10, 5: 0.32, 10: 0.49, 20: 0.55},
            "fd_contrastive": {2: 0.13, 5: 0.30, 10: 0.40, 20: 0.44},
            "simclr": {2: 0.04, 5: 0.13, 10: 0.18, 20: 0.31},
            "scratch": {2: 0.13, 5: 0.39, 10: 0.44, 20: 0.62},
            "state": {2: 0.28, 5: 0.55, 10: 0.78, 20: 0.91},
        },
    ),
    "metaworld-ml45-all": _split(
        "ML45 split-all (targets also in pretraining)", ML45_SPLIT.pretrain_all, ML45_SPLIT.finetune, {}
    ),
    "metaworld-r3m": _split(
        "R3M split",
        R3M_SPLIT.pretrain,
        R3M_SPLIT.finetune,
        {
            "inverse_dynamics": {2: 0.24, 5: 0.41, 10: 0.69, 20: 0.71},
            "bc": {2: 0.22, 5: 0.44, 10: 0.60, 20: 0.69},
            "fd_pixels": {2: 0.31, 5: 0.40, 10: 0.75, 20: 0.80},
            "fd_contrastive": {2: 0.28, 5: 0.39, 10: 0.67, 20: 0.72},
            "simclr": {2: 0.15, 5: 0.23, 10: 0.36, 20: 0.40},
            "scratch": {2: 0.28, 5: 0.50, 10: 0.68, 20: 0.84},
            "state": {2: 0.43, 5: 0.72, 10: 0.82, 20: 0.85},
        },
    ),
    "metaworld-r3m-all": _split(
        "R3M split-all (targets also in pretraining)", R3M_SPLIT.pretrain_all, R3M_SPLIT.finetune, {}
    ),
}


def get_suite(name: str) -> Suite:
    if name not in SUITES:
        raise KeyError(f"unknown benchmark suite {name!r}; choose one of: {', '.join(SUITES)}")
    return SUITES[name]


def get_preset(suite: Suite, preset: Preset | str) -> Preset:
    if isinstance(preset, Preset):
        return preset
    if preset not in suite.presets:
        raise KeyError(f"unknown preset {preset!r}; choose one of: {', '.join(suite.presets)}")
    return suite.presets[preset]
