"""Offline evaluation: held-out action error of a few-shot head, per encoder, without a simulator."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dynarep.cli import main
from dynarep.data.store import StoreError
from dynarep.evaluate.offline import OfflineConfig, action_errors, evaluate_offline
from dynarep.formats.numpy_arrays import write_store
from dynarep.train.pretrain import PretrainConfig, pretrain


def test_action_errors_scores_perfect_and_mean_predictions():
    true = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 5.0]])
    perfect = action_errors(true, true)
    assert perfect["mse"] == 0 and perfect["r2_per_dim"] == [1.0, 1.0]
    mean = action_errors(true, np.tile(true.mean(0), (3, 1)))
    assert np.allclose(mean["r2_per_dim"], [0.0, 0.0])


@pytest.fixture(scope="module")
def square_store(tmp_path_factory: pytest.TempPathFactory):
    """8 episodes of one task: a square wandering on a 32 px frame; the action is a linear function
    of its position (the state), so a head on the state can learn it exactly."""
    rng = np.random.default_rng(0)
    episodes = []
    for _ in range(8):
        positions = rng.uniform(0, 1, size=(12, 2))
        frames = np.zeros((12, 32, 32, 3), np.uint8)
        for t, (x, y) in enumerate(positions):
            col, row = int(x * 24), int(y * 24)
            frames[t, row : row + 8, col : col + 8] = 255
        episodes.append({"frames": frames, "states": positions, "actions": 0.8 * positions - 0.4})
    return write_store(
        tmp_path_factory.mktemp("offline") / "squares", episodes, image_size=32, progress=False
    )


def test_state_head_beats_an_untrained_encoder(tiny_store, square_store, tmp_path):
    random = pretrain(
        tiny_store, tmp_path / "random", "inverse_dynamics", None, PretrainConfig(steps=0), progress=False
    )
    config = OfflineConfig(demos=3, seeds=2, steps=400, batch_size=64)
    results = evaluate_offline(square_store, [str(random.parent), "state"], config, progress=False)
    state, frozen = results["state"], results[str(random.parent)]
    assert len(state["per_seed"]) == 2 and len(state["r2_per_dim"]) == 2 and state["task"] == 0
    assert state["r2"] > 0.9  # the action is a function of the state
    assert frozen["r2"] < state["r2"] - 0.2 and frozen["mse"] > 2 * state["mse"]


def test_cli_prints_a_table_and_writes_json(tiny_finetune_store, tmp_path, capsys):
    out = tmp_path / "offline.json"
    args = ["--store", str(tiny_finetune_store), "--encoders", "state", "--demos", "3", "--seeds", "1"]
    assert main(["evaluate-offline", *args, "--steps", "20", "--json", str(out)]) == 0
    assert "| state |" in capsys.readouterr().out
    assert json.loads(out.read_text())["state"]["config"]["demos"] == 3


def test_too_few_episodes_of_the_task_is_a_clear_error(tiny_finetune_store):
    with pytest.raises(StoreError, match=r"task 1000000 has 4 episode\(s\); --demos 4 needs at least 5"):
        evaluate_offline(tiny_finetune_store, ["state"], OfflineConfig(demos=4), progress=False)
