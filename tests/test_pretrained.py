"""The encoder in someone else's code: dynarep.load_encoder, export-encoder, the example policy."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import dynarep
from dynarep.cli import main
from dynarep.data.resize import resize_frames
from dynarep.data.store import EpisodeStore
from dynarep.objectives.inverse_dynamics import InverseDynamicsConfig
from dynarep.train.checkpoint import CheckpointError
from dynarep.train.encoder_io import load_encoder as load_conv_encoder
from dynarep.train.pretrain import PretrainConfig, pretrain

EXAMPLE = Path(__file__).parent.parent / "examples" / "own_policy.py"


@pytest.fixture(scope="module")
def encoder_run(tiny_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("runs") / "id"
    config = PretrainConfig(steps=4, batch_size=8, log_every=2)
    pretrain(tiny_store, run, "inverse_dynamics", InverseDynamicsConfig(), config, progress=False)
    (run / "probe.json").write_text(json.dumps({"probe/linear/position/val_mm": 12.5}))
    return run


@pytest.fixture(scope="module")
def frames(tiny_store: Path) -> torch.Tensor:
    return torch.from_numpy(np.array(EpisodeStore(tiny_store).images[:6]))


def test_load_encoder_is_an_eval_module_with_its_preprocessing(encoder_run, frames):
    encoder = dynarep.load_encoder(encoder_run)
    assert isinstance(encoder, torch.nn.Module) and not encoder.training
    raw = load_conv_encoder(encoder_run)
    expected = raw(frames)
    assert torch.equal(encoder(frames), expected)
    # float (B, 3, H, W) in [0, 1] is the same image
    assert torch.allclose(encoder(frames.permute(0, 3, 1, 2).float() / 255), expected, atol=1e-5)
    assert encoder(frames).shape == (6, encoder.embed_dim)
    assert encoder.info["objective"] == "inverse_dynamics"


def test_frames_of_another_size_are_resized_inside(encoder_run, frames):
    encoder = dynarep.load_encoder(encoder_run)
    big = np.repeat(np.repeat(frames.numpy(), 3, axis=1), 2, axis=2)  # 96 x 64, not square
    stored = resize_frames(big, encoder.image_size)  # what an importer keeps
    assert (
        stored.shape == frames.shape and np.abs(stored.astype(int) - frames.numpy()).mean() < 8
    )  # a tent filter blurs a little
    assert torch.allclose(encoder(torch.from_numpy(big)), encoder(torch.from_numpy(stored)), atol=0.02)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (torch.zeros(32, 32, 3, dtype=torch.uint8), "4 dimensions"),
        (torch.zeros(1, 3, 32, 32, dtype=torch.uint8), r"\(B, H, W, 3\)"),
        (torch.zeros(1, 32, 32, 3), r"\(B, 3, H, W\)"),
        (torch.zeros(1, 32, 32, 3, dtype=torch.int64), "uint8"),
    ],
)
def test_wrong_inputs_are_named(encoder_run, images, message):
    with pytest.raises(ValueError, match=message):
        dynarep.load_encoder(encoder_run)(images)


def test_export_encoder_writes_a_self_describing_folder(encoder_run, frames, tmp_path, capsys):
    out = tmp_path / "exported"
    assert main(["export-encoder", str(encoder_run), str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    config = json.loads((out / "config.json").read_text())
    assert config["objective"] == "inverse_dynamics" and config["steps"] == 4
    assert config["store"]["env"]["name"] == "pointmass"
    assert config["training"]["pretrain"]["batch_size"] == 8
    card = (out / "README.md").read_text()
    assert "inverse_dynamics" in card and "| position | 12.5 | — |" in card and "load_encoder" in card
    assert torch.equal(dynarep.load_encoder(out)(frames), dynarep.load_encoder(encoder_run)(frames))
    assert torch.equal(
        dynarep.load_encoder(out / "model.safetensors")(frames), dynarep.load_encoder(out)(frames)
    )
    # the internal loader (finetune --encoder, probe --encoder) reads the exported folder too
    assert torch.equal(load_conv_encoder(out)(frames), load_conv_encoder(encoder_run)(frames))


def test_export_refuses_a_used_folder_and_a_folder_without_an_encoder(encoder_run, tmp_path, capsys):
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    assert main(["export-encoder", str(encoder_run), str(used)]) == 2
    assert "exists and is not an empty folder" in capsys.readouterr().err
    assert [p.name for p in used.iterdir()] == ["keep.txt"]
    empty = tmp_path / "nothing"
    empty.mkdir()
    assert main(["export-encoder", str(empty), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no encoder here" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    with pytest.raises(CheckpointError, match="no encoder here"):
        dynarep.load_encoder(empty)


def test_example_policy_learns_on_the_frozen_encoder(encoder_run, tiny_finetune_store):
    spec = importlib.util.spec_from_file_location("own_policy", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["own_policy"] = module
    spec.loader.exec_module(module)
    frames, actions = module.demonstrations(str(tiny_finetune_store))
    losses, policy = module.train(str(encoder_run), frames, actions, steps=150)
    assert np.mean(losses[-10:]) < 0.1 * np.mean(losses[:10])  # it fits the demonstrations
    fitted = policy(torch.from_numpy(frames))
    assert torch.mean((fitted - torch.from_numpy(actions)) ** 2) < 0.1 * np.var(actions, axis=0).mean()
    assert all(not p.requires_grad for p in policy.encoder.parameters())
