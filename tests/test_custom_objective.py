import importlib.util
import sys
from pathlib import Path

from dynarep.objectives import objective_names
from dynarep.train.encoder_io import load_encoder
from dynarep.train.pretrain import PretrainConfig, pretrain

EXAMPLE = Path(__file__).parent.parent / "examples" / "custom_objective.py"


def test_a_user_objective_registers_and_trains(tiny_store, tmp_path):
    spec = importlib.util.spec_from_file_location("custom_objective", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["custom_objective"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    assert "my_objective" in objective_names()
    path = pretrain(
        tiny_store,
        tmp_path,
        "my_objective",
        module.MyConfig(horizon=2),
        PretrainConfig(steps=4, batch_size=8, log_every=2),
        progress=False,
    )
    assert load_encoder(path).config.embed_dim == 64
    assert (tmp_path / "log.jsonl").read_text().count("pretrain/loss") == 2
