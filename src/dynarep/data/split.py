"""``dynarep split STORE --fraction F``: a labelled part and an action-free part of one store.

The semi-supervised setting (protocol §5.3) starts from a few trajectories with actions and many
without. ``split`` makes that setting from any store with actions, so that labelling and learning
from pseudo-labels can be measured against the truth: a fraction of the episodes keep their
actions (``LABELLED``), the rest lose them (``UNLABELLED``, an action-free store like an imported
video folder; ``--keep-actions`` keeps them, so that ``dynarep label --existing relabel`` can
report its error against the true actions). Which episodes keep actions: drawn at random, or, as
the SSORL paper does, at random among the lowest-return half (``--pick lowest-return``, which
needs a store with rewards). Rewards, states, contexts and seeds are kept in both parts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from dynarep.data.store import EpisodeStore, StoreError
from dynarep.data.store_writer import StoreWriter, check_new_store

PICKS = ("random", "lowest-return")


def choose_labelled(store: EpisodeStore, fraction: float, pick: str, seed: int) -> np.ndarray:
    """Sorted indices of the episodes that keep their actions (at least one)."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"--fraction {fraction}: give a share of episodes in (0, 1]")
    if pick not in PICKS:
        raise ValueError(f"--pick {pick!r}: choose one of {', '.join(PICKS)}")
    count = max(1, int(round(fraction * store.num_episodes)))
    rng = np.random.default_rng(seed)
    if pick == "random":
        return np.sort(rng.choice(store.num_episodes, size=count, replace=False))
    if store.rewards is None:
        raise StoreError(f"--pick lowest-return: {store.root} records no rewards (next.reward)")
    returns = np.array([store.rewards[store.episode_rows(e)][:-1].sum() for e in range(store.num_episodes)])
    lowest = np.argsort(returns, kind="stable")[: max(count, store.num_episodes // 2)]
    return np.sort(rng.choice(lowest, size=count, replace=False))


def split_store(
    store_path: str | Path,
    labelled_out: str | Path,
    unlabelled_out: str | Path,
    fraction: float,
    pick: str = "random",
    seed: int = 0,
    keep_actions: bool = False,
    progress: bool = True,
) -> tuple[Path, Path]:
    """Write the two parts; returns (labelled, unlabelled). ``fraction`` 1 leaves the unlabelled
    part empty, so it is refused: there is nothing to label."""
    labelled_out, unlabelled_out = Path(labelled_out), Path(unlabelled_out)
    for out in (labelled_out, unlabelled_out):
        check_new_store(out)
    store = EpisodeStore(store_path)
    if not store.has_actions:
        raise StoreError(f"{store.root}: has no actions to keep; split needs a store with actions")
    labelled = choose_labelled(store, fraction, pick, seed)
    rest = np.setdiff1d(np.arange(store.num_episodes), labelled)
    if len(rest) == 0:
        raise ValueError(
            f"--fraction {fraction}: every one of the {store.num_episodes} episodes would keep its "
            "actions, leaving nothing to label"
        )
    provenance = {"source": str(store.root.resolve()), "fraction": fraction, "pick": pick, "seed": seed}
    _write_part(store, labelled, labelled_out, True, {**provenance, "part": "labelled"}, progress)
    _write_part(store, rest, unlabelled_out, keep_actions, {**provenance, "part": "unlabelled"}, progress)
    return labelled_out, unlabelled_out


def _write_part(
    store: EpisodeStore,
    episodes: np.ndarray,
    out: Path,
    with_actions: bool,
    provenance: dict,
    progress: bool,
) -> None:
    total = int(sum(store.lengths[e] + 1 for e in episodes))
    with StoreWriter(out, store.image_keys, store.image_size, total) as writer:
        for e in tqdm(episodes, desc=f"split into {out.name}", unit="episode", disable=not progress):
            writer.copy_episode(store, int(e), with_actions)
        kept = {k: v for k, v in store.info.items() if k in ("env", "env_version", "expert", "fps", "reward")}
        writer.finish(
            {
                **kept,
                "collection": {"split": {**provenance, "episodes": [int(e) for e in episodes]}},
                "state_names": store.info.get("state_names", []),
                "context_names": store.info.get("context_names", []),
            }
        )
