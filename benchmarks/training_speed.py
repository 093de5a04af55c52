"""Pretraining speed: dynarep's loop vs a bare PyTorch loop on the same model, in one run.

Usage: python benchmarks/training_speed.py STORE [--steps 200] [--batch 128] [--objective inverse_dynamics]

Three loops on one encoder + objective, batch size and thread count:
1. ``dynarep.train.pretrain`` itself (window sampling from the store, cosine lr, logging,
   checkpoints at its default interval), timed from its own log between step 20 and the end;
2. a bare loop over batches sampled beforehand and held in memory (forward, backward, AdamW);
3. the bare loop again with the encoder in channels-last memory format, and compiled with
   ``torch.compile`` (where it compiles on this machine), to say whether either helps on a CPU.
Prints samples/s of each and the ratios to the bare loop (issue 11 asks for >= 0.9x).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from dynarep.data.store import EpisodeStore
from dynarep.data.windows import WindowSampler
from dynarep.nets.encoder import ConvEncoder, default_encoder_config
from dynarep.objectives import get_objective
from dynarep.train.pretrain import PretrainConfig, mean_frame_sample, pretrain
from dynarep.train.schedule import make_optimizer

WARMUP = 20


def bare_loop(model: torch.nn.Module, batches: list, lr: float, batch: int) -> float:
    """Samples/s of forward + backward + AdamW over prepared batches (after WARMUP steps)."""
    optimizer = make_optimizer(model, lr, batch, 1e-4)
    model.train()
    for i, windows in enumerate(batches):
        if i == WARMUP:
            started = time.perf_counter()
        loss, _ = model(windows)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return (len(batches) - WARMUP) * batch / (time.perf_counter() - started)


def build(objective: str, store: EpisodeStore, channels_last: bool = False) -> torch.nn.Module:
    torch.manual_seed(0)
    config_class, objective_class = get_objective(objective)
    encoder = ConvEncoder(default_encoder_config(store.image_size))
    encoder.set_mean_frame(mean_frame_sample(store, store.episode_frame_rows()))
    model = objective_class(config_class(), encoder, store.action_dim)
    return model.to(memory_format=torch.channels_last) if channels_last else model


def loop_arguments(doc: str, steps: int) -> argparse.Namespace:
    """The flags of the pretraining-loop benchmarks: a store, steps, batch and objective."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--objective", default="inverse_dynamics")
    return parser.parse_args()


def main() -> None:
    args = loop_arguments(__doc__, steps=200)
    torch.set_num_threads(torch.get_num_threads())
    store = EpisodeStore(args.store, in_memory=True)
    results: dict[str, float] = {}

    with tempfile.TemporaryDirectory() as tmp:
        config = PretrainConfig(steps=args.steps, batch_size=args.batch)
        pretrain(args.store, Path(tmp) / "run", args.objective, None, config, progress=False)
        log = [json.loads(line) for line in (Path(tmp) / "run" / "log.jsonl").read_text().splitlines()]
        first = next(r for r in log if r["step"] >= WARMUP + 30)
        last = log[-1]
        results["dynarep pretrain"] = (
            (last["step"] - first["step"]) * args.batch / (last["time"] - first["time"])
        )

    model = build(args.objective, store)
    sampler = WindowSampler(store, model.needs, seed=0)
    batches = [sampler.sample(args.batch) for _ in range(args.steps)]
    lr = PretrainConfig().lr
    results["bare loop"] = bare_loop(model, batches, lr, args.batch)
    results["bare, channels-last"] = bare_loop(build(args.objective, store, True), batches, lr, args.batch)
    try:
        compiled = build(args.objective, store)
        compiled.encoder = torch.compile(compiled.encoder)
        results["bare, torch.compile(encoder)"] = bare_loop(compiled, batches, lr, args.batch)
    except Exception as error:  # noqa: BLE001  (report, do not fail: compile needs a C compiler)
        print(f"torch.compile unavailable here: {type(error).__name__}: {str(error)[:200]}")

    bare = results["bare loop"]
    print(f"{args.objective}, batch {args.batch}, {store.image_size} px, {torch.get_num_threads()} threads")
    for name, value in results.items():
        print(f"  {name:32s} {value:8.0f} samples/s   {value / bare:.2f}x bare")


if __name__ == "__main__":
    main()
