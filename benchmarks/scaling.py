"""Memory and time of collect and of pretraining as the store grows: 10k, 100k, 1M frames.

Usage: python benchmarks/scaling.py OUT [--frames 10000 100000 1000000] [--steps 300] [--batch 128]

For each size, in fresh child processes so that each peak is its own:
1. ``collect`` of the point mass (32 px, 101 frames an episode, 2 workers): wall time, the peak
   resident memory of the main process (VmHWM) and of the largest worker (RUSAGE_CHILDREN);
2. ``pretrain`` of inverse dynamics for ``--steps`` steps (batch 128, the quick preset's model):
   seconds per step, and VmHWM next to the frame bytes. The process's memory before it opens the
   store (Python, torch, the model, an optimizer step on one batch) is measured separately, so
   that what the store adds can be compared with its frame bytes.
One pretraining epoch (every frame once as the first frame of a window) is ``frames / batch``
steps; its time is that count times the measured seconds per step: measured per step, multiplied
out. Stores are kept in OUT and reused when the script is run again.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

MIB = 2**20
FRAMES_PER_EPISODE = 101


def peak_rss_mib() -> float:
    """This process's own high-water mark (VmHWM); ru_maxrss can carry a forked parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_collect(store: Path, episodes: int) -> dict:
    from dynarep.data.collect import CollectSpec, collect
    from dynarep.envs.pointmass import PointMassConfig

    started = time.perf_counter()
    result = collect(store, PointMassConfig(image_size=32), CollectSpec(episodes=episodes), 2, progress=False)
    return {
        "seconds": time.perf_counter() - started,
        "frames": len(result.images),
        "frame_mib": result.images.nbytes / MIB,
        "main_peak_mib": peak_rss_mib(),
        "worker_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def child_baseline(store: Path, batch: int) -> dict:
    """Peak memory of everything but the store: torch, the model, one training step."""
    import torch

    from dynarep.nets.encoder import ConvEncoder, default_encoder_config
    from dynarep.objectives import get_objective
    from dynarep.objectives.base import Batch
    from dynarep.train.schedule import make_optimizer

    config_class, objective_class = get_objective("inverse_dynamics")
    model = objective_class(config_class(), ConvEncoder(default_encoder_config(32)), 2)
    optimizer = make_optimizer(model, 1e-3, batch, 1e-4)
    frames = torch.zeros(batch, 32, 32, 3, dtype=torch.uint8)
    windows = Batch({0: frames, 1: frames}, torch.zeros(batch, 1, 2), torch.zeros(batch, 4))
    loss, _ = model(windows)
    loss.backward()
    optimizer.step()
    return {"baseline_peak_mib": peak_rss_mib(), "parameters": sum(p.numel() for p in model.parameters())}


def child_pretrain(store: Path, run: Path, steps: int, batch: int) -> dict:
    from dynarep.train.pretrain import PretrainConfig, pretrain

    started = time.perf_counter()
    config = PretrainConfig(steps=steps, batch_size=batch)
    pretrain(store, run, "inverse_dynamics", None, config, progress=False)
    seconds = time.perf_counter() - started
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    first, last = next(r for r in log if r["step"] >= 50), log[-1]
    return {
        "seconds": seconds,
        "seconds_per_step": (last["time"] - first["time"]) / (last["step"] - first["step"]),
        "peak_mib": peak_rss_mib(),
    }


def in_child(*args: str) -> dict:
    """Run this script's ``--child`` mode in a fresh interpreter and return its JSON."""
    done = subprocess.run(
        [sys.executable, __file__, "-", "--child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--frames", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "collect":
            result = child_collect(Path(rest[0]), int(rest[1]))
        elif kind == "baseline":
            result = child_baseline(Path(rest[0]), int(rest[1]))
        else:
            result = child_pretrain(Path(rest[0]), Path(rest[1]), int(rest[2]), int(rest[3]))
        print(json.dumps(result))
        return

    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for frames in args.frames:
        episodes = math.ceil(frames / FRAMES_PER_EPISODE)
        store = args.out / f"store_{frames}"
        collected = None if store.exists() else in_child("collect", str(store), str(episodes))
        baseline = in_child("baseline", str(store), str(args.batch))
        run = args.out / f"pretrain_{frames}_{time.time_ns()}"
        trained = in_child("pretrain", str(store), str(run), str(args.steps), str(args.batch))
        frame_mib = episodes * FRAMES_PER_EPISODE * 32 * 32 * 3 / MIB
        epoch_steps = episodes * FRAMES_PER_EPISODE / args.batch
        row = {
            "frames": episodes * FRAMES_PER_EPISODE,
            "frame_mib": frame_mib,
            "collect": collected,
            "baseline": baseline,
            "pretrain": trained,
            "epoch_minutes": epoch_steps * trained["seconds_per_step"] / 60,
            "store_share_of_frames": (trained["peak_mib"] - baseline["baseline_peak_mib"]) / frame_mib,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    (args.out / "scaling.json").write_text(json.dumps(rows, indent=2))
    print(
        "\n| frames | frame MiB | collect s | collect peak MiB main / worker | pretrain s/step | epoch min "
        "| pretrain peak MiB | without store | (peak - without) / frames |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c, p = r["collect"], r["pretrain"]
        collected = "- | -"
        if c:
            collected = f"{c['seconds']:.0f} | {c['main_peak_mib']:.0f} / {c['worker_peak_mib']:.0f}"
        print(
            f"| {r['frames']:,} | {r['frame_mib']:.0f} | {collected} | {p['seconds_per_step']:.3f} "
            f"| {r['epoch_minutes']:.1f} | {p['peak_mib']:.0f} | "
            f"{r['baseline']['baseline_peak_mib']:.0f} | {r['store_share_of_frames']:.2f} |"
        )


if __name__ == "__main__":
    main()
