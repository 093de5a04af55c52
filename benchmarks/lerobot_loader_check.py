"""Does LeRobot's own loader read an export? Run in a separate venv that has lerobot installed.

Usage (Python >= 3.12, `pip install "lerobot[dataset]"`; lerobot pins torch < 2.12, so it cannot
share dynarep's venv):

    HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 python benchmarks/lerobot_loader_check.py EXPORT STORE

EXPORT is a folder written by ``dynarep export lerobot STORE --out EXPORT``. Checks, for every
frame, that LeRobotDataset gives the store's actions, states and indices, and reports the frames'
PSNR against the store's (infinite for ``--images png``). Reads the store with numpy and pyarrow
only, so it needs no dynarep.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from lerobot.datasets.lerobot_dataset import LeRobotDataset


def main(export: Path, store: Path) -> None:
    table = pq.read_table(store / "data" / "frames.parquet").to_pydict()
    frames = np.load(store / "images" / "observation.images.top.npy")
    dataset = LeRobotDataset("local/check", root=export, video_backend="pyav")
    assert len(dataset) == len(frames), (len(dataset), len(frames))
    squared = []
    for i in range(len(dataset)):
        item = dataset[i]
        for key in ("action", "observation.state"):
            assert np.array_equal(item[key].numpy(), np.asarray(table[key][i], np.float32)), (key, i)
        for key in ("episode_index", "frame_index"):
            assert int(item[key]) == table[key][i], (key, i)
        assert int(item["index"]) == i
        image = (item["observation.images.top"].permute(1, 2, 0).numpy() * 255).round()
        squared.append(np.mean((image - frames[i]) ** 2))
    mse = float(np.mean(squared))
    psnr = float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)
    print(
        f"{export}: {len(dataset)} frames, {dataset.num_episodes} episodes; actions, states and "
        f"indices identical; frames PSNR {psnr:.1f} dB; task of frame 0: {dataset[0]['task']!r}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
