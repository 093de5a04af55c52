"""Where training metrics go: ``log.jsonl`` always, TensorBoard and Weights & Biases when asked.

JSONL works offline, in tests and under any launcher, so it is the record; the other two are
views for people who already use them, imported only when their flag is on (they are the
optional ``logging`` extra: ``pip install 'dynarep[logging]'``). Keys are namespaced by stage
(``pretrain/loss``, ``finetune/loss``); each record carries its ``step``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class LoggingConfig:
    """Where training metrics go besides OUT/log.jsonl, which is always written."""

    tensorboard: bool = False
    """Also write TensorBoard event files to OUT/tensorboard (needs the tensorboard package)."""
    wandb: bool = False
    """Also log to Weights & Biases (needs the wandb package); the run's config goes with it."""
    wandb_mode: Literal["offline", "online"] = "offline"
    """offline: written under OUT/wandb, uploaded later with `wandb sync` if you wish; online:
    sent while training (needs a W&B login and network)."""
    wandb_project: str = "dynarep"
    """W&B project."""


def _require(module: str, flag: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.split(".")[0] if module != "torch.utils.tensorboard" else "tensorboard"
        raise RuntimeError(
            f"--{flag}: the {package} package is not installed (pip install 'dynarep[logging]')"
        ) from error


class MetricLog:
    """Appends metric records to ``out/log.jsonl`` and to the sinks ``config`` turns on. A resumed
    run appends to the same files (and continues the same W&B run: its id is derived from the
    folder). ``jsonl=False`` leaves ``log.jsonl`` to a caller that writes it whole."""

    def __init__(
        self,
        out: Path,
        config: LoggingConfig | None = None,
        run_config: dict[str, Any] | None = None,
        jsonl: bool = True,
    ) -> None:
        config = config or LoggingConfig()
        self.jsonl = (out / "log.jsonl").open("a") if jsonl else None
        self.tensorboard = None
        self.wandb = None
        if config.tensorboard:
            tensorboard = _require("torch.utils.tensorboard", "tensorboard")
            self.tensorboard = tensorboard.SummaryWriter(log_dir=str(out / "tensorboard"))
        if config.wandb:
            wandb = _require("wandb", "wandb")
            run_id = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
            self.wandb = wandb.init(
                project=config.wandb_project,
                name=out.name,
                id=run_id,
                resume="allow",
                dir=str(out),
                mode=config.wandb_mode,
                config=run_config or {},
            )

    def write(self, record: dict[str, Any]) -> None:
        """One record: ``step`` plus namespaced scalars (``time`` and other plain keys go to the
        JSONL only)."""
        if self.jsonl is not None:
            self.jsonl.write(json.dumps(record) + "\n")
            self.jsonl.flush()
        scalars = {k: float(v) for k, v in record.items() if "/" in k and isinstance(v, int | float)}
        step = int(record["step"])
        if self.tensorboard is not None:
            for key, value in scalars.items():
                self.tensorboard.add_scalar(key, value, step)
        if self.wandb is not None:
            self.wandb.log(scalars, step=step)

    def close(self) -> None:
        if self.jsonl is not None:
            self.jsonl.close()
        if self.tensorboard is not None:
            self.tensorboard.close()
        if self.wandb is not None:
            self.wandb.finish()
