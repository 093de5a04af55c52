"""A non-causal inverse dynamics model: the action at t from frames t - past ... t + future.

VPT's labeller sees past *and* future frames, which makes the action far easier to infer than for
a policy that only sees the past. Every frame of the window goes through one encoder φ (the conv +
spatial-softmax encoder, optionally started from a pretrained ID encoder); the embeddings are
concatenated and an MLP predicts the action. Windows are clamped at episode edges (the first frame
repeats as its own past), so every frame of an episode gets a label.

With ``fusion="early"`` the window is instead stacked on the channel axis, with the differences
of consecutive frames beside it, and one conv net reads it all (VPT's IDM fuses time in its first
layer, a 3-D convolution): a step's action can move an object by a fraction of a pixel, which
shows in the raw difference of two frames long before it survives a per-frame embedding.

With ``inputs="state"`` the labeller reads the window of ``observation.state`` vectors instead, as
SSORL's IDM does (s_{t-1}, s_t, s_{t+1}): for data that carry proprioception but no actions, and
to separate what the labels lose to perception from what they lose to the labeller itself.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from dynarep.data.store import EpisodeStore
from dynarep.label.idm_config import LabellerConfig as LabellerConfig  # its home before idm_config
from dynarep.nets.mlp import mlp


class InverseDynamicsLabeller(nn.Module):
    """(B, W, S, S, 3) uint8 windows -> (B, action_dim) actions in [-1, 1]."""

    def __init__(self, encoder: nn.Module, window: int, action_dim: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.window = window
        self.head = mlp(window * encoder.config.embed_dim, action_dim)

    def forward(self, windows: Tensor) -> Tensor:
        b, w = windows.shape[:2]
        z = self.encoder(windows.flatten(0, 1)).view(b, w * self.encoder.config.embed_dim)
        return self.head(z)

    def forward_runs(self, runs: Tensor) -> Tensor:
        """(N, L, S, S, 3) runs of consecutive frames -> (N, L - W + 1, action_dim): the action of
        every full window inside each run, each frame encoded once (the same as ``forward`` on
        each window: the encoder treats frames independently)."""
        n, length = runs.shape[:2]
        z = self.encoder(runs.flatten(0, 1)).view(n, length, -1)
        windows = z.unfold(1, self.window, 1).transpose(2, 3)  # (N, L - W + 1, W, D)
        return self.head(windows.flatten(2))


class EarlyFusionLabeller(nn.Module):
    """(B, W, S, S, 3) uint8 windows -> (B, action_dim): frames and their differences on channels,
    4 conv layers (3x3, 32 channels, strides 2, 1, 1, 1), flattened, the protocol's MLP head."""

    def __init__(self, image_size: int, window: int, action_dim: int, mean_frame: Tensor) -> None:
        super().__init__()
        self.window = window
        layers: list[nn.Module] = []
        channels, size = 3 * window + 3 * (window - 1), image_size
        for stride in (2, 1, 1, 1):
            layers += [nn.Conv2d(channels, 32, 3, stride), nn.GELU()]
            channels, size = 32, (size - 3) // stride + 1
        self.conv = nn.Sequential(*layers)
        self.head = mlp(32 * size * size, action_dim)
        self.register_buffer("mean_frame", mean_frame.float().mean(0).permute(2, 0, 1))

    def forward(self, windows: Tensor) -> Tensor:
        frames = (windows.float().permute(0, 1, 4, 2, 3) - self.mean_frame) / 64.0  # (B, W, 3, S, S)
        differences = (frames[:, 1:] - frames[:, :-1]) * DIFFERENCE_GAIN
        return self.head(
            self.conv(torch.cat([frames.flatten(1, 2), differences.flatten(1, 2)], 1)).flatten(1)
        )


DIFFERENCE_GAIN = 8.0
"""Frame differences are small next to frames (sub-pixel motion): scaled up to a comparable range."""


class StateLabeller(nn.Module):
    """(B, W, D) state windows -> (B, action_dim); states normalised by the labelled data's stats."""

    def __init__(self, mean: Tensor, std: Tensor, window: int, action_dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", mean.float())
        self.register_buffer("std", std.float())
        self.window = window
        self.head = mlp(window * len(mean), action_dim)

    def forward(self, windows: Tensor) -> Tensor:
        return self.head(((windows - self.mean) / self.std).flatten(1))


def _within_episode(store: EpisodeStore, anchors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``rows`` (one line of frame rows per anchor) clamped to each anchor's own episode."""
    episode = store.episode_index[anchors]
    first = store.frame_starts[episode]
    last = first + store.lengths[episode]
    return np.clip(rows, first[:, None], last[:, None])


def window_rows(store: EpisodeStore, rows: np.ndarray, offsets: tuple[int, ...]) -> np.ndarray:
    """(len(rows), W) frame rows of each window, clamped to the frame's own episode."""
    return _within_episode(store, rows, rows[:, None] + np.asarray(offsets)[None, :])


def run_rows(store: EpisodeStore, anchors: np.ndarray, offsets: tuple[int, ...], length: int) -> np.ndarray:
    """(len(anchors), length + W - 1) frame rows that hold the windows of the ``length`` steps
    from each anchor, clamped to the anchor's episode as ``window_rows`` clamps each window."""
    span = np.arange(offsets[0], length + offsets[-1])
    return _within_episode(store, anchors, anchors[:, None] + span[None, :])


def run_anchors(store: EpisodeStore, rows: np.ndarray, length: int) -> np.ndarray:
    """The rows of sorted ``rows`` that start ``length`` consecutive rows of ``rows`` in one episode."""
    if len(rows) < length:
        return rows[:0]
    i = np.arange(len(rows) - length + 1)
    ends = rows[i + length - 1]
    whole = (ends == rows[i] + length - 1) & (store.episode_index[ends] == store.episode_index[rows[i]])
    return rows[i[whole]]


def gather(store: EpisodeStore, rows: np.ndarray, offsets: tuple[int, ...]) -> Tensor:
    """uint8 windows (len(rows), W, S, S, C) around ``rows``."""
    indices = window_rows(store, rows, offsets)
    return torch.from_numpy(np.asarray(store.images[indices.reshape(-1)])).view(
        *indices.shape, *store.images.shape[1:]
    )


def gather_states(store: EpisodeStore, rows: np.ndarray, offsets: tuple[int, ...]) -> Tensor:
    """float32 state windows (len(rows), W, state_dim) around ``rows``."""
    return torch.from_numpy(store.states[window_rows(store, rows, offsets)])
