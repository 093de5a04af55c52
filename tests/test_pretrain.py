import json
from dataclasses import dataclass

import pytest
import torch
from safetensors.torch import load_file

from dynarep.objectives import Batch, Objective, Window, register_objective
from dynarep.train.encoder_io import load_encoder
from dynarep.train.pretrain import PretrainConfig, TrainingDiverged, pretrain

TINY = PretrainConfig(steps=20, batch_size=16, checkpoint_every=10, log_every=5)


def test_pretrain_exports_an_encoder_and_logs(tiny_store, tmp_path):
    path = pretrain(tiny_store, tmp_path / "id", "inverse_dynamics", config=TINY, progress=False)
    encoder = load_encoder(path)
    assert encoder(torch.zeros(2, 32, 32, 3, dtype=torch.uint8)).shape == (2, 64)
    lines = [json.loads(x) for x in (tmp_path / "id" / "log.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [5, 10, 15, 20]
    assert all("pretrain/loss" in x for x in lines)
    assert json.loads((tmp_path / "id" / "config.json").read_text())["objective"] == "inverse_dynamics"


def test_resume_from_a_checkpoint_is_exact(tiny_store, tmp_path):
    full = load_file(
        str(pretrain(tiny_store, tmp_path / "full", "inverse_dynamics", config=TINY, progress=False))
    )
    run = tmp_path / "interrupted"
    _stop_after(tiny_store, run, TINY, stop_step=10)
    resumed = load_file(str(pretrain(tiny_store, run, "inverse_dynamics", config=TINY, progress=False)))
    for key in full:
        assert torch.allclose(full[key], resumed[key], atol=1e-6), key


def _stop_after(store, out, config, stop_step, objective_config=None):
    """Run pretraining and kill it (by an exception from the sampler) right after ``stop_step``."""
    from dynarep.data import windows

    original = windows.WindowSampler.sample
    calls = {"n": 0}

    def sample(self, batch_size):
        calls["n"] += 1
        if calls["n"] > stop_step:
            raise KeyboardInterrupt
        return original(self, batch_size)

    windows.WindowSampler.sample = sample
    try:
        with pytest.raises(KeyboardInterrupt):
            pretrain(store, out, "inverse_dynamics", objective_config, config=config, progress=False)
    finally:
        windows.WindowSampler.sample = original
    assert json.loads((out / "checkpoint.json").read_text())["step"] == stop_step


@dataclass
class ExplodingConfig:
    """Options of a test objective whose loss turns NaN."""

    nan_after: int = 3
    """Calls before the loss is NaN."""


@register_objective("test_exploding", ExplodingConfig)
class Exploding(Objective):
    def __init__(self, config, encoder, action_dim):
        super().__init__(config, encoder, action_dim)
        self.needs = Window(frames=(0,), actions=(0,))
        self.calls = 0

    def forward(self, batch: Batch):
        self.calls += 1
        loss = self.encoder(batch.frames[0]).pow(2).mean()
        if self.calls > self.config.nan_after:
            loss = loss * float("nan")
        return loss, {"loss": loss.item()}


def test_nan_loss_stops_training_and_keeps_the_last_checkpoint(tiny_store, tmp_path):
    config = PretrainConfig(steps=10, batch_size=4, checkpoint_every=2)
    with pytest.raises(TrainingDiverged, match="loss is nan at step 3"):
        pretrain(tiny_store, tmp_path, "test_exploding", config=config, progress=False)
    assert json.loads((tmp_path / "checkpoint.json").read_text())["step"] == 2
    assert not (tmp_path / "encoder.json").exists()


def test_zero_steps_exports_the_random_initial_encoder(tiny_store, tmp_path):
    path = pretrain(tiny_store, tmp_path, "inverse_dynamics", config=PretrainConfig(steps=0), progress=False)
    assert load_encoder(path).mean_frame.std() > 0  # normalisation still fitted to the data


@pytest.mark.parametrize(
    "objective", ["bc", "dynamo", "fd_contrastive", "fd_pixels", "inverse_dynamics", "simclr"]
)
def test_every_objective_pretrains_through_the_loop(objective, tiny_store, tmp_path):
    from dynarep.objectives import get_objective

    config_class, _ = get_objective(objective)
    config = config_class(window=3, width=32, layers=1) if objective == "dynamo" else config_class()
    path = pretrain(
        tiny_store, tmp_path, objective, config, PretrainConfig(steps=3, batch_size=8), progress=False
    )
    assert load_encoder(path)(torch.zeros(1, 32, 32, 3, dtype=torch.uint8)).shape == (1, 64)


def test_a_run_folder_refuses_another_configuration(tiny_store, tmp_path):
    pretrain(tiny_store, tmp_path, "bc", config=PretrainConfig(steps=2, batch_size=4), progress=False)
    with pytest.raises(ValueError, match=r"another configuration \(pretrain.steps\)"):
        pretrain(tiny_store, tmp_path, "bc", config=PretrainConfig(steps=3, batch_size=4), progress=False)


def test_options_added_since_a_run_was_made_count_as_their_defaults():
    from dynarep.train.pretrain import config_differences

    old = {"objective_config": {"horizon": 1}, "pretrain": {"steps": 5}}
    new = {"objective_config": {"horizon": 1, "shared_encoder": True}, "pretrain": {"steps": 5}}
    assert config_differences(old, new) == []
    assert config_differences(old, {**new, "pretrain": {"steps": 6}}) == ["pretrain.steps"]


def test_a_run_of_an_older_revision_of_the_loss_is_not_taken_for_a_finished_run(tiny_store, tmp_path):
    """fd_pixels changed its default loss (revision 2): a folder from before must not be reused."""
    import json

    from dynarep.objectives import get_objective

    config_class, _ = get_objective("fd_pixels")
    run = lambda: pretrain(  # noqa: E731
        tiny_store,
        tmp_path,
        "fd_pixels",
        config_class(),
        PretrainConfig(steps=1, batch_size=4),
        progress=False,
    )
    run()
    assert run() == tmp_path / "encoder.safetensors"  # same revision: finished, reused
    stored = json.loads((tmp_path / "config.json").read_text())
    del stored["objective_revision"]  # as written before revisions were recorded
    (tmp_path / "config.json").write_text(json.dumps(stored))
    with pytest.raises(ValueError, match=r"another configuration \(objective_revision\)"):
        run()


def test_a_store_too_large_for_memory_is_memory_mapped_with_the_same_result(
    tiny_store, tmp_path, monkeypatch
):
    from dynarep.data.store import frames_fit_in_memory
    from dynarep.train import pretrain as pretrain_module

    assert frames_fit_in_memory(tiny_store) and not frames_fit_in_memory(tiny_store, share=1e-12)
    loaded = load_file(
        str(pretrain(tiny_store, tmp_path / "ram", "inverse_dynamics", config=TINY, progress=False))
    )
    opened = []
    original = pretrain_module.EpisodeStore

    def spy(root, in_memory=False, verify=False):
        opened.append(in_memory)
        return original(root, in_memory, verify)

    monkeypatch.setattr(pretrain_module, "frames_fit_in_memory", lambda root: False)
    monkeypatch.setattr(pretrain_module, "EpisodeStore", spy)
    mapped = load_file(
        str(pretrain(tiny_store, tmp_path / "map", "inverse_dynamics", config=TINY, progress=False))
    )
    assert opened == [False]
    assert all(torch.equal(loaded[k], mapped[k]) for k in loaded)
