"""Metaworld 3 manipulation on the seam: pick-place with the goal hidden, door, the ML45/R3M splits.

A task id fixes one *configuration*: which Metaworld task (drawn from ``tasks``) and its object and
goal positions, drawn by the task's own seeded sampler (protocol §2.2). An episode seed jitters the
hand's start by up to ±5 cm. Episodes stop on success or after 250 steps. The scripted expert
(Metaworld's ``ENV_POLICY_MAP``) reads the privileged 39-d observation, which the store keeps as
``observation.state``; learners see only pixels: the ``corner2`` camera turned upright (it renders
upside down), cropped as the protocol does (rows and columns 80:200 of a 320x240 frame, scaled to
the image size), with the goal sites made invisible when the goal is the hidden context.

Metaworld is an optional dependency, imported only when an environment is built.
"""

from __future__ import annotations

import difflib
import functools
import warnings
from dataclasses import dataclass
from typing import Annotated, Any

import gymnasium as gym
import numpy as np

from dynarep.config_checks import AT_LEAST_0, AT_LEAST_1, IMAGE_SIZE, ConfigError, check_ranges
from dynarep.data.store import Episode
from dynarep.envs.base import Environment, env_config_from_dict, env_config_to_dict, register_environment
from dynarep.envs.experts import ActionNoise
from dynarep.envs.metaworld_tasks import ALL_TASKS
from dynarep.envs.rendering import box_downsample, load_mujoco, make_renderer

INSTALL_HINT = "pip install 'metaworld==3.1.1' packaging (or run scripts/setup.sh)"
REFERENCE_FRAME = (240, 320)  # the protocol renders 320x240 and crops rows/columns 80:200
CROP = (80, 80, 120)  # top row, left column, side, in the reference frame
OBJECT_STATE = tuple(range(18))  # hand xyz, gripper, object pose (protocol: position + object)
GOAL_STATE = (36, 37, 38)


class MetaworldUnavailable(RuntimeError):
    """Metaworld is not installed."""


@functools.cache
def load_metaworld() -> Any:
    """Import Metaworld (after MuJoCo, so the headless GL backend is chosen first)."""
    load_mujoco()
    try:
        import metaworld  # noqa: F401
        from metaworld.env_dict import ALL_V3_ENVIRONMENTS
        from metaworld.policies import ENV_POLICY_MAP
    except ImportError as error:
        raise MetaworldUnavailable(f"Metaworld is not installed ({error}); {INSTALL_HINT}") from None
    return ALL_V3_ENVIRONMENTS, ENV_POLICY_MAP


