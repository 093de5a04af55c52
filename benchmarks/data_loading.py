"""Does data loading starve the training step? Prints both timings and their ratio, one run.

Usage: python benchmarks/data_loading.py [--store PATH] [--batch 128] [--steps 30]
Without --store it collects a 100-episode 32 px store into a temporary folder first.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch

from dynarep.data.collect import CollectSpec, collect
from dynarep.data.store import EpisodeStore
from dynarep.data.windows import WindowSampler
from dynarep.envs.pointmass import PointMassConfig
from dynarep.nets.encoder import ConvEncoder, default_encoder_config
from dynarep.objectives.inverse_dynamics import InverseDynamics, InverseDynamicsConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default=None, help="episode store (default: collect one)")
    parser.add_argument("--batch", type=int, default=128, help="windows per batch")
    parser.add_argument("--steps", type=int, default=30, help="timed iterations of each")
    args = parser.parse_args()
    path = args.store
    if path is None:
        path = f"{tempfile.mkdtemp()}/store"
        collect(path, PointMassConfig(image_size=32), CollectSpec(episodes=100), workers=2)
    store = EpisodeStore(path, in_memory=True)
    model = InverseDynamics(InverseDynamicsConfig(), ConvEncoder(default_encoder_config(store.image_size)), 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4)
    for shift in (0, 2):
        sampler = WindowSampler(store, model.needs.__class__(frames=(0, 1), actions=(0,), shift=shift))
        batches = [sampler.sample(args.batch) for _ in range(3)]  # warm-up
        start = time.perf_counter()
        batches = [sampler.sample(args.batch) for _ in range(args.steps)]
        sample_s = (time.perf_counter() - start) / args.steps
        start = time.perf_counter()
        for batch in batches:
            loss, _ = model(batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        step_s = (time.perf_counter() - start) / args.steps
        print(
            f"shift {shift}: sample {1000 * sample_s:.2f} ms/batch, "
            f"ID train step {1000 * step_s:.1f} ms/batch, "
            f"loading = {100 * sample_s / step_s:.1f}% of a step "
            f"({args.batch / sample_s:,.0f} windows/s vs {args.batch / step_s:,.0f} consumed)"
        )


if __name__ == "__main__":
    main()
