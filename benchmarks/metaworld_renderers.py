"""What bounding the renderers costs on a many-task corpus: collection of the R3M split's
pretraining tasks (45, a random one per episode) in one process, with at most ``RENDERERS_KEPT``
renderers (the default, 8) and with one per task kept (the behaviour before the bound), measured
in one run: frames per second and peak resident memory, each in a fresh process.

Usage: python benchmarks/metaworld_renderers.py [--episodes 60] [--image-size 64]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path


def measure(kept: int, episodes: int, image_size: int, root: str) -> dict:
    import dynarep.envs.metaworld as metaworld
    from dynarep.data.collect import CollectSpec, collect
    from dynarep.envs.metaworld_tasks import R3M_SPLIT

    metaworld.RENDERERS_KEPT = kept
    config = metaworld.MetaworldConfig(tasks=R3M_SPLIT.pretrain, hide_goal=False, image_size=image_size)
    started = time.perf_counter()
    store = collect(Path(root) / f"kept{kept}", config, CollectSpec(episodes=episodes), 1, progress=False)
    seconds = time.perf_counter() - started
    return {
        "kept": kept,
        "configurations": len(set(store.episodes["task_index"].to_pylist())),
        "frames_per_s": len(store.images) / seconds,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--episodes", type=int, default=60)
    parser.add_argument("--image-size", type=int, default=64)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp, context.Pool(1, maxtasksperchild=1) as pool:
        rows = [pool.apply(measure, (kept, args.episodes, args.image_size, tmp)) for kept in (8, 64)]
    for row in rows:
        print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}))
    print(
        f"bounded / unbounded: {rows[0]['frames_per_s'] / rows[1]['frames_per_s']:.2f}x frames/s, "
        f"{rows[0]['peak_mib'] / rows[1]['peak_mib']:.2f}x peak memory"
    )


if __name__ == "__main__":
    main()
