"""Settings of the inverse dynamics labeller (``dynarep.label.idm``), apart from it so that the CLI
builds ``--help`` and refuses a bad flag without importing torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from dynarep.config_checks import AT_LEAST_0, AT_LEAST_1, FRACTION, POSITIVE, Checked


@dataclass
class LabellerConfig(Checked):
    """Settings of the inverse dynamics labeller."""

    inputs: Literal["frames", "state"] = "frames"
    """What the labeller reads around t: camera frames, or observation.state vectors."""
    fusion: Literal["late", "early"] = "late"
    """Frames only: late = one encoder per frame, embeddings concatenated (can start from
    --encoder); early = the window and its frame differences stacked on channels, one conv net."""
    past: Annotated[int, AT_LEAST_0] = 1
    """Frames before t the model sees."""
    future: Annotated[int, AT_LEAST_0] = 1
    """Frames after t the model sees (VPT: non-causal, both sides)."""
    shift: Annotated[int, AT_LEAST_0] = 0
    """Frames only: random shift of up to this many px while training, the same for every frame of
    a window (0 = off). With ~10 labelled episodes it keeps the labeller from memorising where the
    object went (issue 9 in benchmarks/RESULTS.md)."""
    segment: Annotated[int, AT_LEAST_1] = 1
    """Late-fusion frames only: draw each batch as runs of this many consecutive steps, so that a
    frame is encoded once for every window of its run that holds it (a t±5 window at --segment 8
    encodes 18 frames per 8 labels instead of 88). 1 = independent windows."""
    steps: Annotated[int, AT_LEAST_1] = 3000
    """Training steps."""
    batch_size: Annotated[int, AT_LEAST_1] = 128
    """Windows per step."""
    lr: Annotated[float, POSITIVE] = 1e-3
    """Base learning rate, scaled by batch_size/256."""
    weight_decay: Annotated[float, AT_LEAST_0] = 1e-4
    """AdamW weight decay."""
    validation: Annotated[float, FRACTION] = 0.1
    """Share of the labelled episodes held out to measure labelling error."""
    encoder: str | None = None
    """Start φ from this pretrained encoder (a run or exported folder); default: random init."""
    seed: int = 0
    """Seed of initialisation, split and sampling."""

    @property
    def offsets(self) -> tuple[int, ...]:
        return tuple(range(-self.past, self.future + 1))
