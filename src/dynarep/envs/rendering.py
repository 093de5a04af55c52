"""Headless MuJoCo rendering that is fast on a CPU.

MuJoCo picks its GL backend from ``MUJOCO_GL`` when it is first imported, so this module sets a
default of ``egl`` before anything imports ``mujoco``. With MuJoCo's default visuals llvmpipe spends
nearly all of a frame on shadow maps, multisampling and reflections; turning those off before the
first render makes it about 10x faster (shared/reference/simulation.md §2).
"""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco  # noqa: E402
import numpy as np  # noqa: E402

GL_PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 (or libosmesa6 with MUJOCO_GL=osmesa)"


def apply_fast_visuals(model: mujoco.MjModel) -> None:
    """Turn off shadows, reflections and offscreen multisampling (must run before the first render)."""
    model.light_castshadow[:] = 0
    model.mat_reflectance[:] = 0
    model.vis.quality.offsamples = 0


def make_renderer(model: mujoco.MjModel, height: int, width: int) -> mujoco.Renderer:
    """Create a renderer, or fail with one line naming what to install."""
    apply_fast_visuals(model)
    try:
        return mujoco.Renderer(model, height, width)
    except Exception as error:  # mujoco raises several types depending on the backend
        backend = os.environ.get("MUJOCO_GL", "")
        raise RuntimeError(
            f"cannot open a headless GL context (MUJOCO_GL={backend!r}: {error}). "
            f"Install the Debian packages {GL_PACKAGES}, e.g. `apt-get install -y libegl1 "
            "libegl-mesa0 libgl1-mesa-dri libgbm1`, or run scripts/setup.sh."
        ) from None


def box_downsample(image: np.ndarray, factor: int) -> np.ndarray:
    """Average ``factor``x``factor`` pixel blocks: anti-aliasing for a supersampled render."""
    if factor == 1:
        return image
    h, w, c = image.shape
    blocks = image.reshape(h // factor, factor, w // factor, factor, c).astype(np.float32)
    return np.round(blocks.mean(axis=(1, 3))).astype(np.uint8)
