"""Verbs that measure: ``evaluate`` (rollouts), ``evaluate-offline`` (held-out action error),
``probe`` (state decodability)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from dynarep.commands.base import Group, nested, register_verb
from dynarep.commands.data import DEFAULT_ENV
from dynarep.evaluate.offline_config import OfflineConfig
from dynarep.evaluate.probe_config import ProbeConfig


@dataclass(frozen=True)
class EvaluateArgs:
    """Roll out a finetuned policy in its hidden context and append one JSON line per episode to
    --out."""

    policy: str
    """Policy folder written by `dynarep finetune`."""
    episodes: int = 100
    """Rollouts."""
    seed: int = 0
    """Seed of the start positions."""
    out: str | None = None
    """JSONL file to append per-episode results to."""
    workers: int = 2
    """Simulator processes (Metaworld; the point mass uses one)."""
    new_contexts: bool = False
    """Roll out each episode in a new context drawn from its seed instead of the finetuning
    context (the protocol's evaluation for door and the Metaworld splits)."""
    env: str | None = None
    """Environment (default: the policy's; a different one is refused)."""


@register_verb("evaluate", "roll out a policy in its finetuning context", EvaluateArgs)
def evaluate(args: EvaluateArgs) -> None:
    from dynarep.evaluate.rollout import evaluate
    from dynarep.train.policy import load_policy

    check_env(args.env, load_policy(args.policy)[1]["env"], args.policy)
    records = evaluate(
        args.policy, args.episodes, args.seed, args.out, workers=args.workers, new_contexts=args.new_contexts
    )
    success = sum(r["success"] for r in records) / len(records)
    print(json.dumps({"eval/success": success, "episodes": len(records)}))


@dataclass(frozen=True)
class OfflineArgs:
    """Train the few-shot head on --demos episodes of one task and report held-out action error
    (MSE, R² per action dimension) on the task's other episodes, for several encoders side by side;
    'state' as a name gives the head observation.state instead."""

    store: str
    """Episode store with actions (and several episodes per task)."""
    encoders: tuple[str, ...]
    """Pretrained encoders (run or exported folders), or 'state'."""
    json: str | None = None
    """Also write the results to this JSON file."""
    evaluation: Annotated[OfflineConfig, Group] = nested(OfflineConfig)


@register_verb(
    "evaluate-offline", "rank encoders by held-out action error on recorded data (no simulator)", OfflineArgs
)
def evaluate_offline(args: OfflineArgs) -> None:
    from dynarep.data.store import atomic_write_json
    from dynarep.evaluate.offline import evaluate_offline, table

    results = evaluate_offline(args.store, list(args.encoders), args.evaluation)
    print(table(results))
    if args.json:
        atomic_write_json(Path(args.json), results)


@dataclass(frozen=True)
class ProbeArgs:
    """Fit linear and MLP probes from a frozen encoder to the true state (the mass position, the
    hand, ...; and the hidden goal, for the record) on some episodes of a store; report train and
    validation RMSE in mm on the others."""

    encoder: str
    """Pretrained encoder (run folder or .safetensors)."""
    store: str
    """Episode store whose frames are probed."""
    env: str | None = None
    """Environment (default: the store's; a different one is refused)."""
    probes: Annotated[ProbeConfig, Group] = nested(ProbeConfig)


@register_verb("probe", "how well a frozen encoder encodes the true state (linear and MLP probes)", ProbeArgs)
def probe(args: ProbeArgs) -> None:
    from dynarep.data.store import EpisodeStore
    from dynarep.evaluate.probe import probe

    check_env(args.env, EpisodeStore(args.store).env_config, args.store)
    results = probe(args.encoder, args.store, args.probes)
    print(json.dumps({k: round(v, 2) for k, v in results.items()}, indent=2))


def check_env(requested: str | None, recorded: dict, source: str) -> None:
    """``--env`` on verbs that read the environment from a file: it must name that environment."""
    from dynarep.envs import get_environment

    if requested is None:
        return
    get_environment(requested)  # an unknown name: one line listing the registered ones
    found = recorded.get("name", DEFAULT_ENV)
    if found != requested:
        raise ValueError(f"--env {requested}: {source} was made in environment {found!r}")
