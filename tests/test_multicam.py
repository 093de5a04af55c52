"""Several cameras: one shared encoder (or one per camera), embeddings concatenated, every objective."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import dynarep
from dynarep.data.store import EpisodeStore, StoreError
from dynarep.evaluate.offline import OfflineConfig, evaluate_offline
from dynarep.formats import import_data
from dynarep.formats.lerobot_import import LeRobotImportConfig
from dynarep.objectives import get_objective, objective_names
from dynarep.train.encoder_io import load_encoder
from dynarep.train.finetune import FinetuneConfig, finetune
from dynarep.train.pretrain import PretrainConfig, pretrain
from tests.test_lerobot import make_dataset

CAMERAS = ("front", "wrist")


@pytest.fixture(scope="module")
def two_camera_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("multicam")
    return import_data(
        "lerobot",
        make_dataset(root / "lerobot", one_task=True),
        root / "store",
        LeRobotImportConfig(image_size=32),
    )


@pytest.mark.parametrize("objective", objective_names())
def test_every_objective_trains_on_two_cameras(two_camera_store, tmp_path, objective):
    config_class, _ = get_objective(objective)
    options = {"window": 3} if "window" in config_class.__dataclass_fields__ else {}
    config = PretrainConfig(steps=2, batch_size=4, log_every=1, cameras=CAMERAS)
    pretrain(two_camera_store, tmp_path, objective, config_class(**options), config, progress=False)
    encoder = load_encoder(tmp_path)
    assert encoder.config.camera_names == ("observation.images.front", "observation.images.wrist")
    assert encoder(torch.zeros(2, 32, 32, 6, dtype=torch.uint8)).shape == (2, 128)  # 64 per camera


def test_shared_and_separate_encoders_and_each_cameras_mean_frame(two_camera_store, tmp_path):
    shared = PretrainConfig(steps=1, batch_size=4, cameras=CAMERAS)
    pretrain(two_camera_store, tmp_path / "shared", "inverse_dynamics", None, shared, progress=False)
    separate = PretrainConfig(steps=1, batch_size=4, cameras=CAMERAS, separate_cameras=True)
    pretrain(two_camera_store, tmp_path / "separate", "inverse_dynamics", None, separate, progress=False)
    one, two = load_encoder(tmp_path / "shared"), load_encoder(tmp_path / "separate")
    count = lambda m: sum(p.numel() for n, p in m.named_parameters())  # noqa: E731
    assert len(one.encoders) == 1 and len(two.encoders) == 2 and count(two) == 2 * count(one)
    store = EpisodeStore(two_camera_store)
    front = np.asarray(store.cameras["observation.images.front"]).mean(0)
    wrist = np.asarray(store.cameras["observation.images.wrist"]).mean(0)
    expected = np.concatenate([front, wrist], axis=-1).transpose(2, 0, 1)
    assert np.allclose(one.mean_frame.numpy(), expected, atol=1e-3)  # each camera centred on its own mean


def test_a_two_camera_encoder_finetunes_evaluates_offline_and_loads(two_camera_store, tmp_path):
    config = PretrainConfig(steps=2, batch_size=4, cameras=CAMERAS)
    pretrain(two_camera_store, tmp_path / "enc", "bc", None, config, progress=False)
    policy = finetune(
        two_camera_store, tmp_path / "policy", "frozen", tmp_path / "enc", FinetuneConfig(demos=1, steps=3)
    )
    assert (policy / "policy.safetensors").exists()
    results = evaluate_offline(
        two_camera_store, [str(tmp_path / "enc")], OfflineConfig(demos=1, seeds=1, steps=3), False
    )
    assert len(results[str(tmp_path / "enc")]["r2_per_dim"]) == 3
    encoder = dynarep.load_encoder(tmp_path / "enc")
    frames = torch.from_numpy(EpisodeStore(two_camera_store).use_cameras(CAMERAS).images[:3])
    assert torch.equal(encoder(frames), load_encoder(tmp_path / "enc")(frames))
    with pytest.raises(ValueError, match=r"uint8 images must be \(B, H, W, 6\)"):
        encoder(torch.zeros(1, 32, 32, 3, dtype=torch.uint8))


def test_an_unknown_camera_is_named(two_camera_store, tmp_path):
    config = PretrainConfig(steps=1, cameras=("top",))
    with pytest.raises(StoreError, match=r"no camera 'top' \(cameras: observation.images.front, observation"):
        pretrain(two_camera_store, tmp_path / "x", "inverse_dynamics", None, config, progress=False)
    assert not (tmp_path / "x").exists()
