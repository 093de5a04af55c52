import os
import re
import subprocess
import sys

import pytest

from dynarep.cli import main
from dynarep.commands import verb_names


def flag_help(text: str) -> dict[str, str]:
    """``--flag`` -> its help text, from tyro's --help output (boxed or plain, as the terminal
    allows). A flag starts its row; continuation rows are indented further (and may mention one)."""
    helps: dict[str, str] = {}
    flag = None
    for line in text.splitlines():
        match = re.match(r"(?:[│|] | {1,2})(--[a-z][a-z0-9-]*)(?:,? --[a-z-]+)?(?: \S+)?\s*(.*)", line)
        cell = line.strip().strip("│|").strip()
        if match:
            flag, cell = match.group(1), match.group(2).strip().strip("│|").strip()
            helps[flag] = ""
        if flag is None or not cell or set(cell) <= set("─-+╭╮╰╯"):
            continue
        helps[flag] += " " + cell
        if line.strip()[:1] in ("╰", "+"):
            flag = None
    return helps


@pytest.mark.parametrize("verb", verb_names())
def test_every_verb_documents_its_flags(verb, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([verb, "--help"])
    assert exit_info.value.code == 0
    helps = flag_help(capsys.readouterr().out)
    assert helps or verb in ("check", "export-encoder")  # positional arguments only
    for flag, text in helps.items():
        if flag == "--help":
            continue
        said = re.sub(r"\((default: .*|required)\)", "", text).strip()
        assert said, f"dynarep {verb} {flag} has no help"


def test_pretrain_help_shows_the_chosen_objectives_options(capsys):
    with pytest.raises(SystemExit):
        main(["pretrain", "--objective", "inverse_dynamics", "--help"])
    assert "--horizon" in capsys.readouterr().out


def test_unknown_objective_is_one_line(tiny_store, tmp_path, capsys):
    code = main(["pretrain", "--store", str(tiny_store), "--out", str(tmp_path), "--objective", "nope"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "unknown objective 'nope'" in err and "inverse_dynamics" in err


def test_collect_help_shows_the_chosen_environments_options(capsys):
    with pytest.raises(SystemExit):
        main(["collect", "--env", "metaworld", "--help"])
    text = capsys.readouterr().out
    assert "--tasks" in text and "--hide-goal" in text and "--success-only" in text


def test_unknown_environment_is_one_line(tmp_path, capsys):
    code = main(["collect", "--env", "nope", "--out", str(tmp_path / "s"), "--episodes", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "unknown environment 'nope'" in err and "metaworld" in err and "pointmass" in err


def test_evaluate_refuses_another_environment(tiny_finetune_store, tmp_path, capsys):
    main(["finetune", "--store", str(tiny_finetune_store), "--out", str(tmp_path / "p")]
         + ["--policy-type", "state", "--steps", "2"])  # fmt: skip
    code = main(["evaluate", "--policy", str(tmp_path / "p"), "--episodes", "1", "--env", "metaworld"])
    assert code == 2 and "made in environment 'pointmass'" in capsys.readouterr().err


def test_missing_store_names_the_path(tmp_path, capsys):
    code = main(["pretrain", "--store", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "missing: no such episode store" in err


def test_wrong_image_size_is_one_line(tmp_path, capsys):
    code = main(["collect", "--out", str(tmp_path), "--episodes", "1", "--image-size", "40"])
    assert code == 2 and "image_size 40 is not supported" in capsys.readouterr().err


def test_console_script_walkthrough(tmp_path):
    """collect -> pretrain -> finetune -> evaluate through the real command line."""
    run = [sys.executable, "-m", "dynarep.cli"]
    common = ["--image-size", "32", "--episode-steps", "8"]
    steps = [
        ["collect", "--out", f"{tmp_path}/pre", "--episodes", "3", "--workers", "1", *common],
        [
            "collect",
            "--out",
            f"{tmp_path}/ft",
            "--episodes",
            "2",
            "--first-task",
            "1000000",
            "--episodes-per-task",
            "2",
            "--workers",
            "1",
            *common,
        ],
        [
            "pretrain",
            "--store",
            f"{tmp_path}/pre",
            "--out",
            f"{tmp_path}/enc",
            "--steps",
            "3",
            "--batch-size",
            "8",
            "--horizon",
            "2",
        ],
        [
            "finetune",
            "--store",
            f"{tmp_path}/ft",
            "--out",
            f"{tmp_path}/pol",
            "--encoder",
            f"{tmp_path}/enc",
            "--steps",
            "3",
            "--demos",
            "2",
        ],
        ["evaluate", "--policy", f"{tmp_path}/pol", "--episodes", "2", "--out", f"{tmp_path}/r.jsonl"],
    ]
    for args in steps:
        result = subprocess.run(run + args, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
    assert '"eval/success"' in result.stdout
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 2


def test_missing_gl_backend_is_one_line_naming_the_packages(tmp_path):
    env = {**os.environ, "MUJOCO_GL": "no-such-backend"}
    args = [sys.executable, "-m", "dynarep.cli", "collect", "--out", str(tmp_path), "--episodes", "1"]
    result = subprocess.run(args + ["--workers", "1"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert "libegl1" in result.stderr and "Traceback" not in result.stderr


def test_the_format_word_may_stand_anywhere_among_the_flags():
    from dynarep import commands

    verb = commands.get_verb("import")
    for argv in (
        ["numpy", "a.npz", "--out", "y", "--fps", "5"],
        ["--out", "y", "numpy", "a.npz", "--fps", "5"],
    ):
        args = commands.parse(verb, argv)
        assert (args.format, args.source, args.out, args.options.fps) == ("numpy", "a.npz", "y", 5.0)


TORCH_FREE_PROBE = """
import contextlib, io, sys
from dynarep.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as done:
        code = done.code
print(code, "torch" in sys.modules)
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["finetune", "--help"],
        ["collect", "--help"],
        ["benchmark", "--help"],
        ["finetune", "--store", "s", "--out", "o", "--batch-size", "0"],  # the range check refuses it
    ],
)
def test_help_and_refused_flags_do_not_import_torch(argv):
    """The CLI builds its flags from torch-free config modules, so help and a bad flag answer at
    once (importing torch takes over a second); pretrain, import and export show their registries'
    options, whose members need torch."""
    done = subprocess.run([sys.executable, "-c", TORCH_FREE_PROBE, *argv], capture_output=True, text=True)
    code, imported = done.stdout.split()
    assert code == ("2" if "0" in argv else "0")
    assert imported == "False"
    if code == "2":
        assert done.stderr == "dynarep finetune: error: --batch-size 0: must be at least 1\n"
