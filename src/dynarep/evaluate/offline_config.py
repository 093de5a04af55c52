"""Settings of offline evaluation (``dynarep.evaluate.offline``), apart from it so that the CLI builds
``--help`` and refuses a bad flag without importing torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from dynarep.config_checks import AT_LEAST_1, Checked


@dataclass
class OfflineConfig(Checked):
    """Settings of offline evaluation."""

    demos: Annotated[int, AT_LEAST_1] = 5
    """Training episodes per task; the task's other episodes are held out."""
    tasks: tuple[int, ...] = ()
    """task_index values to evaluate on (default: the tasks with the most episodes, at most
    --max-tasks of them, each with at least --demos + 1 episodes)."""
    max_tasks: Annotated[int, AT_LEAST_1] = 5
    """Without --tasks: evaluate on at most this many tasks."""
    seeds: Annotated[int, AT_LEAST_1] = 3
    """Repeats per task, each with other training episodes and head initialisation."""
    max_heldout: Annotated[int, AT_LEAST_1] = 50
    """At most this many held-out episodes per task and seed."""
    steps: Annotated[int, AT_LEAST_1] = 2000
    """Head-training steps (as finetune)."""
    batch_size: Annotated[int, AT_LEAST_1] = 256
    """Frames per step."""
