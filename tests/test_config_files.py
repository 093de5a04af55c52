"""``--config FILE``: the resolved arguments a verb saves (command.json) read back, flags on top;
metrics to TensorBoard and W&B (offline) besides log.jsonl (issue 10, part 4)."""

from __future__ import annotations

import json

import pytest

from dynarep.cli import main

TINY = ["--steps", "4", "--batch-size", "8", "--log-every", "2", "--checkpoint-every", "2"]


def test_a_run_saves_its_resolved_arguments_and_config_reads_them_back(tiny_store, tmp_path, capsys):
    first = tmp_path / "first"
    argv = ["pretrain", "--store", str(tiny_store), "--out", str(first), "--objective", "bc", *TINY]
    assert main([*argv, "--dropout", "0.25"]) == 0
    saved = json.loads((first / "command.json").read_text())
    assert saved["verb"] == "pretrain" and saved["objective"] == "bc"
    assert saved["pretrain"]["steps"] == 4 and saved["objective_config"]["dropout"] == 0.25
    # the file is the defaults; flags given with it override them
    second = tmp_path / "second"
    assert (
        main(["pretrain", "--config", str(first / "command.json"), "--out", str(second), "--steps", "6"]) == 0
    )
    config = json.loads((second / "config.json").read_text())
    assert config["objective"] == "bc"  # from the file; it also chose the objective's options
    assert config["objective_config"]["dropout"] == 0.25
    assert config["pretrain"]["steps"] == 6 and config["pretrain"]["batch_size"] == 8
    assert json.loads((second / "command.json").read_text())["out"] == str(second)


def test_a_config_file_can_hold_only_some_values(tiny_store, tmp_path):
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"store": str(tiny_store), "pretrain": {"steps": 2, "batch_size": 8}}))
    out = tmp_path / "run"
    assert main(["pretrain", "--config", str(partial), "--out", str(out), "--horizon", "3"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["pretrain"]["steps"] == 2 and config["pretrain"]["lr"] == 1e-3  # the rest: defaults
    assert config["objective_config"]["horizon"] == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"verb": "collect", "out": "x"}, "the arguments of `dynarep collect`, not of `dynarep pretrain`"),
        ({"stepz": 3}, "unknown key(s) stepz"),
        ({"pretrain": {"stepz": 3}}, "pretrain: unknown key(s) stepz"),
        ({"pretrain": {"steps": -1}}, "--steps -1: must be at least 0"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_a_bad_config_file_is_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(content))
    assert main(["pretrain", "--config", str(path), "--store", "s", "--out", str(tmp_path / "out")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and message in errors[0], errors
    assert not (tmp_path / "out").exists()


def test_a_missing_or_damaged_config_file_is_named(tmp_path, capsys):
    assert main(["collect", "--config", str(tmp_path / "none.json")]) == 2
    assert "none.json" in capsys.readouterr().err
    damaged = tmp_path / "damaged.json"
    damaged.write_text('{"out": ')
    assert main(["collect", "--config", str(damaged)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "damaged.json" in error


def test_metrics_go_to_tensorboard_and_wandb_when_asked(tiny_store, tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    pytest.importorskip("wandb")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.setenv("WANDB_SILENT", "true")
    out = tmp_path / "run"
    argv = ["pretrain", "--store", str(tiny_store), "--out", str(out), *TINY, "--tensorboard", "--wandb"]
    assert main(argv) == 0
    logged = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    events = EventAccumulator(str(out / "tensorboard"))
    events.Reload()
    assert "pretrain/loss" in events.Tags()["scalars"]
    curve = [(e.step, e.value) for e in events.Scalars("pretrain/loss")]
    assert curve == [(r["step"], pytest.approx(r["pretrain/loss"])) for r in logged]
    runs = list((out / "wandb").glob("offline-run-*"))  # offline by default: nothing is sent
    assert len(runs) == 1 and list(runs[0].glob("*.wandb"))
