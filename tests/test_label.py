"""dynarep label: a non-causal IDM trained on a labelled store labels another, with provenance."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from dynarep.cli import main
from dynarep.data.store import EpisodeStore
from dynarep.label.idm import LabellerConfig
from dynarep.label.label import label

FAST = LabellerConfig(steps=30, batch_size=16, validation=0.34)


def test_relabel_writes_a_new_store_with_idm_actions_and_provenance(
    tiny_store, tiny_finetune_store, tmp_path
):
    before = {p: p.read_bytes() for p in tiny_finetune_store.rglob("*") if p.is_file()}
    out = label(
        tiny_store, tiny_finetune_store, tmp_path / "labelled", FAST, existing="relabel", progress=False
    )
    assert {p: p.read_bytes() for p in tiny_finetune_store.rglob("*") if p.is_file()} == before  # untouched
    store, original = EpisodeStore(out), EpisodeStore(tiny_finetune_store)
    assert np.array_equal(store.images, original.images) and store.num_episodes == original.num_episodes
    frames = pq.read_table(out / "data" / "frames.parquet")
    assert set(frames["action_source"].to_pylist()) == {"idm"}
    assert frames["action.original"].equals(
        pq.read_table(tiny_finetune_store / "data/frames.parquet")["action"]
    )
    assert not np.array_equal(store.actions, original.actions) and np.abs(store.actions).max() <= 1
    labels = json.loads((out / "meta" / "info.json").read_text())["labels"]
    weights = (out / labels["labeller"]["path"]).read_bytes()
    assert labels["labeller"]["sha256"] == hashlib.sha256(weights).hexdigest()
    assert labels["validation"]["episodes"] == 2 and len(labels["validation"]["r2_per_dim"]) == 2
    assert set(labels["error_vs_replaced_actions"]) == {"mse", "r2", "r2_per_dim"}


def test_keep_labels_only_frames_without_an_action(tiny_store, tiny_finetune_store, tmp_path):
    out = label(tiny_store, tiny_finetune_store, tmp_path / "kept", FAST, existing="keep", progress=False)
    store, original = EpisodeStore(out), EpisodeStore(tiny_finetune_store)
    sources = np.array(pq.read_table(out / "data" / "frames.parquet")["action_source"].to_pylist())
    assert np.array_equal(sources == "expert", original.has_action)
    assert np.array_equal(store.actions[original.has_action], original.actions[original.has_action])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], r"already has actions; pass --existing keep .* or --existing relabel"),
        (
            ["--existing", "relabel", "--past", "6", "--future", "6"],
            r"a window of 13 frames is longer than the shortest",
        ),
        (
            ["--existing", "relabel", "--past", "0", "--future", "0"],
            r"--past/--future: the window needs at least one",
        ),
        (
            ["--existing", "relabel", "--inputs", "state", "--shift", "2"],
            r"--shift: only the frame labeller shifts frames",
        ),
        (
            ["--existing", "relabel", "--fusion", "early", "--segment", "4"],
            r"--segment: only the late-fusion frame labeller",
        ),
        (["--existing", "relabel", "--segment", "40"], r"--segment 40: .* has no run of 40 labelled steps"),
        (["--existing", "relabel", "--validation", "0.95"], r"--validation 0.95: leaves no labelled episode"),
    ],
)
def test_bad_requests_are_one_line_errors_and_write_nothing(
    tiny_store, tiny_finetune_store, tmp_path, capsys, extra, message
):
    args = [
        "label",
        "--labelled",
        str(tiny_store),
        "--unlabelled",
        str(tiny_finetune_store),
        "--out",
        str(tmp_path / "o"),
    ]
    assert main([*args, "--steps", "2", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and __import__("re").search(message, err), err
    assert list(tmp_path.iterdir()) == []


def test_stores_from_other_environments_or_sizes_are_refused(tiny_store, tmp_path):
    from dynarep.formats.numpy_arrays import write_store

    frames = np.zeros((5, 32, 32, 3), np.uint8)
    video = write_store(tmp_path / "video", [{"frames": frames}], image_size=32, progress=False)
    with pytest.raises(
        ValueError, match=r"comes from environment 'pointmass', --unlabelled .* from 'imported'"
    ):
        label(tiny_store, video, tmp_path / "o", FAST, progress=False)
    from dynarep.data.collect import CollectSpec, collect
    from dynarep.envs.pointmass import PointMassConfig

    big = collect(
        tmp_path / "big",
        PointMassConfig(image_size=48, episode_steps=10),
        CollectSpec(episodes=1),
        1,
        progress=False,
    )
    with pytest.raises(ValueError, match=r"holds 32 px frames, --unlabelled .* 48 px"):
        label(tiny_store, big.root, tmp_path / "o", FAST, existing="relabel", progress=False)
    assert not (tmp_path / "o").exists()


def test_merge_labelled_and_pseudo_labelled_stores(tiny_store, tiny_finetune_store, tmp_path, capsys):
    labelled = label(
        tiny_store, tiny_finetune_store, tmp_path / "idm", FAST, existing="relabel", progress=False
    )
    assert main(["merge", str(tiny_store), str(labelled), "--out", str(tmp_path / "union")]) == 0
    union, first, second = (EpisodeStore(p) for p in (tmp_path / "union", tiny_store, labelled))
    assert union.num_episodes == first.num_episodes + second.num_episodes
    assert np.array_equal(union.images, np.concatenate([first.images, second.images]))
    assert np.array_equal(union.actions, np.concatenate([first.actions, second.actions]))
    assert np.array_equal(union.contexts, np.concatenate([first.contexts, second.contexts]))
    sources = pq.read_table(tmp_path / "union" / "data" / "frames.parquet")["action_source"].to_pylist()
    assert sources == ["expert"] * len(first.images) + ["idm"] * len(second.images)
    assert union.info["env"] == first.info["env"] and len(union.info["sources"]) == 2


def test_merge_refuses_stores_that_disagree(tiny_store, tmp_path):
    from dynarep.data.collect import CollectSpec, collect
    from dynarep.data.merge import merge
    from dynarep.envs.pointmass import PointMassConfig

    big = collect(
        tmp_path / "big",
        PointMassConfig(image_size=48, episode_steps=10),
        CollectSpec(episodes=1),
        1,
        progress=False,
    )
    with pytest.raises(ValueError, match=r"at 48 px, but .* at 32 px"):
        merge([tiny_store, big.root], tmp_path / "union", progress=False)
    assert not (tmp_path / "union").exists()


def test_shift_trains_a_different_labeller_and_is_recorded(tiny_store, tiny_finetune_store, tmp_path):
    from dataclasses import replace

    plain = label(tiny_store, tiny_finetune_store, tmp_path / "a", FAST, existing="relabel", progress=False)
    shifted = label(
        tiny_store,
        tiny_finetune_store,
        tmp_path / "b",
        replace(FAST, shift=2),
        existing="relabel",
        progress=False,
    )
    assert not np.array_equal(EpisodeStore(plain).actions, EpisodeStore(shifted).actions)
    labels = json.loads((shifted / "meta" / "info.json").read_text())["labels"]
    assert labels["labeller"]["config"]["shift"] == 2


def test_runs_hold_exactly_the_windows_of_their_steps(tiny_store):
    from dynarep.label.idm import run_anchors, run_rows, window_rows

    store = EpisodeStore(tiny_store)
    rows = np.flatnonzero(store.has_action)
    anchors = run_anchors(store, rows, 4)
    # every run stays inside one episode's labelled steps, and every such start is offered
    ends = anchors + 3
    assert np.array_equal(store.episode_index[anchors], store.episode_index[ends])
    assert store.has_action[ends].all() and len(anchors) == store.num_episodes * (store.lengths[0] - 3)
    offsets = (-2, -1, 0, 1, 2)
    runs = run_rows(store, anchors, offsets, 4)
    for j in range(4):  # the window of step anchor + j is the run's slice j .. j + 4, clamping included
        assert np.array_equal(runs[:, j : j + 5], window_rows(store, anchors + j, offsets))


def test_segment_trains_on_runs_and_labels_every_frame(tiny_store, tiny_finetune_store, tmp_path):
    from dataclasses import replace

    config = replace(FAST, past=2, future=2, segment=4, shift=1)
    out = label(
        tiny_store, tiny_finetune_store, tmp_path / "runs", config, existing="relabel", progress=False
    )
    store = EpisodeStore(out)
    assert store.actions.shape == EpisodeStore(tiny_finetune_store).actions.shape
    assert np.isfinite(store.actions).all() and np.abs(store.actions).max() <= 1
