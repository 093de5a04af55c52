"""``python -m dynarep``: the CLI, so that launchers that run modules work (``accelerate launch -m
dynarep pretrain ...``, ``torchrun -m dynarep pretrain ...``)."""

from dynarep.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
