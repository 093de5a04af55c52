"""Headless MuJoCo rendering that is fast on a CPU.

MuJoCo picks its GL backend from ``MUJOCO_GL`` when it is first imported and fails at import when
that backend's libraries are missing. ``load_mujoco`` therefore imports it lazily, with ``egl`` as
the default backend, and turns a failure into one line naming the Debian packages to install.
With MuJoCo's default visuals llvmpipe spends
nearly all of a frame on shadow maps, multisampling and reflections; turning those off before the
first render makes it about 10x faster (shared/reference/simulation.md §2).
"""

from __future__ import annotations

import functools
import os
from types import ModuleType
from typing import Any

import numpy as np

GL_PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 (or libosmesa6 with MUJOCO_GL=osmesa)"
INSTALL_HINT = (
    f"install the Debian packages {GL_PACKAGES}, e.g. `apt-get install -y libegl1 libegl-mesa0 "
    "libgl1-mesa-dri libgbm1`, or run scripts/setup.sh"
)


class GLBackendError(RuntimeError):
    """No headless OpenGL backend could be loaded."""


@functools.cache
def load_mujoco() -> ModuleType:
    """Import ``mujoco`` with a headless GL backend (``MUJOCO_GL``, default ``egl``)."""
    os.environ.setdefault("MUJOCO_GL", "egl")
    try:
        import mujoco
    except Exception as error:  # mujoco raises AttributeError/ImportError/RuntimeError by backend
        backend = os.environ["MUJOCO_GL"]
        raise GLBackendError(
            f"cannot load MuJoCo with MUJOCO_GL={backend!r} ({error}); {INSTALL_HINT}"
        ) from None
    return mujoco


def apply_fast_visuals(model: Any) -> None:
    """Turn off shadows, reflections and offscreen multisampling (must run before the first render)."""
    model.light_castshadow[:] = 0
    model.mat_reflectance[:] = 0
    model.vis.quality.offsamples = 0


def make_renderer(model: Any, height: int, width: int) -> Any:
    """Create a ``mujoco.Renderer``, or fail with one line naming what to install."""
    apply_fast_visuals(model)
    try:
        return load_mujoco().Renderer(model, height, width)
    except Exception as error:  # mujoco raises several types depending on the backend
        backend = os.environ.get("MUJOCO_GL", "")
        raise GLBackendError(
            f"cannot open a headless GL context (MUJOCO_GL={backend!r}: {error}); {INSTALL_HINT}"
        ) from None


def box_downsample(image: np.ndarray, factor: int) -> np.ndarray:
    """Average ``factor``x``factor`` pixel blocks: anti-aliasing for a supersampled render.

    The block sums are exact integers, added one block offset at a time (5x faster than a float
    ``mean`` over two strided axes on a 64 px frame); dividing them in float32 and rounding half to
    even gives the same bytes as ``np.round(blocks.astype(np.float32).mean(axis=(1, 3)))``.
    """
    if factor == 1:
        return image
    h, w, c = image.shape
    blocks = image.reshape(h // factor, factor, w // factor, factor, c)
    sums = np.zeros((h // factor, w // factor, c), dtype=np.uint32)
    for i in range(factor):
        for j in range(factor):
            sums += blocks[:, i, :, j]
    return np.rint(sums.astype(np.float32) / np.float32(factor * factor)).astype(np.uint8)
