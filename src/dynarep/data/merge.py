"""``dynarep merge STORE... --out STORE``: several stores as one (for pretraining on a union).

The stores must agree on what a frame is: the same cameras at the same size and the same action
width (or all be action-free). Episodes keep their hidden contexts, task indices and seeds, in
the order given; each frame's ``action_source`` says where its action came from (``expert`` for
recorded actions, ``idm`` for labels from ``dynarep label``). Frames are copied episode by episode
into a new store; the inputs are never modified.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from dynarep.data.store import EpisodeStore, StoreError
from dynarep.data.store_writer import StoreWriter, check_new_store
from dynarep.files import read_parquet


def merge(stores: list[str | Path], out: str | Path, progress: bool = True) -> Path:
    """Write ``out`` holding every episode of ``stores``; returns ``out``."""
    out = Path(out)
    check_new_store(out)
    if len(stores) < 2:
        raise StoreError("merge: give at least two stores")
    opened = [EpisodeStore(path) for path in stores]
    first = opened[0]
    for store in opened[1:]:
        if store.image_keys != first.image_keys or store.image_size != first.image_size:
            raise StoreError(
                f"{store.root}: cameras {store.image_keys} at {store.image_size} px, but {first.root} has "
                f"{first.image_keys} at {first.image_size} px"
            )
        if store.action_dim != first.action_dim:
            raise StoreError(f"{store.root}: {store.action_dim}-d actions, {first.root} {first.action_dim}-d")
        if store.contexts.shape[1] != first.contexts.shape[1]:
            raise StoreError(
                f"{store.root}: {store.contexts.shape[1]}-d contexts, "
                f"{first.root} {first.contexts.shape[1]}-d"
            )
        if store.states.shape[1] != first.states.shape[1]:
            raise StoreError(
                f"{store.root}: {store.states.shape[1]}-d states, {first.root} {first.states.shape[1]}-d"
            )
    total = sum(len(store.images) for store in opened)
    with_rewards = all(store.rewards is not None for store in opened)  # else none: one schema
    with StoreWriter(out, first.image_keys, first.image_size, total) as writer:
        bar = tqdm(total=total, desc=f"merge into {out.name}", unit="frame", disable=not progress)
        for store in opened:
            sources = _action_sources(store)
            for e in range(store.num_episodes):
                bar.update(writer.copy_episode(store, e, action_source=sources, with_rewards=with_rewards))
        bar.close()
        same_env = all(s.info.get("env") == first.info.get("env") for s in opened)
        writer.finish(
            {
                "env": first.info.get("env") if same_env else {"name": "merged"},
                "collection": {"merge": [str(Path(p).resolve()) for p in stores]},
                "sources": [
                    {k: s.info.get(k) for k in ("env", "collection", "num_episodes", "labels") if k in s.info}
                    for s in opened
                ],
                "fps": first.info.get("fps", 10),
                "state_names": first.info.get("state_names", []),
                "context_names": first.info.get("context_names", []),
            }
        )
    return out


def _action_sources(store: EpisodeStore) -> np.ndarray:
    """Per frame: the store's own ``action_source`` column, else ``expert`` (or none, action-free)."""
    relative = "data/frames.parquet"
    table = read_parquet(store.root / relative, store.checksums.get(relative))
    if "action_source" in table.column_names:
        return np.asarray(table["action_source"].to_pylist())
    return np.full(len(store.images), "expert" if store.has_actions else "none")
