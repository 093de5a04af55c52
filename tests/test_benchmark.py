import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dynarep.experiments.benchmark import run
from dynarep.experiments.presets import POINTMASS_PRESETS as PRESETS
from dynarep.experiments.presets import Preset

TINY = Preset(
    pretrain_episodes=4,
    pretrain_steps={"inverse_dynamics": 3, "bc": 3},
    pretrain_batch=8,
    seeds=2,
    demos=(1, 2),
    finetune_steps=5,
    scratch_steps=2,
    scratch_batch=8,
    eval_episodes=3,
    probe_episodes=3,
    probe_mlp_steps=5,
)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The TINY preset run once for this module: its folder and printed table."""
    out = tmp_path_factory.mktemp("benchmark")
    return out, run("pointmass", TINY, out, progress=False)


def test_benchmark_runs_every_method_and_resumes(tiny_run):
    tmp_path, table = tiny_run
    records = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(records) == len(TINY.methods) * TINY.seeds * len(TINY.demos) * TINY.eval_episodes
    for label in ("ID", "BC", "Scratch", "Random", "State"):
        assert label in table
    rows = {line.split("|")[1].strip(): line.split("|") for line in table.splitlines()[2:]}
    probe_cells = [cells[-3].strip() for cells in rows.values()]
    assert probe_cells.count("—") == 2  # scratch and state have no frozen encoder to probe
    published = {label.split()[0]: cells[-2].strip() for label, cells in rows.items()}
    assert published["Random"] == "—" and published["ID"] != "—"  # the paper has no random encoder
    assert (tmp_path / "encoders" / "inverse_dynamics" / "probe.json").exists()
    assert (tmp_path / "success.png").stat().st_size > 1000
    report = (tmp_path / "report.md").read_text()
    assert "success vs demos" in report
    id_row = next(line for line in report.splitlines() if line.startswith("| ID") and "(0.72)" in line)
    assert id_row.count("|") == len(TINY.demos) + 2  # one "ours (published)" cell per demo count
    # paired comparisons: ID against each other method at each demo count, differences consistent
    success = {}
    for r in records:
        success.setdefault((r["method"], r["demos"], r["finetune_seed"]), []).append(r["success"])
    section = report.split("| P(improvement) |", 1)[1]
    paired = [line for line in section.splitlines() if line.startswith("| BC (multitask")]
    assert len(paired) == len(TINY.demos)
    demos = int(paired[0].split("|")[2])
    expected = (
        sum(
            sum(success[("inverse_dynamics", demos, i)]) / TINY.eval_episodes
            - sum(success[("bc", demos, i)]) / TINY.eval_episodes
            for i in range(TINY.seeds)
        )
        / TINY.seeds
    )
    assert float(paired[0].split("|")[3].split("±")[0]) == pytest.approx(expected, abs=0.006)
    # the first method's best and worst seeds, replayed as GIFs and inlined in the HTML page
    videos = json.loads((tmp_path / "videos" / "videos.json").read_text())
    assert [v["which"] for v in videos] == ["best", "worst"]
    assert all(Image.open(tmp_path / v["file"]).n_frames > 1 for v in videos)
    assert "Rollouts (the best finetuning seed" in report
    assert "data:image/gif;base64," in (tmp_path / "report.html").read_text()
    # two seeds, two hidden goals
    assert len({r["task_id"] for r in records}) == 2
    # a second run finds everything done and redoes nothing
    marker = tmp_path / "results" / "bc_seed0_demos1.jsonl"
    before = marker.stat().st_mtime_ns
    assert run("pointmass", TINY, tmp_path, progress=False) == table
    assert marker.stat().st_mtime_ns == before


def test_resuming_under_another_preset_is_refused_but_rows_may_change(tiny_run, tmp_path):
    """A finished job is never redone, so a changed option would silently not reach it: refused,
    naming the field, before anything is written; adding or dropping rows stays allowed."""
    from dataclasses import replace

    tmp_path = Path(shutil.copytree(tiny_run[0], tmp_path / "run"))  # the module's run stays as it is
    recorded = (tmp_path / "preset.json").read_bytes()
    with pytest.raises(ValueError, match=r"\(finetune_steps, finetune_options differ"):
        run(
            "pointmass",
            replace(TINY, finetune_steps=6, finetune_options={"dropout": 0.3}),
            tmp_path,
            progress=False,
        )
    assert (tmp_path / "preset.json").read_bytes() == recorded
    table = run("pointmass", replace(TINY, methods=("state",), workers=1), tmp_path, progress=False)
    assert "State" in table and "ID" not in table


def test_a_replayed_rollout_is_the_episode_the_table_scored(tiny_run):
    from dynarep.evaluate.video import rollout_frames

    tmp_path, _ = tiny_run
    records = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text().splitlines()]
    for scored in [r for r in records if r["method"] in ("inverse_dynamics", "state") and r["episode"] == 1][
        :2
    ]:
        frames, replay = rollout_frames(scored["policy"], scored["seed"], episode=1)
        assert replay["episode_seed"] == scored["episode_seed"]
        assert (replay["success"], replay["steps"], replay["return"]) == (
            scored["success"],
            scored["steps"],
            pytest.approx(scored["return"]),
        )
        assert frames.shape[1:] == (TINY.image_size, TINY.image_size, 3) and len(frames) >= 1


def test_pretraining_seeds_give_each_finetuning_seed_its_own_encoder(tmp_path):
    from dataclasses import replace

    from safetensors.numpy import load_file

    preset = replace(
        TINY, methods=("inverse_dynamics", "bc", "random"), demos=(1,), seeds=3, pretrain_seeds=2
    )
    run("pointmass", preset, tmp_path, progress=False)
    encoders = sorted(p.name for p in (tmp_path / "encoders").iterdir())
    assert encoders == [f"{m}{s}" for m in ("bc", "inverse_dynamics", "random") for s in ("", "-pretrain1")]
    first, second = (
        load_file(tmp_path / "encoders" / name / "encoder.safetensors")
        for name in ("inverse_dynamics", "inverse_dynamics-pretrain1")
    )
    assert any(not np.array_equal(first[k], second[k]) for k in first)  # different seeds, different φ
    jobs = {
        json.loads(line)["finetune_seed"]: json.loads(line)
        for line in (tmp_path / "results" / "bc_seed2_demos1.jsonl").read_text().splitlines()
    }
    assert jobs[2]["pretrain_seed"] == 0  # finetuning seed i uses encoder i mod 2
    policy = json.loads((tmp_path / "policies" / "bc_seed1_demos1" / "policy.json").read_text())
    assert "bc-pretrain1" in json.dumps(policy)
    report = (tmp_path / "report.md").read_text()
    assert "| pretraining seed 0 | pretraining seed 1 |" in report
    # the table's probe figure is the mean over the two encoders' probes
    key = "probe/mlp/position/val_mm"
    values = [
        json.loads((tmp_path / "encoders" / n / "probe.json").read_text())[key]
        for n in ("bc", "bc-pretrain1")
    ]
    bc_row = next(
        line for line in (tmp_path / "table.md").read_text().splitlines() if line.startswith("| BC")
    )
    assert bc_row.split("|")[-3].strip().endswith(f"/ {np.mean(values):.1f}")


def test_encoder_options_change_the_pretrained_architecture(tmp_path):
    from dataclasses import replace

    from dynarep.config_checks import ConfigError

    options = {"channels": [8, 8, 8, 8], "keypoints": 4}
    run("pointmass", replace(TINY, methods=("random",), encoder_options=options), tmp_path, progress=False)
    encoder = json.loads((tmp_path / "encoders" / "random" / "config.json").read_text())["encoder"]
    assert encoder["channels"] == [8, 8, 8, 8] and encoder["keypoints"] == 4
    assert encoder["strides"] == [2, 1, 1, 1]  # the rest stays the frame size's default
    with pytest.raises(ConfigError, match=r"encoder_options: unknown \['chanels'\]; choose from"):
        run("pointmass", replace(TINY, encoder_options={"chanels": [8]}), tmp_path / "bad", progress=False)
    assert not (tmp_path / "bad").exists()  # refused before anything is written


def test_presets_cover_quick_cpu_and_paper():
    assert set(PRESETS) == {"quick", "cpu", "paper"}
    assert (
        PRESETS["paper"].image_size == 84 and PRESETS["paper"].pretrain_steps["inverse_dynamics"] == 100_000
    )


def test_methods_override_and_unknown_methods(tmp_path):
    import pytest

    table = run("pointmass", TINY, tmp_path, progress=False, methods=("state", "fd_contrastive"), horizon=2)
    assert "FD-i" in table and "State" in table and "ID (" not in table
    config = json.loads((tmp_path / "encoders" / "fd_contrastive" / "config.json").read_text())
    assert config["objective_config"]["horizon"] == 2
    with pytest.raises(KeyError, match="unknown objective"):
        run("pointmass", TINY, tmp_path / "x", progress=False, methods=("nope",))


def test_suite_with_one_episode_per_configuration_evaluates_in_new_contexts(tmp_path):
    """Door/split-style suites: finetuning demos from distinct contexts, rollouts in new ones."""
    from dataclasses import replace

    from dynarep.data.store import EpisodeStore
    from dynarep.experiments.suites import SUITES

    suite = replace(SUITES["pointmass"], one_configuration=False)
    preset = replace(TINY, methods=("state",), demos=(2,), seeds=2)
    run(suite, preset, tmp_path, progress=False)
    stores = [EpisodeStore(tmp_path / "data" / f"finetune_seed{i}") for i in range(2)]
    tasks = [store.episodes["task_index"].to_pylist() for store in stores]
    assert tasks == [[1_000_000, 1_000_001], [1_001_000, 1_001_001]]  # a context per demo, seeds apart
    records = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert {r["task_id"] for r in records} == {None}  # every rollout drew its own context


def test_report_html_is_self_contained_and_rebuilt_by_the_report_verb(tiny_run, tmp_path):
    from dynarep.cli import main

    folder = tmp_path / "run"
    shutil.copytree(tiny_run[0], folder)
    page = (folder / "report.html").read_text()
    assert "<table>" in page and "ID (inverse dynamics)" in page and "P(improvement)" in page
    assert 'src="data:image/png;base64,' in page and 'src="success.png"' not in page  # one file
    assert "preset.json" in page and "encoders/inverse_dynamics/config.json" in page and '"torch"' in page
    (folder / "report.html").unlink()
    (folder / "table.md").unlink()
    assert main(["report", str(folder)]) == 0  # suite and wall time from run.json
    assert (folder / "table.md").read_text() == (tiny_run[0] / "table.md").read_text()
    rebuilt = (folder / "report.html").read_text().split("<img")[0]  # the tables (the plot is redrawn)
    assert rebuilt == page.replace(str(tiny_run[0]), str(folder)).split("<img")[0]
    (folder / "run.json").unlink()
    assert main(["report", str(folder)]) == 2  # a run made before run.json: the suite must be given
    assert main(["report", str(folder), "--suite", "pointmass"]) == 0


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (setup.sh installs it)"
)
def test_report_html_renders_in_headless_chromium(tiny_run, tmp_path):
    page = tiny_run[0] / "report.html"
    browser = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    shot = tmp_path / "report.png"
    subprocess.run(
        [*browser, "--window-size=1200,1600", f"--screenshot={shot}", page.as_uri()],
        timeout=120,
        check=True,
        capture_output=True,
    )
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert pixels.shape == (1600, 1200) and pixels.std() > 10  # drawn, not a blank page
    assert (pixels < 128).mean() > 0.01  # text and table lines
    dom = subprocess.run(
        [*browser, "--dump-dom", page.as_uri()], timeout=120, check=True, capture_output=True, text=True
    ).stdout
    for text in ("Benchmark report", "ID (inverse dynamics)", "P(improvement)", "Configurations"):
        assert text in dom
    assert "<img" in dom
