import json

import pytest
import torch

from dynarep.config_checks import ConfigError
from dynarep.nets.encoder import ConvEncoder, EncoderConfig, default_encoder_config
from dynarep.train.checkpoint import CheckpointError
from dynarep.train.encoder_io import export_encoder, load_encoder


def test_encoder_output_shape_and_range():
    encoder = ConvEncoder(default_encoder_config(32))
    out = encoder(torch.randint(0, 255, (5, 32, 32, 3), dtype=torch.uint8))
    assert out.shape == (5, 64)
    assert out.abs().max() <= 1.0


@pytest.mark.parametrize("size", [32, 48, 64, 84])
def test_default_encoders_fit_every_supported_size(size):
    config = default_encoder_config(size)
    assert config.feature_map_size() >= 2
    assert ConvEncoder(config)(torch.zeros(1, size, size, 3, dtype=torch.uint8)).shape == (1, 64)


def test_too_small_image_for_strides_is_a_clear_error():
    with pytest.raises(ConfigError, match="too small for encoder strides"):
        EncoderConfig(image_size=16, strides=(2, 2, 2, 2))


def test_wrong_frame_size_is_a_clear_error():
    encoder = ConvEncoder(default_encoder_config(32))
    with pytest.raises(ValueError, match="expects frames"):
        encoder(torch.zeros(1, 48, 48, 3, dtype=torch.uint8))


def test_export_round_trip_keeps_mean_frame(tmp_path):
    encoder = ConvEncoder(default_encoder_config(32))
    encoder.set_mean_frame(torch.full((4, 32, 32, 3), 10, dtype=torch.uint8))
    export_encoder(tmp_path, encoder, {"objective": "test"})
    loaded = load_encoder(tmp_path / "encoder.safetensors")
    frames = torch.randint(0, 255, (3, 32, 32, 3), dtype=torch.uint8)
    assert torch.allclose(loaded(frames), encoder.eval()(frames))
    assert torch.all(loaded.mean_frame == 10)


def test_loading_weights_of_another_encoder_fails(tmp_path):
    export_encoder(tmp_path, ConvEncoder(default_encoder_config(32)), {})
    config = json.loads((tmp_path / "encoder.json").read_text())
    config["encoder"]["image_size"] = 48
    del config["config_sha256"]  # edited on purpose: drop its checksum, as docs/bad-input.md says
    (tmp_path / "encoder.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="do not fit this network"):
        load_encoder(tmp_path)
