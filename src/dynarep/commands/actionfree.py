"""Verbs for action-free data: ``split``, ``label``, ``merge``, ``offline-rl``.

The semi-supervised route of protocol §5.2-§5.3 as four commands: split a store into a labelled
and an action-free part (to measure against the truth), label the action-free part with an
inverse dynamics model, merge labelled and pseudo-labelled data, and learn from it by behaviour
cloning (``dynarep finetune``) or offline RL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from tyro.conf import Positional, arg

from dynarep.commands.base import Group, nested, register_verb
from dynarep.label.idm_config import LabellerConfig
from dynarep.rl.td3_bc_config import TD3BCConfig


@dataclass(frozen=True)
class SplitArgs:
    """Keep the actions of --fraction of the episodes (--labelled) and drop them from the rest
    (--unlabelled, action-free unless --keep-actions). Which episodes keep actions: random, or
    random among the lowest-return half as SSORL does (--pick lowest-return)."""

    store: Annotated[str, Positional, arg(metavar="STORE")]
    """Episode store with actions."""
    labelled: str
    """New store: the episodes that keep actions."""
    unlabelled: str
    """New store: the other episodes, action-free."""
    fraction: float
    """Share of episodes that keep actions."""
    pick: Literal["random", "lowest-return"] = "random"
    """How they are chosen."""
    seed: int = 0
    """Seed of the choice."""
    keep_actions: bool = False
    """Keep the true actions in --unlabelled too (to measure labelling error with dynarep label
    --existing relabel)."""


@register_verb(
    "split", "a labelled part and an action-free part of one store (the semi-supervised setting)", SplitArgs
)
def split(args: SplitArgs) -> None:
    from dynarep.data.split import split_store
    from dynarep.data.store import EpisodeStore

    parts = split_store(
        args.store, args.labelled, args.unlabelled, args.fraction, args.pick, args.seed, args.keep_actions
    )
    for part in map(EpisodeStore, parts):
        print(f"{part.root}: {part.num_episodes} episodes, actions {part.action_dim}-d")


@dataclass(frozen=True)
class LabelArgs:
    """Train a non-causal inverse dynamics model (frames t-past..t+future -> a_t) on --labelled,
    report its error on held-out labelled episodes, and write --out: the --unlabelled store with
    IDM actions, an action_source column and the labeller's provenance (weights hash). Neither
    input is modified."""

    labelled: str
    """Store with actions to learn from."""
    unlabelled: str
    """Store to label (action-free, or see --existing)."""
    out: str
    """New store to write."""
    existing: Literal["error", "keep", "relabel"] = "error"
    """When --unlabelled has actions: keep them (label only frames without), relabel every frame
    (originals kept as action.original, labelling error against them reported), or refuse."""
    labeller: Annotated[LabellerConfig, Group] = nested(LabellerConfig)


@register_verb(
    "label", "pseudo-label a store with an inverse dynamics model trained on a labelled store", LabelArgs
)
def label(args: LabelArgs) -> Path:
    from dynarep.label.label import label

    out = label(args.labelled, args.unlabelled, args.out, args.labeller, args.existing)
    labels = json.loads((out / "meta" / "info.json").read_text())["labels"]
    summary = {k: v for k, v in labels.items() if k in ("validation", "error_vs_replaced_actions")}
    print(f"{out}: labelled; labeller sha256 {labels['labeller']['sha256'][:12]}")
    print(json.dumps(summary, indent=2))
    return out


@dataclass(frozen=True)
class MergeArgs:
    """Write a new store holding every episode of the given stores, in order; frames must agree
    (cameras, size, action width); each frame's action_source is kept."""

    stores: Annotated[tuple[str, ...], Positional, arg(metavar="STORES")]
    """Stores to merge."""
    out: str
    """New store to write."""


@register_verb(
    "merge", "several stores as one (e.g. labelled + IDM-labelled, for pretraining on the union)", MergeArgs
)
def merge(args: MergeArgs) -> None:
    from dynarep.data.merge import merge
    from dynarep.data.store import EpisodeStore

    store = EpisodeStore(merge(list(args.stores), args.out))
    print(f"{store.root}: {store.num_episodes} episodes, {len(store.images)} frames")


@dataclass(frozen=True)
class OfflineRLArgs:
    """Train TD3+BC on every transition of STORE (state, action, next.reward, next state) and
    write a state policy that dynarep evaluate rolls out."""

    store: Annotated[str, Positional, arg(metavar="STORE")]
    """Episode store with actions and rewards."""
    out: str
    """Policy folder to write."""
    td3_bc: Annotated[TD3BCConfig, Group] = nested(TD3BCConfig)


@register_verb(
    "offline-rl",
    "TD3+BC on a store's transitions (true or IDM-labelled actions, stored rewards)",
    OfflineRLArgs,
)
def offline_rl(args: OfflineRLArgs) -> Path:
    from dynarep.rl.td3_bc import offline_rl

    out = offline_rl(args.store, args.out, args.td3_bc)
    print(f"policy written to {out} (roll it out with: dynarep evaluate --policy {out})")
    return Path(out)
