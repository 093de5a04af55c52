import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dynarep.config_checks import ConfigError
from dynarep.data.collect import CollectSpec, _write_chunks, collect, recorded_spec
from dynarep.data.store import EpisodeStore, StoreError
from dynarep.envs import env_config_to_dict, make_environment
from dynarep.files import SELF_CHECKSUM, FileError, seal
from tests.conftest import TINY_ENV


def test_store_layout_and_contents(tiny_store):
    store = EpisodeStore(tiny_store)
    assert store.num_episodes == 6
    assert store.images.shape == (6 * 11, 32, 32, 3)
    assert store.actions.shape == (66, 2) and store.states.shape == (66, 4)
    assert store.has_action.sum() == 60  # the final frame of each episode has no action
    assert np.abs(store.actions).max() <= 1.0
    # one fresh hidden context per pretraining episode, recorded per episode
    assert len({tuple(c) for c in store.contexts}) == 6
    assert store.info["schema_version"] == 1 and store.info["env"]["image_size"] == 32
    assert (tiny_store / "meta" / "episodes.parquet").exists()


def test_finetune_store_shares_one_context(tiny_finetune_store):
    store = EpisodeStore(tiny_finetune_store)
    assert len({tuple(c) for c in store.contexts}) == 1
    assert set(store.episodes["task_index"].to_pylist()) == {1_000_000}


def test_interrupted_collection_resumes_without_duplicates(tmp_path, tiny_store):
    out = tmp_path / "resumed"
    spec = CollectSpec(episodes=6)
    chunks = out / "chunks"
    chunks.mkdir(parents=True)
    (chunks / "spec.json").write_text(
        json.dumps({"env": env_config_to_dict(TINY_ENV), "collection": recorded_spec(spec)}, indent=2)
    )
    _write_chunks(make_environment(TINY_ENV), spec, chunks, [0, 3])  # an interrupted run
    (chunks / "episode_000001.npy").write_bytes(b"partial")  # a half-written chunk without its parquet
    store = collect(out, TINY_ENV, spec, workers=1, progress=False)
    reference = EpisodeStore(tiny_store)
    assert np.array_equal(store.images, reference.images)
    assert np.array_equal(store.actions, reference.actions)
    assert not chunks.exists()
    # a finished store is returned as is
    assert collect(out, TINY_ENV, spec, workers=1, progress=False).num_episodes == 6


def test_correlated_expert_noise_is_recorded_and_changes_only_the_noise(tmp_path):
    def noisy(correlation: float) -> EpisodeStore:
        spec = CollectSpec(episodes=2, expert_noise=1.0, noise_correlation=correlation)
        return collect(tmp_path / f"rho{correlation:g}", TINY_ENV, spec, workers=1, progress=False)

    fresh, lasting = noisy(0.0), noisy(0.9)
    assert "noise_correlation" not in fresh.info["expert"]  # stores made before the option match
    assert lasting.info["expert"]["noise_correlation"] == 0.9
    assert lasting.info["collection"]["noise_correlation"] == 0.9
    assert np.array_equal(fresh.states[0], lasting.states[0])  # same starts
    assert not np.array_equal(fresh.actions, lasting.actions)
    with pytest.raises(ConfigError, match="--noise-correlation 1.0: must be at least 0 and below 1"):
        CollectSpec(episodes=1, noise_correlation=1.0)


def test_collecting_a_different_spec_into_a_finished_store_fails(tiny_store):
    with pytest.raises(StoreError, match="different store"):
        collect(tiny_store, TINY_ENV, CollectSpec(episodes=7), workers=1, progress=False)


def test_missing_store_names_the_path(tmp_path):
    with pytest.raises(StoreError, match="no such episode store"):
        EpisodeStore(tmp_path / "nope")


def forget_checksums(store: Path) -> None:
    info = json.loads((store / "meta/info.json").read_text())
    del info["checksums"]
    del info[SELF_CHECKSUM]  # as a store written before either existed
    (store / "meta/info.json").write_text(json.dumps(info))


def test_wrong_schema_version_is_rejected(tmp_path, tiny_store):
    copy = tmp_path / "old"
    shutil.copytree(tiny_store, copy)
    info = json.loads((copy / "meta/info.json").read_text())
    info["schema_version"] = 99
    (copy / "meta/info.json").write_text(json.dumps(seal(info)))  # as a later dynarep would write it
    with pytest.raises(StoreError, match="info.json: schema_version 99"):
        EpisodeStore(copy)


