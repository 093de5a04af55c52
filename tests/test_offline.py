"""Offline evaluation: held-out action error of a few-shot head, per encoder, without a simulator."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from dynarep.cli import main
from dynarep.data.store import StoreError
from dynarep.evaluate.offline import OfflineConfig, action_errors, evaluate_offline, mean_ranks, ranks
from dynarep.formats.numpy_arrays import write_store
from dynarep.train.pretrain import PretrainConfig, pretrain


def test_action_errors_scores_perfect_and_mean_predictions():
    true = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 5.0]])
    perfect = action_errors(true, true)
    assert perfect["mse"] == 0 and perfect["r2_per_dim"] == [1.0, 1.0]
    mean = action_errors(true, np.tile(true.mean(0), (3, 1)))
    assert np.allclose(mean["r2_per_dim"], [0.0, 0.0])


def test_mean_ranks_count_every_task_once_however_large_its_errors():
    assert ranks([0.3, 0.1, 0.3, 0.2]).tolist() == [3.5, 1.0, 3.5, 2.0]  # ties share their mean rank
    # "b" is best on two of three tasks; one hard task where "b" errs most decides the mean error
    errors = {"a": [0.20, 0.20, 0.30], "b": [0.10, 0.15, 0.90], "c": [0.30, 0.25, 0.40]}
    assert mean_ranks(errors) == pytest.approx({"a": 5 / 3, "b": 5 / 3, "c": 8 / 3})
    assert np.mean(errors["b"]) > np.mean(errors["c"])  # while by mean error "b" would be last


@pytest.fixture(scope="module")
def square_store(tmp_path_factory: pytest.TempPathFactory):
    """8 episodes of task 0 and 5 of task 1: a square wandering on a 32 px frame; the action is a
    linear function of its position (the state), so a head on the state can learn it exactly."""
    rng = np.random.default_rng(0)
    episodes = []
    for i in range(13):
        positions = rng.uniform(0, 1, size=(12, 2))
        frames = np.zeros((12, 32, 32, 3), np.uint8)
        for t, (x, y) in enumerate(positions):
            col, row = int(x * 24), int(y * 24)
            frames[t, row : row + 8, col : col + 8] = 255
        actions = 0.8 * positions - 0.4
        episodes.append({"frames": frames, "states": positions, "actions": actions, "task": int(i >= 8)})
    return write_store(
        tmp_path_factory.mktemp("offline") / "squares", episodes, image_size=32, progress=False
    )


def test_state_head_beats_an_untrained_encoder(tiny_store, square_store, tmp_path):
    random = pretrain(
        tiny_store, tmp_path / "random", "inverse_dynamics", None, PretrainConfig(steps=0), progress=False
    )
    config = OfflineConfig(demos=3, seeds=2, steps=400, batch_size=64, max_tasks=1)
    results = evaluate_offline(square_store, [str(random.parent), "state"], config, progress=False)
    state, frozen = results["state"], results[str(random.parent)]
    assert state["tasks"] == [0] and len(state["per_task"][0]["per_seed"]) == 2  # the task with most episodes
    assert len(state["r2_per_dim"]) == 2 and state["r2"] > 0.9  # the action is a function of the state
    assert frozen["r2"] < state["r2"] - 0.2 and frozen["mse"] > 2 * state["mse"]
    assert state["mean_rank"] == 1 and frozen["mean_rank"] == 2


def test_several_tasks_are_evaluated_and_ranked_per_task(square_store, tmp_path):
    config = OfflineConfig(demos=3, seeds=1, steps=50, batch_size=64)
    results = evaluate_offline(square_store, ["state"], config, progress=False)["state"]
    assert results["tasks"] == [0, 1] and [t["task"] for t in results["per_task"]] == [0, 1]
    assert results["mse"] == pytest.approx(np.mean([t["mse"] for t in results["per_task"]]))
    only = evaluate_offline(square_store, ["state"], replace(config, tasks=(1,)), progress=False)
    assert only["state"]["per_task"][0]["mse"] == pytest.approx(results["per_task"][1]["mse"])
    with pytest.raises(
        StoreError, match=r"no task 7 \(--tasks\); tasks with the most episodes: 0 \(8\), 1 \(5\)"
    ):
        evaluate_offline(square_store, ["state"], OfflineConfig(demos=3, tasks=(7,)), progress=False)


def test_cli_prints_a_table_and_writes_json(tiny_finetune_store, tmp_path, capsys):
    out = tmp_path / "offline.json"
    args = ["--store", str(tiny_finetune_store), "--encoders", "state", "--demos", "3", "--seeds", "1"]
    assert main(["evaluate-offline", *args, "--steps", "20", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| state | " in printed and "| 1.00 |" in printed and "Over 1 task(s)" in printed
    assert json.loads(out.read_text())["state"]["config"]["demos"] == 3


def test_too_few_episodes_of_the_task_is_a_clear_error(tiny_finetune_store):
    with pytest.raises(StoreError, match=r"task 1000000 has 4 episode\(s\); --demos 4 needs at least 5"):
        evaluate_offline(tiny_finetune_store, ["state"], OfflineConfig(demos=4), progress=False)