def check_task(name: str) -> None:
    if name not in ALL_TASKS:
        close = difflib.get_close_matches(name, ALL_TASKS, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "Metaworld 3 names end in -v3"
        raise ConfigError(f"--tasks: unknown Metaworld task {name!r}; {hint}")


@dataclass(frozen=True)
class MetaworldConfig:
    """What defines a Metaworld environment; stored with every dataset and policy."""

    tasks: tuple[str, ...] = ("pick-place-v3",)
    """Metaworld 3 task names; each task id draws one of them, then its object and goal positions."""
    hide_goal: bool = True
    """Make the goal sites invisible (the goal is then the hidden context)."""
    image_size: Annotated[int, IMAGE_SIZE] = 64
    """Side of the square RGB observation in pixels."""
    supersample: Annotated[int, AT_LEAST_1] = 1
    """Render at this multiple of image_size and box-average down (anti-aliasing; 2 costs ~30%)."""
    camera: str = "corner2"
    """Metaworld camera to render from (turned upright)."""
    max_steps: Annotated[int, AT_LEAST_1] = 250
    """Control steps before an episode is cut (episodes also stop on success)."""
    hand_jitter: Annotated[float, AT_LEAST_0] = 0.05
    """Half-width in metres of the uniform jitter of the hand's start, per episode seed."""

    def __post_init__(self) -> None:
        check_ranges(self)
        if not self.tasks:
            raise ConfigError("--tasks: name at least one Metaworld task")
        for task in self.tasks:
            check_task(task)
        if self.image_size < 16 or self.supersample < 1 or self.max_steps < 1:
            raise ConfigError("--image-size must be >= 16, --supersample >= 1 and --max-steps >= 1")


RENDERERS_KEPT = 8
"""Renderers kept per process, least recently used first out. Each holds a GL context with its
scene's textures (~125 MiB for a Metaworld task), so a 45-task corpus would keep ~5.6 GiB per worker;
making one again costs ~0.6 s. Frames do not depend on which renderer drew them."""


class MetaworldEnv(gym.Env):
    """One Metaworld episode at a time, as a gymnasium environment.

    ``reset(seed=s, options={"task_id": t})``: configuration ``t`` (None: drawn from ``s``), hand start
    from ``s``. Observations: ``pixels`` (zeros when ``render`` is False) and ``state`` (the 39-d
    privileged observation). Reward 1 on success; ``terminated`` on success, ``truncated`` after
    ``max_steps``; a finished episode ignores further steps until the next reset.
    """

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, config: MetaworldConfig | dict | None = None, render: bool = True) -> None:
        config = config or MetaworldConfig()
        self.config = env_config_from_dict(config) if isinstance(config, dict) else config
        self.render_pixels = render
        self.render_mode = "rgb_array"
        size = self.config.image_size
        self.observation_space = gym.spaces.Dict(
            pixels=gym.spaces.Box(0, 255, shape=(size, size, 3), dtype=np.uint8),
            state=gym.spaces.Box(-np.inf, np.inf, shape=(39,), dtype=np.float64),
        )
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(4,), dtype=np.float32)
        self._envs: dict[str, Any] = {}
        self._hands: dict[str, np.ndarray] = {}
        self._renderers: dict[str, Any] = {}
        self.task = self.config.tasks[0]
        self.steps = 0
        self.done = True
        self.succeeded = False
        self._obs = np.zeros(39)

    # -- configuration ---------------------------------------------------------------------------
    def _sim(self, task: str) -> Any:
        """The Metaworld env of a task, built once with the goal in its observation."""
        if task not in self._envs:
            environments, _ = load_metaworld()
            env = environments[task]()
            env._partially_observable = False  # the expert reads the goal from obs[36:39]
            vars(env).pop("sawyer_observation_space", None)  # cached bounds would zero the goal
            env._set_task_called = True
            self._envs[task] = env
            self._hands[task] = np.array(env.hand_init_pos, dtype=np.float64)
        return self._envs[task]

    def configure(self, task_id: int) -> Any:
        """Set the task and object/goal positions of configuration ``task_id``; returns the sim."""
        rng = np.random.default_rng([task_id, 1])
        self.task = self.config.tasks[int(rng.integers(len(self.config.tasks)))]
        env = self._sim(self.task)
        env._freeze_rand_vec, env.seeded_rand_vec = False, True
        env.seed(int(rng.integers(2**31)))
        env.reset()  # draws (and rejection-samples) the positions from the seeded generator
        env._freeze_rand_vec = True
        return env

    def context(self) -> np.ndarray:
        """The configuration's goal position (the hidden context when the goal is not drawn)."""
        return np.array(self._envs[self.task]._target_pos, dtype=np.float64)

    # -- gymnasium API ---------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        seed = int(self.np_random.integers(2**31)) if seed is None else seed
        task_id = (options or {}).get("task_id")
        env = self.configure(seed if task_id is None else task_id)
        jitter = np.random.default_rng([seed, 5]).uniform(-1, 1, 3) * self.config.hand_jitter
        env.hand_init_pos = self._hands[self.task] + jitter
        self._obs, _ = env.reset()
        self.steps, self.done, self.succeeded = 0, False, False
        return self._observation(), self._info(0.0)

    def step(self, action: np.ndarray):
        if self.done:  # idle until the next reset (vector envs run without autoreset)
            return self._observation(render=False), 0.0, False, False, self._info(0.0)
        env = self._envs[self.task]
        self._obs, _, _, _, info = env.step(np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0))
        self.steps += 1
        success = bool(info["success"] > 0)
        self.succeeded |= success
        truncated = self.steps >= self.config.max_steps and not success
        self.done = success or truncated
        distance = info.get("obj_to_target", np.nan)
        return self._observation(), float(success), success, truncated, self._info(distance)

    def _info(self, obj_to_target: float) -> dict[str, Any]:
        return {"success": self.succeeded, "obj_to_target": float(obj_to_target)}

    def _observation(self, render: bool = True) -> dict[str, np.ndarray]:
        size = self.config.image_size
        pixels = self.render() if render and self.render_pixels else np.zeros((size, size, 3), np.uint8)
        return {"pixels": pixels, "state": np.asarray(self._obs, dtype=np.float64)}

    def render(self) -> np.ndarray:
        """The learner's frame: upright, cropped, anti-aliased, goal hidden if configured."""
        env = self._envs[self.task]
        scale = self.config.image_size * self.config.supersample / CROP[2]
        height, width = (round(scale * x) for x in REFERENCE_FRAME)
        renderer = self._renderer(env.model, height, width)
        renderer.update_scene(env.data, camera=self.config.camera)
        frame = renderer.render()[::-1, ::-1]  # the corner cameras render upside down
        top, left, side = (round(scale * x) for x in CROP)
        return box_downsample(np.ascontiguousarray(frame[top : top + side, left : left + side]),
                              self.config.supersample)  # fmt: skip

    def _renderer(self, model: Any, height: int, width: int) -> Any:
        """The current task's renderer, made on first use; at most ``RENDERERS_KEPT`` are kept."""
        renderer = self._renderers.pop(self.task, None)  # re-inserted below: most recent last
        if renderer is None:
            if len(self._renderers) >= RENDERERS_KEPT:
                self._renderers.pop(next(iter(self._renderers))).close()  # the least recently used
            model.vis.global_.offwidth = max(model.vis.global_.offwidth, width)
            model.vis.global_.offheight = max(model.vis.global_.offheight, height)
            if self.config.hide_goal:
                for i in range(model.nsite):
                    if "goal" in model.site(i).name:
                        model.site_rgba[i, 3] = 0.0
            renderer = make_renderer(model, height, width)
        self._renderers[self.task] = renderer
        return renderer

    def expert_action(self, noise: np.ndarray | None = None) -> np.ndarray:
        """Metaworld's scripted policy for the current task, ``noise`` (this step's draw of a
        ``NoiseProcess`` of shape (3,)) added on xyz only (protocol §2.2)."""
        _, policies = load_metaworld()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Constant(s) may be too high": the env clips anyway
            action = np.asarray(policies[self.task]().get_action(self._obs), dtype=np.float64)
        if noise is not None:
            action[:3] += noise
        return np.clip(action, -1.0, 1.0)

    def close(self) -> None:
        for renderer in self._renderers.values():
            renderer.close()
        for env in self._envs.values():
            env.close()
        self._renderers.clear()
        self._envs.clear()


