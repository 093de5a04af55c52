"""What a multi-process launcher (``accelerate launch``, ``torchrun``) tells each process it starts,
read from the environment without importing torch, so the CLI can ask it too."""

from __future__ import annotations

import os


def launched_processes() -> int:
    """How many processes the launcher started (``WORLD_SIZE``; 1 without a launcher)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def launched_rank() -> int:
    """This process's rank under a launcher (``RANK``; 0 without one)."""
    return int(os.environ.get("RANK", "0"))
