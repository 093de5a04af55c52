"""Verbs that train and export: ``pretrain``, ``finetune``, ``export-encoder``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from tyro.conf import Positional, arg

from dynarep.commands.base import Choices, Group, nested, register_verb, with_fields
from dynarep.train.finetune_config import FinetuneConfig
from dynarep.train.metrics import LoggingConfig
from dynarep.train.pretrain_config import PretrainConfig

DEFAULT_OBJECTIVE = "inverse_dynamics"


@dataclass(frozen=True)
class PretrainArgs:
    """Pretrain an encoder and export encoder.safetensors + encoder.json into --out (resumes from
    its checkpoint). Pass --objective NAME --help for an objective's options, --backbone NAME
    --help for an architecture's."""

    store: str
    """Episode store to train on."""
    out: str
    """Run folder to write."""
    objective: str = DEFAULT_OBJECTIVE
    """Pretraining objective: inverse_dynamics, bc, fd_pixels, fd_contrastive, simclr, dynamo, or
    one you registered."""
    backbone: str | None = None
    """Encoder architecture: a registered name (conv, resnet18, ...); None: the conv +
    spatial-softmax encoder sized for the store's frames. Its frame size is the store's."""
    device: str = "auto"
    """auto (CUDA if available), cpu, cuda, cuda:1, ..."""
    pretrain: Annotated[PretrainConfig, Group] = nested(PretrainConfig)
    logging: Annotated[LoggingConfig, Group] = nested(LoggingConfig)


def pretrain_arguments(choices: Choices) -> type:
    from dynarep.nets.factory import get_encoder
    from dynarep.objectives import get_objective

    groups: dict[str, type] = {}
    try:
        groups["objective_config"] = get_objective(choices.flag("objective", DEFAULT_OBJECTIVE))[0]
    except KeyError:
        pass  # reported as a one-line error once parsed
    backbone = choices.flag("backbone")
    if backbone is not None:
        try:
            groups["encoder"] = get_encoder(backbone)[0]
        except KeyError:
            pass
    return with_fields("PretrainArgs", PretrainArgs, **groups) if groups else PretrainArgs


@register_verb("pretrain", "pretrain an encoder with a registered objective", pretrain_arguments)
def pretrain(args: Any) -> Path:
    from dynarep.nets.factory import get_encoder
    from dynarep.objectives import get_objective
    from dynarep.train.launcher_env import launched_rank
    from dynarep.train.pretrain import pretrain

    get_objective(args.objective)
    encoder_config = None
    if args.backbone is not None:
        from dynarep.data.store import EpisodeStore

        get_encoder(args.backbone)
        image_size = EpisodeStore(args.store).image_size
        encoder_config = dataclasses.replace(args.encoder, image_size=image_size)
    path = pretrain(
        args.store,
        args.out,
        args.objective,
        args.objective_config,
        args.pretrain,
        encoder_config=encoder_config,
        device=args.device,
        logging=args.logging,
    )
    if launched_rank() == 0:  # once, also under a multi-process launcher
        print(f"encoder written to {path}")
    return path.parent


@dataclass(frozen=True)
class FinetuneArgs:
    """Train a policy head on a few demos: frozen pretrained encoder, from-scratch pixels, or the
    state oracle."""

    store: str
    """Finetuning episode store."""
    out: str
    """Policy folder to write."""
    policy_type: Literal["frozen", "scratch", "state"] = "frozen"
    """frozen pretrained encoder, scratch pixels, or state oracle."""
    encoder: str | None = None
    """Pretrained encoder (run folder or .safetensors); needed by --policy-type frozen."""
    device: str = "auto"
    """auto (CUDA if available), cpu, cuda, ..."""
    finetune: Annotated[FinetuneConfig, Group] = nested(FinetuneConfig)
    logging: Annotated[LoggingConfig, Group] = nested(LoggingConfig)


@register_verb("finetune", "few-shot behaviour cloning on a frozen encoder", FinetuneArgs)
def finetune(args: FinetuneArgs) -> Path:
    from dynarep.train.finetune import finetune

    out = finetune(
        args.store,
        args.out,
        args.policy_type,
        args.encoder,
        args.finetune,
        device=args.device,
        logging=args.logging,
    )
    print(f"policy written to {out}")
    return Path(out)


@dataclass(frozen=True)
class ExportEncoderArgs:
    """Write OUT/model.safetensors, OUT/config.json (architecture, objective, training data, steps,
    probe results) and OUT/README.md (a model card). Load it in your own code with
    dynarep.load_encoder(OUT)."""

    run: Annotated[str, Positional, arg(metavar="RUN")]
    """Pretraining run folder (or its encoder.safetensors)."""
    out: Annotated[str, Positional, arg(metavar="OUT")]
    """New folder to write."""


@register_verb(
    "export-encoder",
    "write a pretrained encoder as a self-describing folder with a model card",
    ExportEncoderArgs,
)
def export_encoder(args: ExportEncoderArgs) -> None:
    from dynarep.pretrained import export_encoder_package

    out = export_encoder_package(args.run, args.out)
    print(f"encoder exported to {out} (load it with dynarep.load_encoder({str(out)!r}))")
