"""Verbs for action-free data: ``split``, ``label``, ``merge``, ``offline-rl``.

The semi-supervised route of protocol §5.2-§5.3 as four commands: split a store into a labelled
and an action-free part (to measure against the truth), label the action-free part with an
inverse dynamics model, merge labelled and pseudo-labelled data, and learn from it by behaviour
cloning (``dynarep finetune``) or offline RL.
"""

from __future__ import annotations

import argparse
import json

from dynarep.config_cli import add_dataclass_arguments, build_dataclass
from dynarep.data.split import PICKS
from dynarep.label.idm import LabellerConfig
from dynarep.rl.td3_bc import TD3BCConfig

VERBS = ("split", "label", "merge", "offline-rl")


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    split = verbs.add_parser(
        "split",
        help="a labelled part and an action-free part of one store (the semi-supervised setting)",
        description="Keep the actions of --fraction of the episodes (--labelled) and drop them from "
        "the rest (--unlabelled, action-free unless --keep-actions). Which episodes keep actions: "
        "random, or random among the lowest-return half as SSORL does (--pick lowest-return).",
    )
    split.add_argument("store", help="episode store with actions")
    split.add_argument("--labelled", required=True, help="new store: the episodes that keep actions")
    split.add_argument("--unlabelled", required=True, help="new store: the other episodes, action-free")
    split.add_argument("--fraction", type=float, required=True, help="share of episodes that keep actions")
    split.add_argument(
        "--pick", choices=PICKS, default="random", help="how they are chosen (default: random)"
    )
    split.add_argument("--seed", type=int, default=0, help="seed of the choice (default: 0)")
    split.add_argument(
        "--keep-actions",
        action="store_true",
        help="keep the true actions in --unlabelled too (to measure labelling error with "
        "dynarep label --existing relabel)",
    )

    label = verbs.add_parser(
        "label",
        help="pseudo-label a store with an inverse dynamics model trained on a labelled store",
        description="Train a non-causal inverse dynamics model (frames t-past..t+future -> a_t) "
        "on --labelled, report its error on held-out labelled episodes, and write --out: the "
        "--unlabelled store with IDM actions, an action_source column and the labeller's "
        "provenance (weights hash). Neither input is modified.",
    )
    label.add_argument("--labelled", required=True, help="store with actions to learn from")
    label.add_argument("--unlabelled", required=True, help="store to label (action-free, or see --existing)")
    label.add_argument("--out", required=True, help="new store to write")
    label.add_argument(
        "--existing",
        default="error",
        choices=("error", "keep", "relabel"),
        help="when --unlabelled has actions: keep them (label only frames without), relabel every "
        "frame (originals kept as action.original, labelling error against them reported), or "
        "refuse (default)",
    )
    add_dataclass_arguments(label, LabellerConfig, "labeller")

    merge = verbs.add_parser(
        "merge",
        help="several stores as one (e.g. labelled + IDM-labelled, for pretraining on the union)",
        description="Write a new store holding every episode of the given stores, in order; "
        "frames must agree (cameras, size, action width); each frame's action_source is kept.",
    )
    merge.add_argument("stores", nargs="+", help="stores to merge")
    merge.add_argument("--out", required=True, help="new store to write")

    offline_rl = verbs.add_parser(
        "offline-rl",
        help="TD3+BC on a store's transitions (true or IDM-labelled actions, stored rewards)",
        description="Train TD3+BC on every transition of STORE (state, action, next.reward, next "
        "state) and write a state policy that dynarep evaluate rolls out.",
    )
    offline_rl.add_argument("store", help="episode store with actions and rewards")
    offline_rl.add_argument("--out", required=True, help="policy folder to write")
    add_dataclass_arguments(offline_rl, TD3BCConfig, "td3+bc")


def dispatch(args: argparse.Namespace) -> None:
    from dynarep.data.store import EpisodeStore

    if args.verb == "split":
        from dynarep.data.split import split_store

        parts = split_store(
            args.store, args.labelled, args.unlabelled, args.fraction, args.pick, args.seed, args.keep_actions
        )
        for part in map(EpisodeStore, parts):
            print(f"{part.root}: {part.num_episodes} episodes, actions {part.action_dim}-d")
    elif args.verb == "label":
        from dynarep.label.label import label

        out = label(
            args.labelled, args.unlabelled, args.out, build_dataclass(LabellerConfig, args), args.existing
        )
        labels = json.loads((out / "meta" / "info.json").read_text())["labels"]
        summary = {k: v for k, v in labels.items() if k in ("validation", "error_vs_replaced_actions")}
        print(f"{out}: labelled; labeller sha256 {labels['labeller']['sha256'][:12]}")
        print(json.dumps(summary, indent=2))
    elif args.verb == "merge":
        from dynarep.data.merge import merge

        store = EpisodeStore(merge(args.stores, args.out))
        print(f"{store.root}: {store.num_episodes} episodes, {len(store.images)} frames")
    elif args.verb == "offline-rl":
        from dynarep.rl.td3_bc import offline_rl

        out = offline_rl(args.store, args.out, build_dataclass(TD3BCConfig, args))
        print(f"policy written to {out} (roll it out with: dynarep evaluate --policy {out})")
