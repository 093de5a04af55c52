import numpy as np
import torch

from dynarep.data.augment import random_shift, shift_windows
from dynarep.data.store import EpisodeStore
from dynarep.data.windows import WindowSampler
from dynarep.objectives import Window


def test_windows_never_cross_episode_boundaries(tiny_store):
    store = EpisodeStore(tiny_store)
    sampler = WindowSampler(store, Window(frames=(0, 5), actions=(0,)), seed=0)
    anchors = sampler.anchors
    assert np.array_equal(store.episode_index[anchors], store.episode_index[anchors + 5])
    # every anchor with room for 5 more frames is available: frames 0..5 of each 11-frame episode
    assert len(anchors) == 6 * 6
    batch = sampler.sample(32)
    assert batch.frames[0].shape == (32, 32, 32, 3) and batch.frames[5].dtype == torch.uint8
    assert batch.actions.shape == (32, 1, 2)


def test_windows_deliver_the_right_frames_and_actions(tiny_store):
    store = EpisodeStore(tiny_store)
    sampler = WindowSampler(store, Window(frames=(0, 1), actions=(0,)))
    anchors = sampler.anchors[:4]
    batch = sampler.gather(anchors)
    assert np.array_equal(batch.frames[1].numpy(), store.images[anchors + 1])
    assert np.array_equal(batch.actions[:, 0].numpy(), store.actions[anchors])


def test_max_episodes_restricts_the_anchors(tiny_store):
    store = EpisodeStore(tiny_store)
    sampler = WindowSampler(store, Window(frames=(0, 1)), max_episodes=2)
    assert set(store.episode_index[sampler.anchors]) == {0, 1}


def test_random_shift_translates_with_edge_padding():
    frames = torch.arange(2 * 6 * 6 * 3, dtype=torch.uint8).reshape(2, 6, 6, 3)
    generator = torch.Generator().manual_seed(0)
    assert torch.equal(random_shift(frames, 0, generator), frames)
    shifted = random_shift(frames, 2, generator)
    assert shifted.shape == frames.shape
    # each output is a crop of the edge-padded input: its interior matches a translated window
    for b in range(2):
        found = any(
            torch.equal(shifted[b, 2:4, 2:4], frames[b, 2 + dy : 4 + dy, 2 + dx : 4 + dx])
            for dy in range(-2, 3)
            for dx in range(-2, 3)
        )
        assert found


def test_shift_windows_moves_every_frame_of_a_window_by_one_offset():
    base = torch.randint(0, 200, (8, 1, 10, 10, 3), generator=torch.Generator().manual_seed(1))
    windows = (base + torch.arange(5).view(1, 5, 1, 1, 1)).to(torch.uint8)  # frame k = frame 0 + k
    shifted = shift_windows(windows, 3, torch.Generator().manual_seed(0))
    assert shifted.shape == windows.shape
    # the same offset for all frames of a window: their differences survive the shift exactly
    assert torch.equal(shifted.int() - shifted[:, :1].int(), windows.int() - windows[:, :1].int())
    assert not torch.equal(shifted, windows)  # and the windows did move
    assert torch.equal(shift_windows(windows, 0), windows)
