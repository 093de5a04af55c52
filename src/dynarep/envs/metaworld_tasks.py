"""Metaworld task lists of the protocol's splits (protocol.md §2.3), in Metaworld 3 (``-v3``) names.

The authors' task list has 53 entries for 50 tasks: peg-insert-side, reach and push appear twice, so
a pretraining episode draws them twice as often. The lists below keep those duplicates. Plain data:
importing this module does not import Metaworld.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_TASKS: tuple[str, ...] = (
    "assembly-v3", "basketball-v3", "bin-picking-v3", "box-close-v3", "button-press-topdown-v3",
    "button-press-topdown-wall-v3", "button-press-v3", "button-press-wall-v3", "coffee-button-v3",
    "coffee-pull-v3", "coffee-push-v3", "dial-turn-v3", "disassemble-v3", "door-close-v3",
    "door-lock-v3", "door-open-v3", "door-unlock-v3", "hand-insert-v3", "drawer-close-v3",
    "drawer-open-v3", "faucet-open-v3", "faucet-close-v3", "hammer-v3", "handle-press-side-v3",
    "handle-press-v3", "handle-pull-side-v3", "handle-pull-v3", "lever-pull-v3", "pick-place-wall-v3",
    "pick-out-of-hole-v3", "pick-place-v3", "plate-slide-v3", "plate-slide-side-v3",
    "plate-slide-back-v3", "plate-slide-back-side-v3", "peg-insert-side-v3", "peg-unplug-side-v3",
    "soccer-v3", "stick-push-v3", "stick-pull-v3", "push-v3", "push-wall-v3", "push-back-v3",
    "reach-v3", "reach-wall-v3", "shelf-place-v3", "sweep-into-v3", "sweep-v3", "window-open-v3",
    "window-close-v3",
)  # fmt: skip
DOUBLED: tuple[str, ...] = ("peg-insert-side-v3", "reach-v3", "push-v3")
TASK_LIST: tuple[str, ...] = ALL_TASKS + DOUBLED  # the 53-entry list pretraining draws from


@dataclass(frozen=True)
class Split:
    """Pretraining tasks (the targets held out) and the finetuning targets."""

    finetune: tuple[str, ...]
    pretrain_all: tuple[str, ...] = TASK_LIST
    """The in-distribution variant's pretraining list (protocol §4.4)."""

    @property
    def pretrain(self) -> tuple[str, ...]:
        return tuple(t for t in self.pretrain_all if t not in self.finetune)


ML45_SPLIT = Split(("bin-picking-v3", "box-close-v3", "hand-insert-v3", "door-lock-v3", "door-unlock-v3"))
R3M_SPLIT = Split(("assembly-v3", "bin-picking-v3", "button-press-v3", "drawer-open-v3", "hammer-v3"))
DOOR_SPLIT = Split(
    ("door-lock-v3",), pretrain_all=("door-unlock-v3", "door-close-v3", "door-open-v3", "door-lock-v3")
)
