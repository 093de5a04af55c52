"""Collection throughput on Metaworld pick-place: ``dynarep collect`` with 1 and 2 workers vs a
bare Metaworld step + render loop, measured in one run.

Usage: python benchmarks/metaworld_collection.py [--episodes 40] [--image-size 64]

The bare loop is what a hand-written script would do: Metaworld's env, its expert, one
``mujoco.Renderer`` with the fast visual settings, no store, no processes. Ratios:
per-worker efficiency = collect(1 worker) / bare loop; scaling = collect(2) / collect(1).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dynarep.data.collect import CollectSpec, collect
from dynarep.envs.metaworld import MetaworldConfig, MetaworldEnv
from dynarep.envs.rendering import make_renderer


def bare_loop(config: MetaworldConfig, episodes: int) -> float:
    """Frames per second of expert + step + render at the same scene and render size."""
    env = MetaworldEnv(config, render=False)  # only used to configure tasks and read the expert
    scale = config.image_size * config.supersample / 120
    frames, renderer, started = 0, None, time.perf_counter()
    for i in range(episodes):
        env.reset(seed=i, options={"task_id": i})
        sim = env._envs[env.task]
        if renderer is None:
            renderer = make_renderer(sim.model, round(240 * scale), round(320 * scale))
        while True:
            renderer.update_scene(sim.data, camera=config.camera)
            renderer.render()
            frames += 1
            if env.done:
                break
            env.step(env.expert_action())
    renderer.close()
    env.close()
    return frames / (time.perf_counter() - started)


def collect_rate(config: MetaworldConfig, episodes: int, workers: int, root: Path) -> float:
    started = time.perf_counter()
    store = collect(
        root / f"w{workers}", config, CollectSpec(episodes=episodes), workers, batch=5, progress=False
    )
    return len(store.images) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--image-size", type=int, default=64)
    args = parser.parse_args()
    config = MetaworldConfig(image_size=args.image_size)
    with tempfile.TemporaryDirectory() as tmp:
        bare = bare_loop(config, args.episodes)
        one = collect_rate(config, args.episodes, 1, Path(tmp))
        two = collect_rate(config, args.episodes, 2, Path(tmp))
    print(f"pick-place, {args.image_size} px, {args.episodes} expert episodes (frames/s incl. start-up):")
    print(f"  bare Metaworld step + render loop: {bare:.1f}")
    print(f"  dynarep collect, 1 worker:         {one:.1f}  ({one / bare:.2f}x the bare loop)")
    print(f"  dynarep collect, 2 workers:        {two:.1f}  ({two / one:.2f}x one worker)")


if __name__ == "__main__":
    main()
