"""Watch a policy: one evaluation episode replayed with its frames kept, written as a GIF.

The episode is the same one ``dynarep evaluate`` scored (same seed, same start), so a GIF shows
what a row of the table measured. GIFs are written with Pillow (already a dependency) because
they play inline in any browser and in a self-contained HTML report without a video codec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dynarep.envs import make_environment
from dynarep.evaluate.rollout import eval_seeds, run_rollouts
from dynarep.train.policy import act, load_policy


def rollout_frames(
    policy_dir: str | Path, seed: int, episode: int = 0, new_contexts: bool = False
) -> tuple[np.ndarray, dict[str, Any]]:
    """The frames (T, H, W, 3) the policy saw in evaluation episode ``episode`` of seed ``seed``,
    and that episode's record (success, steps, ...)."""
    policy, config = load_policy(policy_dir)
    environment = make_environment(config["env"])
    frames: list[np.ndarray] = []
    state_columns = list(policy.state_columns)

    def controller(observations: dict[str, np.ndarray]) -> np.ndarray:
        frames.append(observations["pixels"][0].copy())
        state = observations["state"][:, state_columns].astype(np.float32)
        return act(policy, observations["pixels"], state)

    task_id = None if new_contexts else config["task_index"]
    record = run_rollouts(environment, task_id, [eval_seeds(seed, episode + 1)[episode]], controller)[0]
    environment.close()
    return np.stack(frames), record


def write_gif(frames: np.ndarray, path: Path, fps: int = 20, scale: int = 4) -> Path:
    """Frames as a looping GIF, enlarged ``scale`` times (nearest neighbour: pixels stay sharp)."""
    from PIL import Image

    images = [
        Image.fromarray(frame).resize((frame.shape[1] * scale, frame.shape[0] * scale), Image.NEAREST)
        for frame in frames
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    first, rest = images[0], images[1:]
    first.save(partial, format="GIF", save_all=True, append_images=rest, duration=1000 // fps, loop=0)
    partial.replace(path)
    return path
