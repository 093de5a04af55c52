"""LeRobot v3 import and export: round trips, hand-made datasets, and bad input."""

from __future__ import annotations

import io
import json
import re
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from dynarep.cli import main
from dynarep.data.store import EpisodeStore, StoreError
from dynarep.formats import export_data, import_data
from dynarep.formats.lerobot_export import LeRobotExportConfig
from dynarep.formats.lerobot_import import LeRobotImportConfig
from dynarep.formats.lerobot_layout import read_tasks, tasks_table

LENGTHS = (7, 5)
FPS = 10


def colour(index: int) -> np.ndarray:
    """A distinct solid colour per global frame, far apart so that a lossy codec keeps them apart."""
    return np.array([30 + 18 * index, 220 - 14 * index, 60 + 40 * (index % 3)], np.uint8)


def make_dataset(root: Path, video_frames: int | None = None, one_task: bool = False) -> Path:
    """A made-up LeRobot v3 dataset: 2 episodes, a 4-d state, a 3-d action, an MP4 camera 'front'
    (40x48, H x W) and a PNG camera 'wrist' (24x24). ``video_frames`` truncates the video;
    ``one_task`` gives both episodes task 0 instead of one task each."""
    total = sum(LENGTHS)
    (root / "meta" / "episodes" / "chunk-000").mkdir(parents=True)
    (root / "data" / "chunk-000").mkdir(parents=True)
    video = root / "videos" / "observation.images.front" / "chunk-000" / "file-000.mp4"
    video.parent.mkdir(parents=True)
    episode = np.repeat(np.arange(len(LENGTHS)), LENGTHS)
    frame_index = np.concatenate([np.arange(n) for n in LENGTHS])
    pngs = []
    for i in range(total):
        buffer = io.BytesIO()
        Image.fromarray(np.tile(colour(i), (24, 24, 1))).save(buffer, format="PNG")
        pngs.append({"bytes": buffer.getvalue(), "path": f"frame-{frame_index[i]:06d}.png"})
    state = np.arange(total * 4, dtype=np.float32).reshape(total, 4)
    action = -np.arange(total * 3, dtype=np.float32).reshape(total, 3) / 100
    table = pa.table(
        {
            "observation.images.wrist": pa.array(
                pngs, pa.struct([("bytes", pa.binary()), ("path", pa.string())])
            ),
            "observation.state": pa.FixedSizeListArray.from_arrays(pa.array(state.ravel()), 4),
            "action": pa.FixedSizeListArray.from_arrays(pa.array(action.ravel()), 3),
            "timestamp": pa.array((frame_index / FPS).astype(np.float32)),
            "frame_index": pa.array(frame_index.astype(np.int64)),
            "episode_index": pa.array(episode.astype(np.int64)),
            "index": pa.array(np.arange(total, dtype=np.int64)),
            "task_index": pa.array(episode.astype(np.int64) * (not one_task)),
        }
    )
    pq.write_table(table, root / "data" / "chunk-000" / "file-000.parquet")
    with av.open(str(video), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"crf": "10", "g": "2"})
        stream.width, stream.height, stream.pix_fmt = 48, 40, "yuv420p"
        for i in range(total if video_frames is None else video_frames):
            frame = av.VideoFrame.from_ndarray(np.tile(colour(i), (40, 48, 1)), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    starts = np.concatenate([[0], np.cumsum(LENGTHS)])
    key = "videos/observation.images.front"
    episodes = {
        "episode_index": list(range(len(LENGTHS))),
        "tasks": [["pick the cube"], ["open the drawer"]],
        "length": list(LENGTHS),
        "data/chunk_index": [0, 0],
        "data/file_index": [0, 0],
        "dataset_from_index": starts[:-1].tolist(),
        "dataset_to_index": starts[1:].tolist(),
        f"{key}/chunk_index": [0, 0],
        f"{key}/file_index": [0, 0],
        f"{key}/from_timestamp": (starts[:-1] / FPS).tolist(),
        f"{key}/to_timestamp": (starts[1:] / FPS).tolist(),
    }
    pq.write_table(pa.table(episodes), root / "meta" / "episodes" / "chunk-000" / "file-000.parquet")
    pq.write_table(tasks_table(["pick the cube", "open the drawer"]), root / "meta" / "tasks.parquet")
    scalar = {"shape": [1], "names": None}
    features = {
        "observation.images.front": {
            "dtype": "video",
            "shape": [40, 48, 3],
            "names": ["height", "width", "channels"],
        },
        "observation.images.wrist": {
            "dtype": "image",
            "shape": [24, 24, 3],
            "names": ["height", "width", "channels"],
        },
        "observation.state": {"dtype": "float32", "shape": [4], "names": ["x", "y", "z", "g"]},
        "action": {"dtype": "float32", "shape": [3], "names": ["dx", "dy", "dz"]},
        "timestamp": {"dtype": "float32", **scalar},
        **{k: {"dtype": "int64", **scalar} for k in ("frame_index", "episode_index", "index", "task_index")},
    }
    info = {
        "codebase_version": "v3.0",
        "robot_type": "made-up",
        "total_episodes": len(LENGTHS),
        "total_frames": total,
        "total_tasks": 2,
        "fps": FPS,
        "features": features,
    }
    (root / "meta" / "info.json").write_text(json.dumps(info))
    return root


def test_a_made_up_lerobot_dataset_imports_every_camera(tmp_path):
    source = make_dataset(tmp_path / "lerobot")
    store = EpisodeStore(
        import_data("lerobot", source, tmp_path / "store", LeRobotImportConfig(image_size=16))
    )
    assert store.image_keys == ["observation.images.front", "observation.images.wrist"]
    assert store.num_episodes == 2 and list(store.lengths + 1) == list(LENGTHS)
    total = sum(LENGTHS)
    assert np.array_equal(store.actions, -np.arange(total * 3, dtype=np.float32).reshape(total, 3) / 100)
    assert np.array_equal(store.states, np.arange(total * 4, dtype=np.float32).reshape(total, 4))
    assert list(store.has_action) == [True] * 6 + [False] + [True] * 4 + [False]  # last frame of each episode
    assert store.info["tasks"] == ["pick the cube", "open the drawer"]
    assert list(store.episodes["task_index"].to_numpy()) == [0, 1]
    assert store.info["state_names"] == ["x", "y", "z", "g"] and store.info["fps"] == FPS
    for key, tolerance in (("observation.images.wrist", 0), ("observation.images.front", 6)):
        images = store.cameras[key]
        assert images.shape == (total, 16, 16, 3)
        for i in range(total):  # every frame in its place, the video within codec error
            assert np.abs(images[i].reshape(-1, 3).mean(0) - colour(i)).max() <= tolerance, (key, i)


def test_camera_choice_by_short_name(tmp_path):
    source = make_dataset(tmp_path / "lerobot")
    config = LeRobotImportConfig(camera=("wrist",), image_size=24)
    store = EpisodeStore(import_data("lerobot", source, tmp_path / "store", config))
    assert store.image_keys == ["observation.images.wrist"]


def bad_missing_info(root: Path) -> None:
    (root / "meta" / "info.json").unlink()


def bad_version(root: Path) -> None:
    info = json.loads((root / "meta" / "info.json").read_text())
    (root / "meta" / "info.json").write_text(json.dumps({**info, "codebase_version": "v2.1"}))


@pytest.mark.parametrize(
    ("spoil", "args", "message"),
    [
        (bad_missing_info, [], r"meta/info.json: missing; not a LeRobot dataset"),
        (bad_version, [], r"meta/info.json: codebase_version 'v2.1'; LeRobot v2.x dataset: convert"),
        (None, ["--camera", "top"], r"--camera top: no such camera \(cameras: observation.images.front, obs"),
        ("short video", [], r"file-000.mp4: no frame at 1.000 s for episode 1 frame 3 \(camera observation"),
    ],
)
def test_bad_datasets_are_one_line_errors_and_write_nothing(tmp_path, capsys, spoil, args, message):
    source = make_dataset(tmp_path / "lerobot", video_frames=10 if spoil == "short video" else None)
    if callable(spoil):
        spoil(source)
    out = tmp_path / "store"
    assert main(["import", "lerobot", str(source), "--out", str(out), *args]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and re.search(message, errors[0]), errors
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["lerobot"]  # no partial folder


def test_store_to_lerobot_to_store_is_lossless_with_png(tiny_store, tmp_path):
    exported = export_data("lerobot", tiny_store, tmp_path / "lerobot", progress=False)
    back = import_data(
        "lerobot", exported, tmp_path / "back", LeRobotImportConfig(image_size=32), progress=False
    )
    for relative in ("data/frames.parquet", "meta/episodes.parquet"):
        assert pq.read_table(tiny_store / relative).equals(pq.read_table(back / relative)), relative
    original, restored = EpisodeStore(tiny_store), EpisodeStore(back)
    assert np.array_equal(original.images, restored.images)
    assert {k: restored.info[k] for k in ("env", "collection", "expert")} == {
        k: original.info[k] for k in ("env", "collection", "expert")
    }


def test_exported_layout_is_lerobot_v3(tiny_store, tmp_path):
    root = export_data("lerobot", tiny_store, tmp_path / "lerobot", progress=False)
    info = json.loads((root / "meta" / "info.json").read_text())
    store = EpisodeStore(tiny_store)
    assert info["codebase_version"] == "v3.0" and info["fps"] == 20 and info["video_path"] is None
    assert info["total_frames"] == len(store.images) and info["total_episodes"] == store.num_episodes
    data = pq.read_table(root / "data" / "chunk-000" / "file-000.parquet")
    assert sorted(data.column_names) == sorted(info["features"])  # LeRobot refuses undeclared columns
    assert data["index"].to_pylist() == list(range(data.num_rows))  # global index = row position
    assert pa.types.is_fixed_size_list(data.schema.field("action").type)
    assert data.schema.field("observation.images.top").type == pa.struct(
        [("bytes", pa.binary()), ("path", pa.string())]
    )
    episodes = pq.read_table(root / "meta" / "episodes" / "chunk-000" / "file-000.parquet")
    assert episodes["dataset_to_index"].to_pylist()[-1] == data.num_rows
    assert read_tasks(root) == [f"task {t}" for t in dict.fromkeys(store.episodes["task_index"].to_pylist())]
    tasks_metadata = json.loads(pq.read_schema(root / "meta" / "tasks.parquet").metadata[b"pandas"])
    assert tasks_metadata["index_columns"] == [
        "task"
    ]  # pandas (and so LeRobot) reads the strings as the index
    stats = json.loads((root / "meta" / "stats.json").read_text())
    assert np.allclose(stats["action"]["mean"], store.actions.mean(0), atol=1e-6)
    assert np.array(stats["observation.images.top"]["mean"]).shape == (3, 1, 1)


@pytest.mark.parametrize("codec", ["libsvtav1", "h264"])
def test_store_to_lerobot_video_keeps_everything_but_exact_pixels(tiny_store, tmp_path, codec):
    config = LeRobotExportConfig(images="video", vcodec=codec, crf=20)
    exported = export_data("lerobot", tiny_store, tmp_path / "lerobot", config, progress=False)
    info = json.loads((exported / "meta" / "info.json").read_text())
    assert info["features"]["observation.images.top"]["info"]["video.codec"] == {"libsvtav1": "av1"}.get(
        codec, codec
    )
    back = import_data(
        "lerobot", exported, tmp_path / "back", LeRobotImportConfig(image_size=32), progress=False
    )
    assert pq.read_table(tiny_store / "data/frames.parquet").equals(
        pq.read_table(back / "data/frames.parquet")
    )
    original, restored = EpisodeStore(tiny_store), EpisodeStore(back)
    mse = np.mean((original.images.astype(float) - restored.images) ** 2)
    assert 10 * np.log10(255**2 / mse) > 30  # PSNR in dB


def test_export_refuses_an_existing_out(tiny_store, tmp_path, capsys):
    (tmp_path / "taken").write_text("a file")
    assert main(["export", "lerobot", str(tiny_store), "--out", str(tmp_path / "taken")]) == 2
    assert "already exists" in capsys.readouterr().err


def test_reading_a_store_error_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="no such folder"):
        import_data("lerobot", tmp_path / "nothing", tmp_path / "out")
