"""Two pretraining runs side by side on one thread each, vs one after the other on all threads.

Usage: python benchmarks/pretrain_threads.py STORE [--steps 150] [--batch 128] [--objective inverse_dynamics]

A benchmark pretrains several encoders (objectives x pretraining seeds). On a small CPU, one
training step of a small encoder does not keep every core busy: intra-op threads wait on each
other at every layer. This measures, in one run and on the same bare loop (batches sampled
beforehand, forward + backward + AdamW, as ``training_speed.py``):

1. one process on every thread (what the benchmark does today, one encoder after another);
2. one process on one thread;
3. as many one-thread processes as there are cores, at once; their summed samples/s.

Prints each loop's samples/s and the ratio of 3 to 1: above 1, encoders pretrained side by side
on one thread each finish sooner than one after the other.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from training_speed import bare_loop, build, loop_arguments  # noqa: E402

from dynarep.data.store import EpisodeStore  # noqa: E402
from dynarep.data.windows import WindowSampler  # noqa: E402
from dynarep.train.pretrain import PretrainConfig  # noqa: E402


def measure(store_path: str, objective: str, steps: int, batch: int, threads: int, start=None) -> float:
    """Samples/s of the bare loop on ``threads`` threads (waits on ``start`` to begin, if given)."""
    torch.set_num_threads(threads)
    store = EpisodeStore(store_path, in_memory=True)
    model = build(objective, store)
    batches = [WindowSampler(store, model.needs, seed=0).sample(batch) for _ in range(steps)]
    if start is not None:
        start.wait()
    return bare_loop(model, batches, PretrainConfig().lr, batch)


def main() -> None:
    args = loop_arguments(__doc__, steps=150)
    cores = torch.get_num_threads()
    job = (str(args.store), args.objective, args.steps, args.batch)

    all_threads = measure(*job, threads=cores)
    one_thread = measure(*job, threads=1)
    context = mp.get_context("spawn")
    start = context.Manager().Barrier(cores)
    with context.Pool(cores) as pool:
        side_by_side = sum(pool.starmap(measure, [(*job, 1, start)] * cores))

    print(f"{args.objective}, batch {args.batch}, {cores} cores")
    print(f"  one process, {cores} threads            {all_threads:8.0f} samples/s")
    print(f"  one process, 1 thread              {one_thread:8.0f} samples/s")
    print(f"  {cores} processes x 1 thread, summed    {side_by_side:8.0f} samples/s")
    print(f"  side by side vs one after the other: {side_by_side / all_threads:.2f}x")


if __name__ == "__main__":
    main()
