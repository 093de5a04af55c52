"""Out-of-range flags: one line naming the flag, exit code 2, nothing written (issue 11, part 1)."""

from __future__ import annotations

import pytest

from dynarep.cli import main
from dynarep.config_checks import ConfigError, Range, check_ranges
from dynarep.train.pretrain import PretrainConfig

CASES = [
    (["pretrain", "--store", "{store}", "--out", "{out}", "--steps", "-1"], "--steps -1: must be at least 0"),
    (
        ["pretrain", "--store", "{store}", "--out", "{out}", "--batch-size", "0"],
        "--batch-size 0: must be at least 1",
    ),
    (
        ["pretrain", "--store", "{store}", "--out", "{out}", "--batch-size", "-4"],
        "--batch-size -4: must be at least 1",
    ),
    (
        ["pretrain", "--store", "{store}", "--out", "{out}", "--checkpoint-every", "0"],
        "--checkpoint-every 0: must be",
    ),
    (["pretrain", "--store", "{store}", "--out", "{out}", "--lr", "0"], "--lr 0.0: must be above 0"),
    (
        ["finetune", "--store", "{store}", "--out", "{out}", "--policy-type", "state", "--dropout", "1.5"],
        "--dropout 1.5",
    ),
    (
        ["finetune", "--store", "{store}", "--out", "{out}", "--policy-type", "state", "--demos", "0"],
        "--demos 0",
    ),
    (["collect", "--out", "{out}", "--episodes", "0"], "--episodes 0: must be at least 1"),
    (
        ["evaluate-offline", "--store", "{store}", "--encoders", "state", "--seeds", "0"],
        "--seeds 0: must be at least 1",
    ),
    (
        ["label", "--labelled", "{store}", "--unlabelled", "{store}", "--out", "{out}", "--validation", "1"],
        "--validation 1",
    ),
    (
        ["import", "numpy", "{store}", "--out", "{out}", "--image-size", "4"],
        "--image-size 4: must be at least 8",
    ),
    (
        ["export", "lerobot", "{store}", "--out", "{out}", "--crf", "99"],
        "--crf 99: must be at least 0 and at most 63",
    ),
]


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(c[0][:1] + c[0][-2:]) for c in CASES])
def test_out_of_range_flags_are_refused_before_anything_is_written(
    tiny_store, tmp_path, capsys, args, message
):
    out = tmp_path / "out"
    argv = [a.format(store=tiny_store, out=out) for a in args]
    assert main(argv) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and message in errors[0], errors
    assert not out.exists()


def test_ranges_describe_themselves_and_check_tuples():
    assert Range(0, 1, open_high=True).describe() == "at least 0 and below 1"
    assert Range(0, open_low=True).contains(1e-9) and not Range(0, open_low=True).contains(0)
    with pytest.raises(ConfigError, match="--steps -3: must be at least 0"):
        PretrainConfig(steps=-3)
    check_ranges(PretrainConfig(max_episodes=None))  # None means "unset", not out of range


@pytest.mark.parametrize(
    "argv",
    [
        ["collect", "--out", "{file}", "--episodes", "1"],
        ["pretrain", "--store", "{store}", "--out", "{file}", "--steps", "1"],
        ["finetune", "--store", "{store}", "--out", "{file}", "--policy-type", "state", "--steps", "1"],
        ["offline-rl", "{store}", "--out", "{file}", "--steps", "1"],
        ["merge", "{store}", "{store}", "--out", "{file}"],
        ["split", "{store}", "--labelled", "{file}", "--unlabelled", "{out}", "--fraction", "0.5"],
    ],
)
def test_an_out_path_where_a_file_is_is_one_line(argv, tiny_finetune_store, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("mine")
    values = {"store": str(tiny_finetune_store), "file": str(taken), "out": str(tmp_path / "new")}
    assert main([a.format(**values) for a in argv]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(taken) in error and "file" in error
    assert taken.read_text() == "mine" and not (tmp_path / "new").exists()
