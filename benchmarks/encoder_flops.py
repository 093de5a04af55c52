"""What a preset's pretraining costs in floating-point work, to extrapolate a measured rate.

Usage: python benchmarks/encoder_flops.py [--sizes 32 64 84 120] [--samples-per-s 585 --at 64]
    [--steps 100000 --batch 256 --frames 2]

Counts (``torch.utils.flop_counter``, no timing) the forward + backward FLOPs of one frame through
the encoder ``default_encoder_config(size)`` picks at each frame size, the part of a pretraining
step that grows with the frame. Given a samples/s measured at one size (``--samples-per-s`` at
``--at`` px, e.g. from a run's ``log.jsonl``), it prints how long ``--steps`` steps at ``--batch``
would take at every size on the same machine, assuming the same FLOP rate: an extrapolation, which
is how RESULTS.md states it. Heads and optimizer are left out (small next to the encoder).
"""

from __future__ import annotations

import argparse

import torch
from torch.utils.flop_counter import FlopCounterMode

from dynarep.nets.encoder import ConvEncoder, default_encoder_config


def flops_per_frame(image_size: int) -> float:
    """Forward + backward FLOPs of one uint8 frame through the default encoder at this size."""
    torch.manual_seed(0)
    encoder = ConvEncoder(default_encoder_config(image_size))
    frames = torch.randint(0, 256, (2, image_size, image_size, 3), dtype=torch.uint8)
    with FlopCounterMode(display=False) as counter:
        encoder(frames).sum().backward()
    return counter.get_total_flops() / len(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 84, 120])
    parser.add_argument("--samples-per-s", type=float, help="a measured pretraining rate ...")
    parser.add_argument("--at", type=int, default=64, help="... at this frame size")
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--frames", type=int, default=2, help="frames per sample (2 for k = 1 ID)")
    args = parser.parse_args()

    sizes = sorted(set(args.sizes) | ({args.at} if args.samples_per_s else set()))
    flops = {size: flops_per_frame(size) for size in sizes}
    rate = args.samples_per_s * args.frames * flops[args.at] if args.samples_per_s else None
    total_frames = args.steps * args.batch * args.frames
    print(f"{args.steps} steps x {args.batch} samples x {args.frames} frames")
    for size in sizes:
        config = default_encoder_config(size)
        line = f"{size:>4} px  widths {config.channels}  {flops[size] / 1e9:.3f} GFLOP/frame"
        line += f"  total {total_frames * flops[size] / 1e15:.3f} PFLOP"
        if rate:
            line += f"  ~{total_frames * flops[size] / rate / 86400:.2f} days at {rate / 1e9:.0f} GFLOP/s"
        print(line)


if __name__ == "__main__":
    main()
