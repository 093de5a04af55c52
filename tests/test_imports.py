"""Action-free video folders and plain numpy arrays into stores, and what trains on them."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from dynarep.cli import main
from dynarep.data.store import EpisodeStore, StoreError
from dynarep.formats import import_data
from dynarep.formats.numpy_arrays import write_store
from dynarep.formats.video_import import VideoImportConfig
from dynarep.objectives.simclr import SimCLRConfig
from dynarep.train.pretrain import PretrainConfig, pretrain


def moving_square(length: int, size: int = 48, offset: int = 0) -> np.ndarray:
    """Frames of a white square sliding right: a visible, learnable motion."""
    frames = np.zeros((length, size, size, 3), np.uint8)
    for t in range(length):
        x = (offset + 2 * t) % (size - 10)
        frames[t, 18:28, x : x + 10] = 255
    return frames


def write_mp4(path: Path, frames: np.ndarray, fps: int = 15) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options={"crf": "5"})
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


@pytest.fixture
def video_folder(tmp_path: Path) -> Path:
    """Two MP4 episodes (12 and 9 frames) and one folder of 6 PNG frames."""
    source = tmp_path / "videos"
    source.mkdir()
    write_mp4(source / "a.mp4", moving_square(12))
    write_mp4(source / "b.mp4", moving_square(9, offset=5))
    (source / "c").mkdir()
    for t, image in enumerate(moving_square(6, size=40)):
        Image.fromarray(image).save(source / "c" / f"{t:04d}.png")
    (source / "notes.txt").write_text("ignored")
    return source


def test_video_folder_becomes_an_action_free_store(video_folder, tmp_path):
    store = EpisodeStore(
        import_data("video", video_folder, tmp_path / "store", VideoImportConfig(image_size=24))
    )
    assert store.num_episodes == 3 and list(store.lengths + 1) == [12, 9, 6]
    assert not store.has_actions and store.actions.shape == (27, 0)
    assert store.info["fps"] == 15 and store.info["episode_sources"] == ["a.mp4", "b.mp4", "c"]
    bright = store.images[:12].reshape(12, -1, 3).mean(axis=(1, 2))
    assert (bright > 10).all()  # the square is in every frame, none lost or black
    # the square moves right: the column of its mass increases over the first episode
    profiles = [store.images[t].mean(axis=(0, 2)) for t in range(12)]
    columns = [np.nonzero(p > 0.5 * p.max())[0].mean() for p in profiles]
    assert np.all(np.diff(columns) > 0)


def test_action_free_store_trains_frame_only_objectives_and_refuses_others(video_folder, tmp_path):
    store = import_data("video", video_folder, tmp_path / "store", VideoImportConfig(image_size=32))
    config = PretrainConfig(steps=3, batch_size=8, log_every=1)
    pretrain(store, tmp_path / "simclr", "simclr", SimCLRConfig(), config, progress=False)
    assert (tmp_path / "simclr" / "encoder.safetensors").exists()
    with pytest.raises(ValueError, match="action-free store .* inverse_dynamics needs actions"):
        pretrain(store, tmp_path / "id", "inverse_dynamics", None, config, progress=False)
    assert not (tmp_path / "id").exists()  # refused before anything was written


def test_bad_video_folders_are_one_line_errors(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["import", "video", str(empty), "--out", str(tmp_path / "s")]) == 2
    assert "no videos (.mp4" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.mp4").write_bytes(b"not a video at all")
    assert main(["import", "video", str(broken), "--out", str(tmp_path / "s")]) == 2
    assert "x.mp4: cannot be read as a video" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_numpy_arrays_become_a_store_with_actions(tmp_path):
    rng = np.random.default_rng(0)
    episodes = [
        {"frames": moving_square(n, size=40), "actions": rng.normal(size=(n, 2)), "task": 7 + i}
        for i, n in enumerate((5, 8))
    ]
    store = EpisodeStore(write_store(tmp_path / "store", episodes, fps=15, image_size=32, progress=False))
    assert store.num_episodes == 2 and store.image_size == 32 and store.action_dim == 2
    assert np.allclose(store.actions, np.concatenate([e["actions"] for e in episodes]).astype(np.float32))
    assert list(store.episodes["task_index"].to_numpy()) == [7, 8]


def test_numpy_folder_on_the_command_line_and_its_errors(tmp_path, capsys):
    folder = tmp_path / "npz"
    folder.mkdir()
    np.savez(folder / "ep0.npz", frames=moving_square(4, size=32), actions=np.zeros((4, 3)))
    np.savez(folder / "ep1.npz", frames=moving_square(6, size=32), actions=np.zeros((5, 3)))  # one row short
    assert main(["import", "numpy", str(folder), "--out", str(tmp_path / "s"), "--image-size", "32"]) == 2
    assert "episode 1: 'actions' must be (6, D), one row per frame; got (5, 3)" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()
    np.savez(folder / "ep1.npz", frames=moving_square(6, size=32), actions=np.ones((6, 3)))
    assert main(["import", "numpy", str(folder), "--out", str(tmp_path / "s"), "--image-size", "32"]) == 0
    assert EpisodeStore(tmp_path / "s").num_episodes == 2


def test_mixed_action_and_action_free_episodes_are_refused(tmp_path):
    episodes = [{"frames": moving_square(3), "actions": np.zeros((3, 2))}, {"frames": moving_square(3)}]
    with pytest.raises(StoreError, match="some episodes have actions and some do not"):
        write_store(tmp_path / "s", episodes, progress=False)


def test_a_policy_on_imported_data_points_to_offline_evaluation(tmp_path):
    from dynarep.evaluate.rollout import evaluate
    from dynarep.train.finetune import FinetuneConfig, finetune

    episodes = [
        {"frames": moving_square(4, size=32), "states": np.zeros((4, 2)), "actions": np.zeros((4, 2))}
    ]
    store = write_store(tmp_path / "store", episodes, image_size=32, progress=False)
    state = EpisodeStore(store)
    assert state.states.shape == (4, 2)
    oracle = finetune(store, tmp_path / "oracle", "state", None, FinetuneConfig(demos=1, steps=2))
    assert json.loads((oracle / "policy.json").read_text())["state_columns"] == [0, 1]  # every column
    config = FinetuneConfig(demos=1, steps=2)
    pretrain(store, tmp_path / "enc", "bc", None, PretrainConfig(steps=1, batch_size=2), progress=False)
    policy = finetune(store, tmp_path / "policy", "frozen", tmp_path / "enc", config)
    with pytest.raises(ValueError, match="'numpy' data, which has no simulator .* evaluate-offline"):
        evaluate(policy, episodes=1)
