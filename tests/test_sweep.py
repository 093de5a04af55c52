"""dynarep sweep: cells from a grid, shared data and encoders, failures isolated, resumable."""

import json
from dataclasses import replace

import pytest

from dynarep.cli import main
from dynarep.experiments import benchmark
from dynarep.experiments.presets import Preset
from dynarep.experiments.sweep import DATA_FIELDS, ENCODER_FIELDS, SweepSpec, key_of, load_spec, sweep

TINY_SET = {
    "pretrain_episodes": 4,
    "pretrain_steps": {"inverse_dynamics": 3},
    "pretrain_batch": 8,
    "seeds": 2,
    "demos": [1],
    "finetune_steps": 5,
    "eval_episodes": 3,
    "probe_episodes": 3,
    "probe_mlp_steps": 5,
    "workers": 1,
}


def write_spec(path, **spec):
    path.write_text(json.dumps({"suite": "pointmass", "preset": "quick", "set": TINY_SET, **spec}))
    return path


def test_cells_share_data_and_encoders_and_each_encoder_is_pretrained_once(tmp_path, monkeypatch):
    spec = write_spec(
        tmp_path / "spec.json", methods=["inverse_dynamics", "state"], grid={"finetune_steps": [3, 5]}
    )
    trained = []
    original = benchmark.pretrain

    def counting(store, out, *args, **kwargs):
        if not (out / "encoder.json").exists():
            trained.append(out.name)
        return original(store, out, *args, **kwargs)

    monkeypatch.setattr(benchmark, "pretrain", counting)
    table = sweep(spec, tmp_path / "out")
    assert sorted(trained) == ["inverse_dynamics"]  # once, for both cells
    assert len(list((tmp_path / "out" / "data").iterdir())) == 1
    assert len(list((tmp_path / "out" / "encoders").iterdir())) == 1
    rows = [line for line in table.splitlines() if line.startswith("| 3 ") or line.startswith("| 5 ")]
    assert len(rows) == 4  # 2 cells x 2 methods x 1 demo count
    for cell in ("finetune_steps=3", "finetune_steps=5"):
        folder = tmp_path / "out" / "cells" / cell
        assert json.loads((folder / "status.json").read_text())["state"] == "done"
        policy = json.loads(
            (folder / "policies" / "inverse_dynamics_seed0_demos1" / "policy.json").read_text()
        )
        assert policy["finetune"]["steps"] == int(cell.split("=")[1])
    # a numeric axis gets its plot: success vs the axis, one line per method and demo count
    plot = tmp_path / "out" / "sweep_finetune_steps.png"
    assert plot.stat().st_size > 1000
    assert (
        "![success vs finetune_steps](sweep_finetune_steps.png)"
        in (tmp_path / "out" / "sweep.md").read_text()
    )
    # dynarep report SWEEP writes the summary again, also as one HTML page with the plot inlined
    (tmp_path / "out" / "sweep.md").unlink()
    assert main(["report", str(tmp_path / "out")]) == 0
    assert "ID (inverse dynamics)" in (tmp_path / "out" / "sweep.md").read_text()
    page = (tmp_path / "out" / "sweep.html").read_text()
    assert "data:image/png;base64," in page and "finetune_steps" in page and "spec.json" in page


@pytest.mark.parametrize(
    "change", [{"pretrain_lr": 2e-3}, {"encoder_options": {"channels": [8, 8]}}, {"horizon": 2}]
)
def test_cells_that_pretrain_differently_do_not_share_encoders_but_share_data(change):
    spec, preset = SweepSpec(suite="pointmass"), Preset()
    other = replace(preset, **change)
    assert key_of(spec, other, DATA_FIELDS) == key_of(spec, preset, DATA_FIELDS)
    assert key_of(spec, other, ENCODER_FIELDS) != key_of(spec, preset, ENCODER_FIELDS)


def test_a_failed_cell_is_reported_and_the_others_finish_and_resume(tmp_path):
    # a horizon longer than the 100-step episodes: no window fits, pretraining that cell fails
    spec = write_spec(tmp_path / "spec.json", methods=["inverse_dynamics"], grid={"horizon": [1, 500]})
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 0
    failed = json.loads((tmp_path / "out" / "cells" / "horizon=500" / "status.json").read_text())
    assert failed["state"] == "failed" and "no window" in failed["error"]
    assert "no window" in open(failed["log"]).read()  # the traceback is in the cell's log
    report = (tmp_path / "out" / "sweep.md").read_text()
    assert "1 cell(s) failed" in report and "horizon=500" in report and failed["log"] in report
    done = tmp_path / "out" / "cells" / "horizon=1" / "results.jsonl"
    before = done.stat().st_mtime_ns
    sweep(spec, tmp_path / "out")  # again: the finished cell is skipped
    assert done.stat().st_mtime_ns == before


def test_the_submitit_launcher_runs_cells_with_its_local_executor(tmp_path):
    spec = write_spec(
        tmp_path / "spec.json",
        methods=["state"],
        grid={"seeds": [1]},
        launcher="submitit",
        launcher_options={"cluster": "local", "timeout_min": 10, "cpus_per_task": 1},
    )
    table = sweep(spec, tmp_path / "out")
    assert "State oracle" in table and "failed" not in table
    assert list((tmp_path / "out" / "submitit").iterdir())  # submitit's own job folders and logs


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"grid": {"horizon": [1]}, "oops": 1}, "unknown key"),
        ({"grid": {"horizn": [1]}}, "horizn is not a preset field"),
        ({"grid": {"horizon": []}}, "grid.horizon: give a non-empty list"),
        ({"grid": {"horizon": [1]}, "launcher": "lsf"}, "unknown launcher 'lsf'"),
        ({"grid": {"horizon": [1]}, "launcher_options": {"workers": 3}}, "unknown option"),
    ],
)
def test_bad_specs_are_refused_before_anything_runs(tmp_path, spec, message):
    path = write_spec(tmp_path / "spec.json", **spec)
    with pytest.raises((ValueError, KeyError), match=message):
        load_spec(path)
    with pytest.raises((ValueError, KeyError), match=message):
        sweep(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_shipped_specs_load(tmp_path):
    from pathlib import Path

    specs = sorted((Path(__file__).parents[1] / "benchmarks" / "sweeps").glob("*.json"))
    assert {p.stem for p in specs} >= {"nstep", "finetune_head", "image_size"}
    for path in specs:
        assert load_spec(path).grid
