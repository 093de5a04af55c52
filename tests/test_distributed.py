"""Data-parallel pretraining: two CPU processes (gloo) under `accelerate launch` and `torchrun`."""

import json
import socket
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from dynarep.objectives.inverse_dynamics import InverseDynamicsConfig
from dynarep.train import pretrain as pretrain_module
from dynarep.train.distributed import Processes
from dynarep.train.pretrain import PretrainConfig, pretrain
from tests.test_pretrain import _stop_after

# no dropout: its masks are drawn per process, so with it two processes follow another (equally
# valid) random path; without it, two processes must reproduce one up to float summation order
NO_DROPOUT = InverseDynamicsConfig(dropout=0.0)
CONFIG = PretrainConfig(steps=20, batch_size=16, log_every=5, checkpoint_every=10)
FLAGS = [
    "--steps",
    "20",
    "--batch-size",
    "16",
    "--log-every",
    "5",
    "--checkpoint-every",
    "10",
    "--dropout",
    "0",
]
TOLERANCE = 1e-4  # relative, on losses; absolute, on weights


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def launch(launcher: list[str], store, out) -> None:
    command = [sys.executable, "-m", *launcher, "-m", "dynarep", "pretrain", "--store", str(store)]
    done = subprocess.run([*command, "--out", str(out), *FLAGS], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("encoder written") == 1  # printed by the main process only


def losses(run) -> list[tuple[int, float]]:
    return [
        (r["step"], r["pretrain/loss"]) for r in map(json.loads, (run / "log.jsonl").read_text().splitlines())
    ]


def test_two_processes_follow_the_loss_curve_of_one(tiny_store, tmp_path):
    one = pretrain(tiny_store, tmp_path / "one", "inverse_dynamics", NO_DROPOUT, CONFIG, progress=False)
    accelerate = ["accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1"]
    launch(
        [
            *accelerate,
            "--mixed_precision",
            "no",
            "--dynamo_backend",
            "no",
            "--main_process_port",
            free_port(),
        ],
        tiny_store,
        tmp_path / "two",
    )
    single, double = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert [s for s, _ in double] == [5, 10, 15, 20]  # one log, written once
    for (_, a), (_, b) in zip(single, double, strict=True):
        assert b == pytest.approx(a, rel=TOLERANCE)
    weights_one, weights_two = load_file(str(one)), load_file(str(tmp_path / "two" / "encoder.safetensors"))
    for key in weights_one:
        assert torch.allclose(weights_one[key], weights_two[key], atol=TOLERANCE), key


def test_a_run_resumes_under_another_number_of_processes(tiny_store, tmp_path):
    full = load_file(
        str(pretrain(tiny_store, tmp_path / "full", "inverse_dynamics", NO_DROPOUT, CONFIG, progress=False))
    )
    run = tmp_path / "resumed"
    _stop_after(tiny_store, run, CONFIG, stop_step=10, objective_config=NO_DROPOUT)  # one process, to step 10
    launch(["torch.distributed.run", "--nproc_per_node", "2", "--master_port", free_port()], tiny_store, run)
    resumed = load_file(str(run / "encoder.safetensors"))
    assert [s for s, _ in losses(run)] == [5, 10, 15, 20]
    for key in full:
        assert torch.allclose(full[key], resumed[key], atol=TOLERANCE), key


def test_a_batch_that_does_not_split_over_the_processes_is_refused(tiny_store, tmp_path, monkeypatch):
    class TwoProcesses(Processes):
        count = 2

    monkeypatch.setattr(pretrain_module.Processes, "start", staticmethod(lambda device: TwoProcesses("cpu")))
    with pytest.raises(ValueError, match="--batch-size 15: must split evenly over the 2 processes"):
        pretrain(tiny_store, tmp_path / "x", "inverse_dynamics", NO_DROPOUT, PretrainConfig(batch_size=15))
    assert not (tmp_path / "x").exists()
