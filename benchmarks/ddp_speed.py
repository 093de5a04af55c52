"""Data-parallel pretraining on one machine: samples/s of 2 processes vs 1, same global batch.

Usage: python benchmarks/ddp_speed.py STORE [--steps 300] [--batch 128] [--processes 2]

Runs ``dynarep pretrain`` (inverse dynamics, no dropout, so that the loss curves can be compared
step for step) once as one process using every core, and once under ``torchrun`` with
``--processes`` processes (one thread each: torchrun's default). Prints samples/s of each, timed
from their own logs between step 50 and the end, and the largest relative difference between the
two loss curves.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def samples_per_second(run: Path, batch: int) -> float:
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    first, last = next(r for r in log if r["step"] >= 50), log[-1]
    return (last["step"] - first["step"]) * batch / (last["time"] - first["time"])


def losses(run: Path) -> list[float]:
    return [json.loads(line)["pretrain/loss"] for line in (run / "log.jsonl").read_text().splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    flags = ["pretrain", "--store", str(args.store), "--steps", str(args.steps)]
    flags += ["--batch-size", str(args.batch), "--log-every", "10", "--dropout", "0"]
    with tempfile.TemporaryDirectory() as tmp:
        one, many = Path(tmp) / "one", Path(tmp) / "many"
        subprocess.run([sys.executable, "-m", "dynarep", *flags, "--out", str(one)], check=True)
        launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(args.processes)]
        subprocess.run([*launcher, "-m", "dynarep", *flags, "--out", str(many)], check=True)
        speed_one, speed_many = samples_per_second(one, args.batch), samples_per_second(many, args.batch)
        gap = max(abs(a - b) / abs(a) for a, b in zip(losses(one), losses(many), strict=True))
    print(f"inverse dynamics, batch {args.batch}, {args.steps} steps")
    print(f"  1 process, all cores          {speed_one:8.0f} samples/s")
    ratio = speed_many / speed_one
    print(f"  {args.processes} processes, 1 thread each  {speed_many:8.0f} samples/s   {ratio:.2f}x")
    print(f"  largest relative loss difference over the run: {gap:.1e}")


if __name__ == "__main__":
    main()
