"""Planar point mass with a hidden goal (protocol §2.1), built on the plain ``mujoco`` bindings.

A 0.3 kg mass slides on two joints limited to ±0.29 m with damping 1, pushed by motors of gear 0.1
with controls in [-1, 1]; 0.05 s steps, 100 steps per episode. The goal is the episode's hidden
context: it sets the expert's behaviour but is never drawn. ``PointMassBatch`` steps and renders many
copies with one model and one renderer, which is what collection and evaluation need;
``PointMassEnv`` is the single-episode gymnasium view of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import gymnasium as gym
import numpy as np

from dynarep.config_checks import AT_LEAST_1, POSITIVE, ConfigError, check_ranges
from dynarep.data.store import Episode
from dynarep.envs.base import Environment, register_environment
from dynarep.envs.experts import ActionNoise, pointmass_expert
from dynarep.envs.rendering import box_downsample, load_mujoco, make_renderer

ARENA = 0.29
SUCCESS_RADIUS = 0.015
EPISODE_STEPS = 100
SUPPORTED_IMAGE_SIZES = (32, 48, 64, 84)

_XML = """
<mujoco model="pointmass">
  <option timestep="0.05"><flag contact="disable"/></option>
  <visual><global offwidth="512" offheight="512"/></visual>
  <asset>
    <texture name="grid" type="2d" builtin="checker" rgb1=".18 .26 .36" rgb2=".32 .42 .52"
             width="300" height="300" mark="edge" markrgb=".6 .65 .7"/>
    <material name="grid" texture="grid" texrepeat="4 4" texuniform="false"/>
  </asset>
  <worldbody>
    <light pos="0 0 1" dir="0 0 -1" diffuse=".8 .8 .8"/>
    <camera name="top" pos="0 0 .75" quat="1 0 0 0" fovy="45"/>
    <geom name="floor" type="plane" size=".3 .3 .1" material="grid"/>
    <body name="mass" pos="0 0 .01">
      <joint name="x" type="slide" axis="1 0 0" limited="true" range="-.29 .29" damping="1"/>
      <joint name="y" type="slide" axis="0 1 0" limited="true" range="-.29 .29" damping="1"/>
      <geom name="mass" type="sphere" size="{radius}" mass=".3" rgba="1 .55 .1 1"/>
    </body>
  </worldbody>
  <actuator>
    <motor joint="x" gear=".1" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="y" gear=".1" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
"""


@dataclass(frozen=True)
class PointMassConfig:
    """What defines the environment; stored with every dataset and policy."""

    image_size: int = 32
    """Side of the square RGB observation in pixels (32, 48, 64 or 84)."""
    supersample: Annotated[int, AT_LEAST_1] = 2
    """Render at this multiple of image_size and box-average down (anti-aliasing)."""
    ball_radius: Annotated[float, POSITIVE] = 0.01
    """Drawn radius of the mass in metres (physics ignores it: contacts are off)."""
    episode_steps: Annotated[int, AT_LEAST_1] = EPISODE_STEPS
    """Control steps per episode."""

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.image_size not in SUPPORTED_IMAGE_SIZES:
            raise ConfigError(
                f"--image-size {self.image_size}: image_size {self.image_size} is not supported; "
                f"use one of {', '.join(map(str, SUPPORTED_IMAGE_SIZES))}"
            )


def goal_for_task(task_id: int) -> np.ndarray:
    """The hidden goal of a task: uniform in the arena, fixed by the task id (protocol §2.1)."""
    return np.random.default_rng(task_id).uniform(-ARENA, ARENA, size=2)


def start_for_seed(seed: int) -> np.ndarray:
    """A start position uniform within the joint limits, fixed by the episode seed."""
    return np.random.default_rng([seed, 7]).uniform(-ARENA, ARENA, size=2)


def starts_and_goals(task_id: int | None, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Start of each episode seed, and the goal of ``task_id`` (None: each seed's own goal)."""
    starts = np.stack([start_for_seed(s) for s in seeds])
    goals = np.stack([goal_for_task(s if task_id is None else task_id) for s in seeds])
    return starts, goals


