"""LeRobot v3 export and import on a real store: speed, decoding share, round trip, sizes, memory.

Usage: python benchmarks/lerobot_io.py STORE [--episodes 100]

For the first N episodes of STORE (copied into a temporary store first), measured in one run:
export as PNG-in-parquet and as MP4 (libsvtav1 and h264, crf 30 and 20), then import each back at
the store's image size. Reports frames/s of export and import, the share of import time spent
decoding (PNG or video), bytes on disk per frame, the round trip (frames/actions/states/indices
identical?) and PSNR of the video forms. Each import runs in a child process whose peak RSS is
reported next to the size of the frames it wrote (the import streams: memory should not grow with
the dataset).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from dynarep.data.store import EpisodeStore
from dynarep.formats import export_data
from dynarep.formats.lerobot_export import LeRobotExportConfig
from dynarep.formats.numpy_arrays import write_store

IMPORT_CHILD = """
import json, sys, time
from dynarep.formats.lerobot_import import LeRobotImporter, LeRobotImportConfig
from pathlib import Path
importer = LeRobotImporter(LeRobotImportConfig(image_size=int(sys.argv[3])))
started = time.perf_counter()
importer.run(Path(sys.argv[1]), Path(sys.argv[2]), progress=False)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"seconds": time.perf_counter() - started, "decode": importer.timings["decode"],
                  "peak_rss_mb": hwm / 1024}))
"""


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def subset(store: EpisodeStore, episodes: int, out: Path) -> EpisodeStore:
    """The first ``episodes`` episodes of ``store`` as a store of their own (frames, actions, states)."""
    parts = []
    for e in range(min(episodes, store.num_episodes)):
        rows = slice(int(store.frame_starts[e]), int(store.frame_starts[e] + store.lengths[e] + 1))
        parts.append(
            {
                "frames": np.asarray(store.images[rows]),
                "actions": store.actions[rows],
                "states": store.states[rows],
            }
        )
    write_store(out, parts, fps=store.info.get("fps", 10), image_size=store.image_size, progress=False)
    return EpisodeStore(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--episodes", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = subset(EpisodeStore(args.store), args.episodes, tmp / "store")
        frames = len(store.images)
        print(
            f"{store.num_episodes} episodes, {frames} frames of {store.image_size} px "
            f"({store.images.nbytes / 2**20:.1f} MiB of frames)"
        )
        forms = {
            "png": LeRobotExportConfig(images="png"),
            "av1 crf30": LeRobotExportConfig(images="video", vcodec="libsvtav1", crf=30),
            "av1 crf20": LeRobotExportConfig(images="video", vcodec="libsvtav1", crf=20),
            "h264 crf30": LeRobotExportConfig(images="video", vcodec="h264", crf=30),
            "h264 crf20": LeRobotExportConfig(images="video", vcodec="h264", crf=20),
        }
        rows = []
        for name, config in forms.items():
            out = tmp / name.replace(" ", "_")
            started = time.perf_counter()
            export_data("lerobot", store.root, out, config, progress=False)
            export_seconds = time.perf_counter() - started
            back = tmp / f"{out.name}_back"
            child = subprocess.run(
                [sys.executable, "-c", IMPORT_CHILD, str(out), str(back), str(store.image_size)],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(child.stdout.strip().splitlines()[-1])
            restored = EpisodeStore(back)
            same_tables = pq.read_table(store.root / "data/frames.parquet").equals(
                pq.read_table(back / "data/frames.parquet")
            )
            error = np.asarray(store.images, np.int16) - np.asarray(restored.images, np.int16)
            mse = float(np.mean(error.astype(np.float32) ** 2))
            psnr = float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)
            rows.append(
                f"| {name} | {frames / export_seconds:,.0f} | {frames / result['seconds']:,.0f} | "
                f"{100 * result['decode'] / result['seconds']:.0f} % | {folder_bytes(out) / frames:,.0f} | "
                f"{'identical' if same_tables else 'DIFFER'} | "
                f"{'identical' if mse == 0 else f'{psnr:.1f} dB'} | "
                f"{result['peak_rss_mb']:.0f} MiB |"
            )
            print(rows[-1], flush=True)
        print()
        print(
            "| form | export frames/s | import frames/s | import time decoding | bytes/frame on disk | "
            "actions, states, indices | frames | import peak RSS |"
        )
        print("|---|---|---|---|---|---|---|---|")
        print("\n".join(rows))
        print(
            f"\n(peak RSS of a process that only imports the importer, torch and PyAV: "
            f"{_bare_rss():.0f} MiB; frames written: {store.images.nbytes / 2**20:.1f} MiB)"
        )


def _bare_rss() -> float:
    code = (  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent
        "import dynarep.formats.lerobot_import, dynarep.formats.video_io as v; v._av(); "
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024)"
    )
    return float(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )


if __name__ == "__main__":
    main()