def test_nan_actions_are_rejected(tmp_path, tiny_store):
    copy = tmp_path / "nan"
    shutil.copytree(tiny_store, copy)
    table = pq.read_table(copy / "data/frames.parquet")
    actions = table["action"].to_pylist()
    actions[2] = [float("nan"), 0.0]
    table = table.set_column(table.column_names.index("action"), "action", pa.array(actions))
    pq.write_table(table, copy / "data/frames.parquet")
    with pytest.raises(FileError, match="frames.parquet: damaged"):  # its recorded SHA-256 differs
        EpisodeStore(copy)
    forget_checksums(copy)  # as a store written by hand, or by dynarep before checksums
    with pytest.raises(StoreError, match="'action' has NaN"):
        EpisodeStore(copy)


def test_zero_episodes_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="--episodes 0: must be at least 1"):  # refused as the spec is built
        collect(tmp_path / "empty", TINY_ENV, CollectSpec(episodes=0), workers=1, progress=False)
    assert not (tmp_path / "empty").exists()


def test_missing_column_is_named(tmp_path, tiny_store):
    copy = tmp_path / "nocol"
    shutil.copytree(tiny_store, copy)
    table = pq.read_table(copy / "data/frames.parquet").drop_columns(["has_action"])
    pq.write_table(table, copy / "data/frames.parquet")
    forget_checksums(copy)
    with pytest.raises(StoreError, match="frames.parquet: missing column.*has_action"):
        EpisodeStore(copy)


def test_worker_processes_write_the_same_store_as_one_process(tmp_path, tiny_store):
    spec = CollectSpec(episodes=6)
    store = collect(tmp_path / "par", TINY_ENV, spec, workers=2, batch=2, progress=False)
    reference = EpisodeStore(tiny_store)
    assert np.array_equal(store.images, reference.images)
    assert store.episodes.equals(reference.episodes)


def _expert_succeeds_unless(monkeypatch: pytest.MonkeyPatch, hopeless: set[int]) -> None:
    """A point-mass expert that succeeds (at its last step) in every configuration but those in
    ``hopeless``: the tiny 10-step episodes are too short for the real one to reach its goal."""
    from dynarep.envs.pointmass import PointMass

    record = PointMass.record_episodes

    def decided(self, task_ids, seeds, noise):
        episodes = record(self, task_ids, seeds, noise)
        for episode in episodes:
            episode.successes[:] = False
            episode.successes[-1] = episode.task_index not in hopeless
        return episodes

    monkeypatch.setattr(PointMass, "record_episodes", decided)


def test_success_only_corpus_replaces_a_configuration_the_expert_cannot_solve(tmp_path, monkeypatch):
    spec = CollectSpec(episodes=3, first_task=10, success_only=True, max_retries=2)
    _expert_succeeds_unless(monkeypatch, set())
    plain = collect(tmp_path / "plain", TINY_ENV, spec, workers=1, progress=False)
    _expert_succeeds_unless(monkeypatch, {11})
    store = collect(tmp_path / "s", TINY_ENV, spec, workers=1, progress=False)
    tasks = store.episodes["task_index"].to_pylist()
    assert plain.episodes["task_index"].to_pylist() == [10, 11, 12]
    assert tasks == [10, 11 + 1_000_000_000, 12]  # the first new configuration
    frames = pq.read_table(store.root / "data" / "frames.parquet")
    assert set(frames["task_index"].to_numpy()[store.episode_index == 1]) == {tasks[1]}
    assert store.info["replaced_configurations"]["episodes"] == {"1": {"planned": 11, "used": tasks[1]}}
    assert "replaced_configurations" not in plain.info  # stores without a replacement are unchanged
    for episode in (0, 2):
        assert np.array_equal(
            store.images[store.episode_index == episode], plain.images[plain.episode_index == episode]
        )
    assert not np.array_equal(store.contexts[1], plain.contexts[1])


def test_success_only_finetuning_set_still_refuses_a_hopeless_configuration(tmp_path, monkeypatch):
    _expert_succeeds_unless(monkeypatch, {5})
    spec = CollectSpec(episodes=2, first_task=5, episodes_per_task=2, success_only=True, max_retries=1)
    with pytest.raises(StoreError, match=r"failed task 5 \(episode 0\) from 2 starts;"):
        collect(tmp_path / "s", TINY_ENV, spec, workers=1, progress=False)
