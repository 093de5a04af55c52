"""The encoder seam: a ResNet-18 (torchvision names, local weights only) as φ for every objective."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from dynarep.experiments.benchmark import run
from dynarep.nets.factory import build_encoder, encoder_config_from_dict, encoder_names
from dynarep.nets.resnet import ResNetConfig, ResNetEncoder
from dynarep.objectives import get_objective, objective_names
from dynarep.train.checkpoint import CheckpointError
from dynarep.train.encoder_io import load_encoder
from dynarep.train.finetune import FinetuneConfig, finetune
from dynarep.train.pretrain import PretrainConfig, pretrain
from tests.test_benchmark import TINY


def torchvision_style_weights(seed: int = 1) -> dict[str, torch.Tensor]:
    """A ResNet-18 state dict as R3M saves it: torchvision names under ``module.convnet.``, with
    the ImageNet classifier ``fc`` that φ drops."""
    torch.manual_seed(seed)
    state = {
        k: v
        for k, v in ResNetEncoder(ResNetConfig(image_size=32)).state_dict().items()
        if k not in ("mean_frame", "std")
    }
    state = {f"module.convnet.{k}": v for k, v in state.items()}
    state["module.convnet.fc.weight"] = torch.zeros(1000, 512)
    state["module.convnet.fc.bias"] = torch.zeros(1000)
    return state


def test_resnet18_has_torchvisions_shape_and_names():
    encoder = ResNetEncoder(ResNetConfig(image_size=32))
    assert sum(p.numel() for p in encoder.parameters()) == 11_689_512 - 513_000  # torchvision's, minus fc
    names = set(encoder.state_dict())
    assert {"conv1.weight", "layer2.0.downsample.0.weight", "layer4.1.bn2.running_var"} <= names
    assert encoder(torch.zeros(2, 32, 32, 3, dtype=torch.uint8)).shape == (2, 512)
    assert {"conv", "resnet18"} <= set(encoder_names())


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_local_weights_load_with_any_prefix(tmp_path, suffix):
    state = torchvision_style_weights()
    path = tmp_path / f"r3m{suffix}"
    torch.save(state, path) if suffix == ".pt" else save_file(state, str(path))
    encoder = build_encoder(ResNetConfig(image_size=32, weights=str(path)))
    assert torch.equal(encoder.layer3[1].conv2.weight, state["module.convnet.layer3.1.conv2.weight"])


def test_bad_weights_name_the_file(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"junk.pt: unreadable weights"):
        build_encoder(ResNetConfig(image_size=32, weights=str(tmp_path / "junk.pt")))
    save_file({"conv1.weight": torch.zeros(64, 3, 7, 7)}, str(tmp_path / "half.safetensors"))
    with pytest.raises(CheckpointError, match=r"half.safetensors: not a ResNet-18 state dict \(missing"):
        build_encoder(ResNetConfig(image_size=32, weights=str(tmp_path / "half.safetensors")))
    with pytest.raises(CheckpointError, match="no such file"):
        build_encoder(ResNetConfig(image_size=32, weights=str(tmp_path / "none.pt")))


@pytest.mark.parametrize("objective", objective_names())
def test_every_objective_trains_a_resnet(tiny_store, tmp_path, objective):
    config_class, _ = get_objective(objective)
    options = {"window": 3} if "window" in config_class.__dataclass_fields__ else {}
    encoder_config = ResNetConfig(image_size=32, projection=32)
    config = PretrainConfig(steps=2, batch_size=4, log_every=1)
    pretrain(tiny_store, tmp_path, objective, config_class(**options), config, encoder_config, progress=False)
    encoder = load_encoder(tmp_path)
    assert isinstance(encoder, ResNetEncoder) and encoder(
        torch.zeros(1, 32, 32, 3, dtype=torch.uint8)
    ).shape == (1, 32)


def test_a_resnet_from_weights_finetunes_and_reloads_without_the_file(
    tiny_store, tiny_finetune_store, tmp_path
):
    weights = tmp_path / "imagenet.safetensors"
    save_file(torchvision_style_weights(), str(weights))
    config = ResNetConfig(image_size=32, weights=str(weights))
    pretrain(
        tiny_store,
        tmp_path / "enc",
        "inverse_dynamics",
        None,
        PretrainConfig(steps=0),
        config,
        progress=False,
    )
    weights.unlink()  # the exported encoder carries its own weights
    encoder = load_encoder(tmp_path / "enc")
    assert torch.equal(encoder.conv1.weight, torchvision_style_weights()["module.convnet.conv1.weight"])
    stored = json.loads((tmp_path / "enc" / "encoder.json").read_text())["encoder"]
    assert stored["name"] == "resnet18" and encoder_config_from_dict(stored) == config
    policy = finetune(
        tiny_finetune_store, tmp_path / "policy", "frozen", tmp_path / "enc", FinetuneConfig(demos=1, steps=3)
    )
    assert (policy / "policy.safetensors").exists()


def test_benchmark_adds_frozen_rows_from_local_weights(tmp_path):
    weights = tmp_path / "r3m.pt"
    torch.save(torchvision_style_weights(), weights)
    table = run(
        "pointmass",
        TINY,
        tmp_path / "run",
        progress=False,
        methods=("state",),
        pretrained={"r3m": str(weights)},
    )
    assert "| r3m |" in table and "| State" in table
    assert (tmp_path / "run" / "encoders" / "r3m" / "encoder.safetensors").exists()


def test_a_resnet_exports_with_a_model_card(tiny_store, tmp_path):
    from dynarep.pretrained import export_encoder_package
    from dynarep.pretrained import load_encoder as load_public

    pretrain(
        tiny_store,
        tmp_path / "enc",
        "bc",
        None,
        PretrainConfig(steps=0),
        ResNetConfig(image_size=32),
        progress=False,
    )
    out = export_encoder_package(tmp_path / "enc", tmp_path / "exported")
    card = (out / "README.md").read_text()
    assert "512-d" in card and "resnet18" in card
    assert load_public(out)(torch.zeros(1, 40, 40, 3, dtype=torch.uint8)).shape == (1, 512)
