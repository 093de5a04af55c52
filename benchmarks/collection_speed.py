"""Collection speed: ``dynarep collect`` vs a bare mujoco step + render loop, and 2 workers vs 1.

Usage: python benchmarks/collection_speed.py [--episodes 100]

On the point mass's own scene and render settings (32 px rendered at 64 px and box-averaged):
1. bare: one ``mujoco.MjData``, ``mj_step`` + ``Renderer.update_scene`` + ``render`` +
   downsample, 101 frames per episode, nothing else (no expert, no store);
2. ``collect`` with 1 worker process, the whole command (expert, frames, tables, checksums);
3. ``collect`` with 2 worker processes.
Prints frames/s of each and the ratios issue 11 asks for: collect per worker vs bare (>= 0.8x)
and 2 workers vs 1 (>= 1.6x).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dynarep.data.collect import CollectSpec, collect
from dynarep.envs.pointmass import PointMassBatch, PointMassConfig, start_for_seed


def bare_frames_per_second(config: PointMassConfig, episodes: int) -> float:
    sim = PointMassBatch(config, 1)
    sim.render()  # create the renderer outside the timing
    started = time.perf_counter()
    for e in range(episodes):
        sim.reset(start_for_seed(e)[None], start_for_seed(e + 1)[None])
        sim.render()
        for _ in range(config.episode_steps):
            sim.step([[0.5, -0.5]])
            sim.render()
    seconds = time.perf_counter() - started
    sim.close()
    return episodes * (config.episode_steps + 1) / seconds


def collect_frames_per_second(config: PointMassConfig, episodes: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        store = collect(Path(tmp) / "store", config, CollectSpec(episodes=episodes), workers, progress=False)
        return len(store.images) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=100)
    args = parser.parse_args()
    config = PointMassConfig()
    bare = bare_frames_per_second(config, args.episodes)
    one = collect_frames_per_second(config, args.episodes, 1)
    two = collect_frames_per_second(config, args.episodes, 2)
    rendered = config.image_size * config.supersample
    print(f"point mass, {config.image_size} px (rendered at {rendered}), {args.episodes} episodes")
    print(f"  bare step + render      {bare:8.0f} frames/s")
    print(f"  collect, 1 worker       {one:8.0f} frames/s   {one / bare:.2f}x bare")
    print(f"  collect, 2 workers      {two:8.0f} frames/s   {two / one:.2f}x one worker")


if __name__ == "__main__":
    main()