class PointMassBatch:
    """``n`` point masses sharing one model; renders lazily so headless-free use needs no GL."""

    def __init__(self, config: PointMassConfig, n: int) -> None:
        self.config = config
        self.mj = load_mujoco()
        self.model = self.mj.MjModel.from_xml_string(_XML.format(radius=config.ball_radius))
        self._renderer: Any = None  # a mujoco.Renderer, created on first render
        self.resize(n)

    def resize(self, n: int) -> None:
        """Hold ``n`` fresh masses (reset them before use); the model and the renderer are kept,
        which saves ~0.2 s of GL context set-up per batch of episodes."""
        self.datas = [self.mj.MjData(self.model) for _ in range(n)]
        self.goals = np.zeros((n, 2))
        self.min_distance = np.full(n, np.inf)
        self.succeeded = np.zeros(n, dtype=bool)
        self.steps = np.zeros(n, dtype=np.int64)

    @property
    def n(self) -> int:
        return len(self.datas)

    def reset(self, starts: np.ndarray, goals: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Place every mass (or those in ``mask``) at rest at its start; goals are kept for success only."""
        mask = np.ones(self.n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        starts = np.asarray(starts, dtype=np.float64).reshape(self.n, 2)
        for i in np.flatnonzero(mask):
            self.mj.mj_resetData(self.model, self.datas[i])
            self.datas[i].qpos[:] = starts[i]
            self.mj.mj_forward(self.model, self.datas[i])
        self.goals[mask] = np.asarray(goals, dtype=np.float64).reshape(self.n, 2)[mask]
        self.steps[mask] = 0
        distance = self.distance()
        self.min_distance[mask] = distance[mask]
        self.succeeded[mask] = distance[mask] <= SUCCESS_RADIUS

    def step(self, actions: np.ndarray) -> None:
        actions = np.clip(np.asarray(actions, dtype=np.float64), -1.0, 1.0)
        for data, action in zip(self.datas, actions, strict=True):
            data.ctrl[:] = action
            self.mj.mj_step(self.model, data)
        self.steps += 1
        distance = self.distance()
        self.min_distance = np.minimum(self.min_distance, distance)
        self.succeeded |= distance <= SUCCESS_RADIUS

    def positions(self) -> np.ndarray:
        return np.stack([d.qpos[:2].copy() for d in self.datas])

    def velocities(self) -> np.ndarray:
        return np.stack([d.qvel[:2].copy() for d in self.datas])

    def distance(self) -> np.ndarray:
        return np.linalg.norm(self.positions() - self.goals, axis=1)

    def render(self) -> np.ndarray:
        """RGB frames, shape (n, size, size, 3) uint8, from the fixed top-down camera."""
        size, factor = self.config.image_size, self.config.supersample
        if self._renderer is None:
            self._renderer = make_renderer(self.model, size * factor, size * factor)
        frames = np.empty((self.n, size, size, 3), dtype=np.uint8)
        for i, data in enumerate(self.datas):
            self._renderer.update_scene(data, camera="top")
            frames[i] = box_downsample(self._renderer.render(), factor)
        return frames

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


class PointMassEnv(gym.Env):
    """One point-mass episode with a hidden goal, as a gymnasium environment.

    ``task_id`` fixes the goal; ``reset(seed=...)`` fixes the start. Observations carry ``pixels``
    for learners and ``position``, ``velocity``, ``goal`` for oracles and probes only. Episodes end
    by time limit only; ``info["success"]`` says whether the mass has been within 1.5 cm of the goal.
    """

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, task_id: int = 0, config: PointMassConfig | None = None) -> None:
        self.config = config or PointMassConfig()
        self.task_id = task_id
        self.sim = PointMassBatch(self.config, 1)
        size = self.config.image_size
        box = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float64)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self.observation_space = gym.spaces.Dict(
            pixels=gym.spaces.Box(0, 255, shape=(size, size, 3), dtype=np.uint8),
            position=box,
            velocity=box,
            goal=box,
        )
        self.render_mode = "rgb_array"

    def _observation(self) -> dict[str, np.ndarray]:
        return {
            "pixels": self.sim.render()[0],
            "position": self.sim.positions()[0],
            "velocity": self.sim.velocities()[0],
            "goal": self.sim.goals[0].copy(),
        }

    def _info(self) -> dict[str, Any]:
        return {"success": bool(self.sim.succeeded[0]), "distance": float(self.sim.distance()[0])}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        start_seed = int(self.np_random.integers(2**31)) if seed is None else seed
        self.sim.reset(start_for_seed(start_seed)[None], goal_for_task(self.task_id)[None])
        return self._observation(), self._info()

    def step(self, action: np.ndarray):
        self.sim.step(np.asarray(action)[None])
        reward = float(self.sim.distance()[0] <= SUCCESS_RADIUS)
        truncated = bool(self.sim.steps[0] >= self.config.episode_steps)
        return self._observation(), reward, False, truncated, self._info()

    def render(self) -> np.ndarray:
        return self.sim.render()[0]

    def close(self) -> None:
        self.sim.close()


gym.register("dynarep/PointMass-v0", entry_point=PointMassEnv)


class PointMassVectorEnv(gym.vector.VectorEnv):
    """Lockstep point masses behind gymnasium's vector API (one model, one renderer, no processes).

    ``reset(seed=[...], options={"task_id": t})``: seed i fixes sub-env i's start, ``task_id`` the
    shared hidden goal (None: each goal drawn from the seed). Observations ``pixels`` and ``state``
    (x, y, vx, vy); reward 1 inside the success radius; infos ``success`` (reached at any step so
    far), ``distance`` and ``min_distance``. Autoreset is disabled: episodes last ``episode_steps``.
    """

    metadata = {"autoreset_mode": gym.vector.AutoresetMode.DISABLED}

    def __init__(self, config: PointMassConfig, num_envs: int, render: bool = True) -> None:
        self.config = config
        self.num_envs = num_envs
        self.render_pixels = render
        self.sim = PointMassBatch(config, num_envs)
        size = config.image_size
        self.single_observation_space = gym.spaces.Dict(
            pixels=gym.spaces.Box(0, 255, shape=(size, size, 3), dtype=np.uint8),
            state=gym.spaces.Box(-np.inf, np.inf, shape=(4,), dtype=np.float64),
        )
        self.single_action_space = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, num_envs)

    def _observation(self) -> dict[str, np.ndarray]:
        size = self.config.image_size
        pixels = (
            self.sim.render() if self.render_pixels else np.zeros((self.num_envs, size, size, 3), np.uint8)
        )
        return {"pixels": pixels, "state": np.concatenate([self.sim.positions(), self.sim.velocities()], 1)}

    def _info(self) -> dict[str, np.ndarray]:
        return {
            "success": self.sim.succeeded.copy(),
            "distance": self.sim.distance(),
            "min_distance": self.sim.min_distance.copy(),
        }

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None):
        options = dict(options or {})
        mask = options.pop("reset_mask", np.ones(self.num_envs, dtype=bool))
        seeds = seed if isinstance(seed, list | tuple) else [seed] * self.num_envs
        seeds = [s if s is not None else int(np.random.default_rng().integers(2**31)) for s in seeds]
        self.sim.reset(*starts_and_goals(options.get("task_id"), seeds), mask)
        return self._observation(), self._info()

    def step(self, actions: np.ndarray):
        self.sim.step(actions)
        distance = self.sim.distance()
        reward = (distance <= SUCCESS_RADIUS).astype(np.float64)
        truncated = self.sim.steps >= self.config.episode_steps
        return self._observation(), reward, np.zeros(self.num_envs, bool), truncated, self._info()

    def close_extras(self, **kwargs: Any) -> None:
        self.sim.close()


@register_environment("pointmass", PointMassConfig)
class PointMass(Environment):
    """The point mass on the seam: hidden goal = context, PD expert, position for oracle and probes."""

    fps = 1.0 / 0.05
    state_names = ("x", "y", "vx", "vy")
    context_names = ("goal_x", "goal_y")
    oracle_state = (0, 1)  # position only: no velocity, no goal (protocol §1.2 "States")
    probe_targets = {"position": (0, 1)}
    reward_rule = "dense: minus the distance in metres from the mass to the hidden goal after the step"

    def __init__(self, config: PointMassConfig) -> None:
        super().__init__(config)
        self._recorder: PointMassBatch | None = None  # reused by record_episodes until close()

    @property
    def max_steps(self) -> int:
        return self.config.episode_steps

    def expert_info(self) -> dict[str, Any]:
        return {"name": "pointmass_pd", "gains": [10.0, 1.0]}

    def record_episodes(self, task_ids: list[int], seeds: list[int], noise: ActionNoise) -> list[Episode]:
        """All episodes in lockstep: one model and one renderer, kept for the next call."""
        steps = self.config.episode_steps
        if self._recorder is None:
            self._recorder = PointMassBatch(self.config, len(task_ids))
        sim = self._recorder
        sim.resize(len(task_ids))
        goals = np.stack([goal_for_task(t) for t in task_ids])
        sim.reset(np.stack([start_for_seed(s) for s in seeds]), goals)
        noises = [noise.for_episode(s, (2,)) for s in seeds]
        frames, states, actions, successes, rewards = [], [], [], [], []
        for step in range(steps + 1):
            frames.append(sim.render())
            positions, velocities = sim.positions(), sim.velocities()
            states.append(np.concatenate([positions, velocities], axis=1))
            successes.append(sim.succeeded.copy())
            if step == steps:
                break
            action = np.stack(
                [
                    pointmass_expert(p, v, g, episode_noise.sample())
                    for p, v, g, episode_noise in zip(positions, velocities, goals, noises, strict=True)
                ]
            )
            actions.append(action)
            sim.step(action)
            rewards.append(-sim.distance())
        # (steps, episodes, ...) -> (episodes, steps, ...)
        frames, states, actions, successes, rewards = (
            np.stack(x, axis=1) for x in (frames, states, actions, successes, rewards)
        )
        return [
            Episode(
                frames=frames[j],
                states=states[j].astype(np.float32),
                actions=actions[j].astype(np.float32),
                successes=successes[j],
                task_index=task_ids[j],
                start_seed=seeds[j],
                context=goals[j],
                rewards=rewards[j].astype(np.float32),
            )
            for j in range(len(task_ids))
        ]

    def rollout_envs(self, episodes: int, workers: int) -> int:
        return episodes  # all in lockstep in one process: one renderer, batched policy calls

    def make_vector_env(self, num_envs: int, render: bool = True) -> PointMassVectorEnv:
        return PointMassVectorEnv(self.config, num_envs, render)

    def expert_successes(self, task_id: int | None, seeds: list[int]) -> np.ndarray:
        sim = PointMassBatch(self.config, len(seeds))
        sim.reset(*starts_and_goals(task_id, seeds))
        for _ in range(self.config.episode_steps):
            sim.step(pointmass_expert(sim.positions(), sim.velocities(), sim.goals))
        return sim.succeeded.copy()

    def episode_metrics(self, info: dict[str, Any], index: int) -> dict[str, float]:
        return {
            "min_distance": float(info["min_distance"][index]),
            "final_distance": float(info["distance"][index]),
        }

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None
