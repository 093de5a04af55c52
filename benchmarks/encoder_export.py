"""Size and load time of exported encoders (``dynarep export-encoder`` + ``dynarep.load_encoder``).

Usage: python benchmarks/encoder_export.py RUN [RUN ...] [--repeats 5]

Each RUN (a pretraining run folder) is exported to a temporary folder; then, in fresh Python
processes (median of ``repeats``): the time of ``import torch``, of ``dynarep.load_encoder`` after
it, and of a first forward pass on one frame at the encoder's size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from dynarep.pretrained import export_encoder_package

CHILD = """
import json, sys, time
t0 = time.perf_counter()
import torch
torch.set_num_threads(1)
t1 = time.perf_counter()
import dynarep
encoder = dynarep.load_encoder(sys.argv[1])
t2 = time.perf_counter()
size = encoder.image_size
with torch.no_grad():
    encoder(torch.zeros(1, size, size, encoder.encoder.config.in_channels, dtype=torch.uint8))
t3 = time.perf_counter()
params = sum(p.numel() for p in encoder.parameters())
print(json.dumps({"torch": t1 - t0, "load": t2 - t1, "forward": t3 - t2, "params": params, "size": size}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        "| encoder | image | parameters | folder size | import torch | load_encoder "
        "| first forward (1 frame) |"
    )
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for i, run in enumerate(args.runs):
            out = export_encoder_package(run, Path(tmp) / f"e{i}")
            size = sum(p.stat().st_size for p in out.iterdir())
            samples = [
                json.loads(
                    subprocess.run(
                        [sys.executable, "-c", CHILD, str(out)], capture_output=True, text=True, check=True
                    ).stdout
                )
                for _ in range(args.repeats)
            ]
            median = {k: statistics.median(s[k] for s in samples) for k in ("torch", "load", "forward")}
            print(
                f"| {run} | {samples[0]['size']} px | {samples[0]['params']:,} | {size / 1024:.0f} KiB | "
                f"{median['torch']:.2f} s | {1000 * median['load']:.0f} ms | "
                f"{1000 * median['forward']:.1f} ms |"
            )


if __name__ == "__main__":
    main()
