"""The ``dynarep`` command: collect, pretrain, finetune, evaluate, benchmark, export-encoder, ...

Each verb is a thin shell over one Python function; flags are generated from the same config
dataclasses the functions take. Errors a user can fix are printed as one line (exit code 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from dynarep.commands import actionfree, report, sweep
from dynarep.config_cli import add_dataclass_arguments, build_dataclass
from dynarep.data.collect import CollectSpec
from dynarep.data.store import atomic_write_json
from dynarep.evaluate.offline import OfflineConfig
from dynarep.evaluate.probe import ProbeConfig
from dynarep.experiments.theory import TheoryConfig
from dynarep.train.finetune import FinetuneConfig
from dynarep.train.pretrain import PretrainConfig

DEFAULT_OBJECTIVE = "inverse_dynamics"
DEFAULT_ENV = "pointmass"
ACTIONFREE_SUITE = "pointmass-actionfree"


def _choice_from_argv(argv: Sequence[str], flag: str, default: str) -> str:
    """The value of ``flag`` before parsing: it decides which options the parser offers."""
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return default


def _env_flag(parser: argparse.ArgumentParser, help_suffix: str) -> None:
    from dynarep.envs import environment_names

    parser.add_argument(
        "--env", default=None, help=f"environment: one of {', '.join(environment_names())}{help_suffix}"
    )


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    from dynarep.envs import environment_names, get_environment
    from dynarep.experiments.suites import SUITES
    from dynarep.nets.factory import encoder_names, get_encoder
    from dynarep.objectives import get_objective, objective_names

    parser = argparse.ArgumentParser(
        prog="dynarep",
        description="Pretrain visual encoders on multitask demonstrations (inverse dynamics and "
        "rivals), finetune few-shot policies on the frozen encoder, evaluate by rollouts.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    collect = verbs.add_parser(
        "collect",
        help="roll out the scripted expert into an episode store",
        description="Roll out the scripted expert and write an episode store "
        "(resumable: re-run the same command to finish an interrupted one).",
    )
    collect.add_argument("--out", required=True, help="store folder to write")
    collect.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    environment = _choice_from_argv(argv, "--env", DEFAULT_ENV)
    collect.add_argument(
        "--env",
        default=DEFAULT_ENV,
        help=f"one of: {', '.join(environment_names())} (default: {DEFAULT_ENV}); "
        "pass --env NAME --help for its options",
    )
    add_dataclass_arguments(collect, CollectSpec, "episodes")
    try:
        add_dataclass_arguments(collect, get_environment(environment)[0], f"environment ({environment})")
    except KeyError:
        pass  # reported as a one-line error once arguments are parsed

    pretrain = verbs.add_parser(
        "pretrain",
        help="pretrain an encoder with a registered objective",
        description="Pretrain an encoder and export encoder.safetensors + "
        "encoder.json into --out (resumes from its checkpoint).",
    )
    pretrain.add_argument("--store", required=True, help="episode store to train on")
    pretrain.add_argument("--out", required=True, help="run folder to write")
    objective = _choice_from_argv(argv, "--objective", DEFAULT_OBJECTIVE)
    pretrain.add_argument(
        "--objective",
        default=DEFAULT_OBJECTIVE,
        choices=None,
        help=f"one of: {', '.join(objective_names())} (default: {DEFAULT_OBJECTIVE})",
    )
    pretrain.add_argument(
        "--device", default="auto", help="auto (CUDA if available), cpu, cuda, ... (default: auto)"
    )
    backbone = _choice_from_argv(argv, "--backbone", None)
    pretrain.add_argument(
        "--backbone",
        default=None,
        help=f"encoder architecture: one of {', '.join(encoder_names())} "
        "(default: the conv + spatial-softmax encoder sized for the store's frames); "
        "pass --backbone NAME --help for its options",
    )
    if backbone is not None:
        try:
            backbone_class, _ = get_encoder(backbone)
            add_dataclass_arguments(
                pretrain, backbone_class, f"options of --backbone {backbone}", skip=("image_size",)
            )
        except KeyError:
            pass  # reported as a one-line error once arguments are parsed
    add_dataclass_arguments(pretrain, PretrainConfig, "optimisation")
    try:
        config_class, _ = get_objective(objective)
        add_dataclass_arguments(
            pretrain,
            config_class,
            f"options of --objective {objective} (pass --objective NAME --help for another's)",
        )
    except KeyError:
        pass  # reported as a one-line error once arguments are parsed

    finetune = verbs.add_parser(
        "finetune",
        help="few-shot behaviour cloning on a frozen encoder",
        description="Train a policy head on a few demos: frozen pretrained "
        "encoder, from-scratch pixels, or the state oracle.",
    )
    finetune.add_argument("--store", required=True, help="finetuning episode store")
    finetune.add_argument("--out", required=True, help="policy folder to write")
    finetune.add_argument(
        "--policy-type",
        default="frozen",
        choices=("frozen", "scratch", "state"),
        help="frozen pretrained encoder, scratch pixels, or state oracle (default: frozen)",
    )
    finetune.add_argument("--encoder", default=None, help="pretrained encoder (run folder or .safetensors)")
    finetune.add_argument(
        "--device", default="auto", help="auto (CUDA if available), cpu, cuda, ... (default: auto)"
    )
    add_dataclass_arguments(finetune, FinetuneConfig, "finetuning")

    evaluate = verbs.add_parser(
        "evaluate",
        help="roll out a policy in its finetuning context",
        description="Roll out a finetuned policy in its hidden context and append "
        "one JSON line per episode to --out.",
    )
    evaluate.add_argument("--policy", required=True, help="policy folder written by `dynarep finetune`")
    evaluate.add_argument("--episodes", type=int, default=100, help="rollouts (default: 100)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the start positions (default: 0)")
    evaluate.add_argument("--out", default=None, help="JSONL file to append per-episode results to")
    evaluate.add_argument(
        "--workers", type=int, default=2, help="simulator processes (Metaworld; the point mass uses one)"
    )
    evaluate.add_argument(
        "--new-contexts",
        action="store_true",
        help="roll out each episode in a new context drawn from its seed instead of the finetuning "
        "context (the protocol's evaluation for door and the Metaworld splits)",
    )
    _env_flag(evaluate, " (default: the policy's; a different one is refused)")

    benchmark = verbs.add_parser(
        "benchmark",
        help="run a whole comparison and write a report",
        description="Collect, pretrain, finetune and evaluate every method over "
        "5 seeds; print the table; write results.jsonl, success.png and report.md.",
    )
    benchmark.add_argument(
        "suite",
        choices=(*SUITES, ACTIONFREE_SUITE),
        help=f"which benchmark (environment and split); {ACTIONFREE_SUITE}: learning from IDM labels",
    )
    benchmark.add_argument(
        "--preset",
        default="quick",
        choices=("quick", "cpu", "paper"),
        help="quick (point mass 10 min, Metaworld 30 min on 2 CPU cores), cpu (1-3 h), paper (GPU sizes)",
    )
    benchmark.add_argument("--out", default=None, help="run folder (default: runs/SUITE-PRESET)")
    benchmark.add_argument(
        "--methods",
        nargs="+",
        default=None,
        help="rows instead of the preset's: objective names and the baselines scratch, random, state",
    )
    benchmark.add_argument(
        "--pretrained",
        nargs="+",
        default=(),
        metavar="NAME=WEIGHTS",
        help="extra frozen rows from local ResNet-18 weights, e.g. imagenet=resnet18.pth r3m=r3m.pt "
        "(torchvision, timm or R3M state dicts; nothing is downloaded)",
    )
    benchmark.add_argument(
        "--horizon",
        type=int,
        default=None,
        help="k for inverse_dynamics and fd_contrastive (default: the preset's, 1); use a new --out per k",
    )
    offline = verbs.add_parser(
        "evaluate-offline",
        help="rank encoders by held-out action error on recorded data (no simulator)",
        description="Train the few-shot head on --demos episodes of one task and report held-out "
        "action error (MSE, R² per action dimension) on the task's other episodes, for several "
        "encoders side by side; 'state' as a name gives the head observation.state instead.",
    )
    offline.add_argument(
        "--store", required=True, help="episode store with actions (and several episodes per task)"
    )
    offline.add_argument(
        "--encoders",
        nargs="+",
        required=True,
        help="pretrained encoders (run or exported folders), or 'state'",
    )
    offline.add_argument("--json", default=None, help="also write the results to this JSON file")
    add_dataclass_arguments(offline, OfflineConfig, "evaluation")

    actionfree.add_verbs(verbs)
    report.add_verbs(verbs)
    sweep.add_verbs(verbs)

    check = verbs.add_parser(
        "check",
        help="verify a store against the SHA-256 recorded when it was written (frames included)",
        description="Open STORE with every file hashed and compared with meta/info.json's "
        "checksums; a damaged file is named. Tables are always checked on open, frames only here "
        "(hashing gigabytes on every open would cost more than it saves).",
    )
    check.add_argument("store", help="episode store")

    probe = verbs.add_parser(
        "probe",
        help="how well a frozen encoder encodes the true state (linear and MLP probes)",
        description="Fit linear and MLP probes from a frozen encoder to the mass position (and "
        "the hidden goal, for the record) on some episodes of a store; report train and "
        "validation RMSE in mm on the others.",
    )
    probe.add_argument("--encoder", required=True, help="pretrained encoder (run folder or .safetensors)")
    probe.add_argument("--store", required=True, help="episode store whose frames are probed")
    _env_flag(probe, " (default: the store's; a different one is refused)")
    add_dataclass_arguments(probe, ProbeConfig, "probes")

    from dynarep.formats import exporter_names, get_exporter, get_importer, importer_names

    _format_verb(
        verbs,
        "import",
        "bring outside data (a LeRobot dataset, videos, numpy) into a new episode store",
        "Convert data in another format into a new episode store (streaming; nothing is left "
        "under --out if it fails).",
        {name: (get_importer(name)[0], get_importer(name)[1].source_help) for name in importer_names()},
        ("source", "new store folder to write"),
    )
    _format_verb(
        verbs,
        "export",
        "write an episode store in another format (LeRobot v3, ...)",
        "Convert an episode store into another format (nothing is left under --out if it fails).",
        {name: (get_exporter(name)[0], f"as a {name} dataset") for name in exporter_names()},
        ("store", "new folder to write"),
    )

    export_encoder = verbs.add_parser(
        "export-encoder",
        help="write a pretrained encoder as a self-describing folder with a model card",
        description="Write OUT/model.safetensors, OUT/config.json (architecture, objective, "
        "training data, steps, probe results) and OUT/README.md (a model card). Load it in your "
        "own code with dynarep.load_encoder(OUT).",
    )
    export_encoder.add_argument("run", help="pretraining run folder (or its encoder.safetensors)")
    export_encoder.add_argument("out", help="new folder to write")

    theory = verbs.add_parser(
        "theory",
        help="ID vs BC with linear encoders on the linear latent-context env",
        description="The paper's theory setting: principal angles between each learned linear "
        "encoder and the true observation subspace, and few-shot BC error in new contexts.",
    )
    add_dataclass_arguments(theory, TheoryConfig, "experiment")
    theory.add_argument("--json", default=None, help="also write all measurements to this JSON file")
    return parser


def _format_verb(
    verbs: argparse._SubParsersAction,
    verb: str,
    summary: str,
    description: str,
    formats: dict[str, tuple[type, str]],
    positional: tuple[str, str],
) -> None:
    """``dynarep import FORMAT`` / ``dynarep export FORMAT``: one sub-command per registered format,
    with that format's config fields as flags."""
    parser = verbs.add_parser(verb, help=summary, description=description)
    sub = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
    for name, (config_class, what) in formats.items():
        command = sub.add_parser(name, help=what, description=f"{verb.capitalize()} {what}.")
        command.add_argument(positional[0], help=what if verb == "import" else "episode store to export")
        command.add_argument("--out", required=True, help=positional[1])
        add_dataclass_arguments(command, config_class, "options")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return _dispatch(args)
    except (ValueError, KeyError, FileNotFoundError, FileExistsError, RuntimeError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"dynarep {args.verb}: error: {message}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.verb == "collect":
        from dynarep.data.collect import collect
        from dynarep.envs import get_environment

        env_config = build_dataclass(get_environment(args.env)[0], args)
        store = collect(args.out, env_config, build_dataclass(CollectSpec, args), args.workers)
        print(
            f"{store.root}: {store.num_episodes} episodes, {len(store.images)} frames, "
            f"expert success {store.info['expert_success_rate']:.2f}"
        )
    elif args.verb == "pretrain":
        from dynarep.objectives import get_objective
        from dynarep.train.pretrain import pretrain

        config_class, _ = get_objective(args.objective)
        encoder_config = None
        if args.backbone is not None:
            from dynarep.data.store import EpisodeStore
            from dynarep.nets.factory import get_encoder

            backbone_class, _ = get_encoder(args.backbone)
            args.image_size = EpisodeStore(args.store).image_size
            encoder_config = build_dataclass(backbone_class, args)
        path = pretrain(
            args.store,
            args.out,
            args.objective,
            build_dataclass(config_class, args),
            build_dataclass(PretrainConfig, args),
            encoder_config=encoder_config,
            device=args.device,
        )
        from dynarep.train.distributed import launched_rank

        if launched_rank() == 0:  # once, also under a multi-process launcher
            print(f"encoder written to {path}")
    elif args.verb == "finetune":
        from dynarep.train.finetune import finetune

        config = build_dataclass(FinetuneConfig, args)
        out = finetune(args.store, args.out, args.policy_type, args.encoder, config, device=args.device)
        print(f"policy written to {out}")
    elif args.verb == "evaluate":
        from dynarep.evaluate.rollout import evaluate
        from dynarep.train.policy import load_policy

        _check_env(args.env, load_policy(args.policy)[1]["env"], args.policy)
        records = evaluate(
            args.policy,
            args.episodes,
            args.seed,
            args.out,
            workers=args.workers,
            new_contexts=args.new_contexts,
        )
        success = sum(r["success"] for r in records) / len(records)
        print(json.dumps({"eval/success": success, "episodes": len(records)}))
    elif args.verb == "evaluate-offline":
        from dynarep.evaluate.offline import evaluate_offline, table

        results = evaluate_offline(args.store, args.encoders, build_dataclass(OfflineConfig, args))
        print(table(results))
        if args.json:
            atomic_write_json(Path(args.json), results)
    elif args.verb == "check":
        from dynarep.data.store import EpisodeStore

        store = EpisodeStore(args.store, verify=True)
        checked = len(store.checksums)
        print(
            f"{store.root}: {store.num_episodes} episodes, {len(store.images)} frames; "
            + (
                f"{checked} files match their SHA-256"
                if checked
                else "no checksums recorded (made before them)"
            )
        )
    elif args.verb in actionfree.VERBS:
        actionfree.dispatch(args)
    elif args.verb in report.VERBS:
        report.dispatch(args)
    elif args.verb in sweep.VERBS:
        sweep.dispatch(args)
    elif args.verb == "probe":
        from dynarep.data.store import EpisodeStore
        from dynarep.evaluate.probe import probe

        _check_env(args.env, EpisodeStore(args.store).env_config, args.store)
        results = probe(args.encoder, args.store, build_dataclass(ProbeConfig, args))
        print(json.dumps({k: round(v, 2) for k, v in results.items()}, indent=2))
    elif args.verb == "import":
        from dynarep.data.store import EpisodeStore
        from dynarep.formats import get_importer, import_data

        config = build_dataclass(get_importer(args.format)[0], args)
        store = EpisodeStore(import_data(args.format, args.source, args.out, config))
        print(
            f"{store.root}: {store.num_episodes} episodes, {len(store.images)} frames, "
            f"cameras {', '.join(store.image_keys)}, actions {store.action_dim}-d"
        )
    elif args.verb == "export":
        from dynarep.formats import export_data, get_exporter

        config = build_dataclass(get_exporter(args.format)[0], args)
        print(f"written {export_data(args.format, args.store, args.out, config)}")
    elif args.verb == "export-encoder":
        from dynarep.pretrained import export_encoder_package

        out = export_encoder_package(args.run, args.out)
        print(f"encoder exported to {out} (load it with dynarep.load_encoder({str(out)!r}))")
    elif args.verb == "theory":
        from dynarep.experiments.theory import run, table

        results = run(build_dataclass(TheoryConfig, args))
        print(table(results))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    elif args.verb == "benchmark" and args.suite == ACTIONFREE_SUITE:
        from dynarep.experiments.actionfree import run as run_actionfree

        if args.methods or args.pretrained or args.horizon is not None:
            raise ValueError(f"{ACTIONFREE_SUITE}: --methods, --pretrained and --horizon do not apply")
        print(run_actionfree(args.preset, args.out))
    elif args.verb == "benchmark":
        from dynarep.experiments.benchmark import run

        rows = dict(_name_value(item, "--pretrained") for item in args.pretrained)
        print(
            run(
                args.suite, args.preset, args.out, methods=args.methods, horizon=args.horizon, pretrained=rows
            )
        )
    return 0


def _name_value(item: str, flag: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name or not value:
        raise ValueError(f"{flag} {item!r}: expected NAME=PATH")
    return name, value


def _check_env(requested: str | None, recorded: dict, source: str) -> None:
    """``--env`` on verbs that read the environment from a file: it must name that environment."""
    from dynarep.envs import get_environment

    if requested is None:
        return
    get_environment(requested)  # an unknown name: one line listing the registered ones
    found = recorded.get("name", DEFAULT_ENV)
    if found != requested:
        raise ValueError(f"--env {requested}: {source} was made in environment {found!r}")


if __name__ == "__main__":
    sys.exit(main())
