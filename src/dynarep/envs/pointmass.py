"""Planar point mass with a hidden goal (protocol §2.1), built on the plain ``mujoco`` bindings.

A 0.3 kg mass slides on two joints limited to ±0.29 m with damping 1, pushed by motors of gear 0.1
with controls in [-1, 1]; 0.05 s steps, 100 steps per episode. The goal is the episode's hidden
context: it sets the expert's behaviour but is never drawn. ``PointMassBatch`` steps and renders many
copies with one model and one renderer, which is what collection and evaluation need;
``PointMassEnv`` is the single-episode gymnasium view of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import gymnasium as gym
import numpy as np

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
    supersample: int = 2
    """Render at this multiple of image_size and box-average down (anti-aliasing)."""
    ball_radius: float = 0.01
    """Drawn radius of the mass in metres (physics ignores it: contacts are off)."""
    episode_steps: int = EPISODE_STEPS
    """Control steps per episode."""

    def __post_init__(self) -> None:
        if self.image_size not in SUPPORTED_IMAGE_SIZES:
            raise ValueError(
                f"image_size {self.image_size} is not supported; use one of {SUPPORTED_IMAGE_SIZES}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {"name": "pointmass", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PointMassConfig:
        """Inverse of ``to_dict`` (as stored in store and policy metadata)."""
        if data.get("name", "pointmass") != "pointmass":
            raise ValueError(f"environment {data.get('name')!r} is not the point mass")
        return cls(**{k: v for k, v in data.items() if k != "name"})


def goal_for_task(task_id: int) -> np.ndarray:
    """The hidden goal of a task: uniform in the arena, fixed by the task id (protocol §2.1)."""
    return np.random.default_rng(task_id).uniform(-ARENA, ARENA, size=2)


def start_for_seed(seed: int) -> np.ndarray:
    """A start position uniform within the joint limits, fixed by the episode seed."""
    return np.random.default_rng([seed, 7]).uniform(-ARENA, ARENA, size=2)


class PointMassBatch:
    """``n`` point masses sharing one model; renders lazily so headless-free use needs no GL."""

    def __init__(self, config: PointMassConfig, n: int) -> None:
        self.config = config
        self.mj = load_mujoco()
        self.model = self.mj.MjModel.from_xml_string(_XML.format(radius=config.ball_radius))
        self.datas = [self.mj.MjData(self.model) for _ in range(n)]
        self.goals = np.zeros((n, 2))
        self.min_distance = np.full(n, np.inf)
        self.succeeded = np.zeros(n, dtype=bool)
        self.steps = np.zeros(n, dtype=np.int64)
        self._renderer: Any = None  # a mujoco.Renderer, created on first render

    @property
    def n(self) -> int:
        return len(self.datas)

    def reset(self, starts: np.ndarray, goals: np.ndarray) -> None:
        """Place every mass at rest at its start; goals are kept for success only."""
        for data, start in zip(self.datas, starts, strict=True):
            self.mj.mj_resetData(self.model, data)
            data.qpos[:] = start
            self.mj.mj_forward(self.model, data)
        self.goals = np.asarray(goals, dtype=np.float64).reshape(self.n, 2).copy()
        self.steps[:] = 0
        self.min_distance = self.distance()
        self.succeeded = self.min_distance <= SUCCESS_RADIUS

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
