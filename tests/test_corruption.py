"""Property: a damaged store or checkpoint reads back as the original or raises FileError, never else.

Hypothesis picks a file, a position and a kind of damage (one byte changed, the file cut short,
bytes appended); the reader must either return exactly the data that was written or raise the
library's own ``FileError`` (``StoreError`` and ``CheckpointError`` are kinds of it). Frames are read
with ``verify=True``: without it, a changed pixel is only caught by ``dynarep check``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynarep.data.store import EpisodeStore
from dynarep.files import FileError
from dynarep.train.finetune import FinetuneConfig, finetune
from dynarep.train.policy import load_policy

STORE_FILES = (
    "data/frames.parquet",
    "meta/episodes.parquet",
    "images/observation.images.top.npy",
    "meta/info.json",
)
POLICY_FILES = ("policy.safetensors", "policy.json")
DAMAGE = st.tuples(
    st.sampled_from(("flip", "truncate", "append")), st.floats(0, 1, exclude_max=True), st.integers(1, 255)
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def damage(path: Path, kind: str, where: float, value: int) -> None:
    data = bytearray(path.read_bytes())
    at = int(where * len(data))
    if kind == "flip":
        data[at] ^= value
    elif kind == "truncate":
        del data[at:]
    else:
        data += bytes([value]) * (1 + at % 64)
    path.write_bytes(bytes(data))


def store_contents(store: EpisodeStore) -> dict[str, np.ndarray]:
    return {
        "images": np.asarray(store.images),
        "actions": store.actions,
        "states": store.states,
        "rewards": store.rewards,
        "episode_index": store.episode_index,
        "has_action": store.has_action,
        "success": store.success,
        "contexts": store.contexts,
        "lengths": store.lengths,
        "starts": store.frame_starts,
        "info": store.info,
    }


@pytest.fixture(scope="module")
def policy_folder(tiny_finetune_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("policy") / "state"
    return finetune(tiny_finetune_store, out, "state", None, FinetuneConfig(demos=2, steps=3), progress=False)


@SETTINGS
@given(name=st.sampled_from(STORE_FILES), how=DAMAGE)
def test_a_damaged_store_reads_back_intact_or_raises_file_error(tiny_store, name, how):
    original = store_contents(EpisodeStore(tiny_store))
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store"
        shutil.copytree(tiny_store, copy)
        damage(copy / name, *how)
        try:
            contents = store_contents(EpisodeStore(copy, verify=True))
        except FileError:
            return
        for key, value in original.items():
            if key == "info":  # every value the store describes itself with, not only the arrays
                assert contents[key] == value
            else:
                np.testing.assert_array_equal(contents[key], value, err_msg=key)


@SETTINGS
@given(name=st.sampled_from(POLICY_FILES), how=DAMAGE)
def test_a_damaged_checkpoint_loads_intact_or_raises_file_error(policy_folder, name, how):
    original = load_policy(policy_folder)[0].state_dict()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "policy"
        shutil.copytree(policy_folder, copy)
        damage(copy / name, *how)
        try:
            policy, _ = load_policy(copy)
        except FileError:
            return
        for key, value in original.items():
            torch.testing.assert_close(policy.state_dict()[key], value, rtol=0, atol=0, msg=key)


def test_check_names_a_changed_frame_that_an_ordinary_open_does_not_hash(tiny_store, tmp_path, capsys):
    from dynarep.cli import main

    copy = tmp_path / "store"
    shutil.copytree(tiny_store, copy)
    assert main(["check", str(copy)]) == 0
    assert "3 files match their SHA-256" in capsys.readouterr().out
    images = copy / "images" / "observation.images.top.npy"
    damage(images, "flip", 0.9, 1)  # one pixel value, deep in the frame data
    EpisodeStore(copy)  # memory-mapped frames are not hashed on an ordinary open
    assert main(["check", str(copy)]) == 2
    assert f"{images}: damaged" in capsys.readouterr().err


def test_a_changed_value_in_a_weights_config_is_refused_as_damage(policy_folder, tmp_path):
    # found by the property above: one flipped byte turned "state" into "staue", still valid JSON
    copy = tmp_path / "policy"
    shutil.copytree(policy_folder, copy)
    config = copy / "policy.json"
    config.write_text(config.read_text().replace('"state"', '"staue"', 1))
    with pytest.raises(FileError, match="policy.json: damaged"):
        load_policy(copy)


def test_a_changed_value_in_a_store_description_is_refused_as_damage(tiny_store, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(tiny_store, copy)
    info = copy / "meta" / "info.json"
    assert "config_sha256" not in EpisodeStore(copy).info  # the seal is checked, then dropped
    text = info.read_text()
    info.write_text(text.replace('"num_episodes": ', '"num_episodes": 1', 1))  # 6 -> 16: valid JSON
    with pytest.raises(FileError, match="info.json: damaged"):
        EpisodeStore(copy)


def test_a_damaged_checksum_key_is_refused_not_read_as_an_unsealed_file(tiny_store, tmp_path):
    # found by the property above: one flipped byte turned "config_sha256" into "confhg_sha256", and
    # the file read as one written before sealing existed, unchecked
    copy = tmp_path / "store"
    shutil.copytree(tiny_store, copy)
    info = copy / "meta" / "info.json"
    info.write_text(info.read_text().replace('"config_sha256"', '"confhg_sha256"', 1))
    with pytest.raises(FileError, match="info.json: damaged"):
        EpisodeStore(copy)


def test_a_changed_step_in_a_pretraining_checkpoint_is_refused_as_damage(tiny_store, tmp_path):
    from dynarep.train.checkpoint import CheckpointError
    from dynarep.train.pretrain import PretrainConfig, pretrain

    out = tmp_path / "run"
    config = PretrainConfig(steps=4, checkpoint_every=2, batch_size=8)
    pretrain(tiny_store, out, "inverse_dynamics", None, config, progress=False)
    (out / "encoder.json").unlink()  # as if killed after the checkpoint: the next run resumes it
    meta = out / "checkpoint.json"
    meta.write_text(meta.read_text().replace('"step": 4', '"step": 2', 1))
    with pytest.raises(CheckpointError, match="checkpoint.json: damaged"):
        pretrain(tiny_store, out, "inverse_dynamics", None, config, progress=False)