gym.register("dynarep/Metaworld-v0", entry_point=MetaworldEnv)


def _make_env(config: dict[str, Any], render: bool) -> MetaworldEnv:
    return MetaworldEnv(config, render)


@register_environment("metaworld", MetaworldConfig)
class Metaworld(Environment):
    """Metaworld on the seam; one simulator and renderer per worker process."""

    fps = 80.0  # Metaworld steps 5 physics frames of 2.5 ms
    state_names = (
        ("hand_x", "hand_y", "hand_z", "gripper")
        + tuple(f"object{o}_{k}" for o in (1, 2) for k in ("x", "y", "z", "qw", "qx", "qy", "qz"))
        + tuple(f"previous_{i}" for i in range(18))
        + ("goal_x", "goal_y", "goal_z")
    )
    context_names = ("goal_x", "goal_y", "goal_z")
    probe_targets = {"hand": (0, 1, 2), "object": (4, 5, 6)}

    def __init__(self, config: MetaworldConfig) -> None:
        super().__init__(config)
        self._env: MetaworldEnv | None = None

    @property
    def oracle_state(self) -> tuple[int, ...]:  # type: ignore[override]
        """Hand and object; plus the goal when it is visible (protocol §1.2 "States")."""
        return OBJECT_STATE if self.config.hide_goal else OBJECT_STATE + GOAL_STATE

    @property
    def max_steps(self) -> int:
        return self.config.max_steps

    def check_available(self) -> None:
        load_metaworld()

    def expert_info(self) -> dict[str, Any]:
        return {"name": "metaworld.policies.ENV_POLICY_MAP", "metaworld": "3.1.1"}

    def _single(self, render: bool) -> MetaworldEnv:
        if self._env is None:
            self._env = MetaworldEnv(self.config, render=True)
        self._env.render_pixels = render
        return self._env

    def record_episodes(self, task_ids: list[int], seeds: list[int], noise: ActionNoise) -> list[Episode]:
        env = self._single(render=True)
        episodes = []
        for task_id, seed in zip(task_ids, seeds, strict=True):
            episode_noise = noise.for_episode(seed, (3,))
            obs, info = env.reset(seed=seed, options={"task_id": task_id})
            frames, states, actions, successes = [obs["pixels"]], [obs["state"]], [], [info["success"]]
            done = False
            while not done:
                action = env.expert_action(episode_noise.sample())
                obs, _, terminated, truncated, info = env.step(action)
                done = terminated or truncated
                frames.append(obs["pixels"])
                states.append(obs["state"])
                actions.append(action)
                successes.append(info["success"])
            episodes.append(
                Episode(
                    frames=np.stack(frames),
                    states=np.stack(states).astype(np.float32),
                    actions=np.stack(actions).astype(np.float32),
                    successes=np.array(successes),
                    task_index=task_id,
                    start_seed=seed,
                    context=env.context(),
                )
            )
        return episodes

    def make_vector_env(self, num_envs: int, render: bool = True) -> gym.vector.VectorEnv:
        make = functools.partial(_make_env, env_config_to_dict(self.config), render)
        mode = gym.vector.AutoresetMode.DISABLED
        if num_envs == 1:
            return gym.vector.SyncVectorEnv([make], autoreset_mode=mode)
        return gym.vector.AsyncVectorEnv([make] * num_envs, context="spawn", autoreset_mode=mode)

    def expert_successes(self, task_id: int | None, seeds: list[int]) -> np.ndarray:
        env = self._single(render=False)
        results = []
        for seed in seeds:
            env.reset(seed=seed, options={"task_id": task_id})
            while not env.done:
                env.step(env.expert_action())
            results.append(env.succeeded)
        return np.array(results)

    def episode_metrics(self, info: dict[str, Any], index: int) -> dict[str, float]:
        return {"final_object_to_goal": float(info["obj_to_target"][index])}

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None
