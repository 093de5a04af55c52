"""``dynarep theory``: inverse dynamics vs multitask BC with linear encoders, where the answer is exact.

A linear encoder φ(o) = W o (W: d x D) is pretrained on the multitask corpus of the linear
latent-context environment with either objective (linear heads, MSE). We then measure
- the principal angles between W's row space and the observation subspace range(G): ID should
  recover it (angles near 0), BC, whose target is the context-averaged action, should not;
- few-shot BC in a new context: a ridge-regression policy on φ(o) fitted to n demos, scored by its
  action error on fresh states of that context (normalised by the action variance).
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch

from dynarep.envs.linear_context import LinearContextConfig, LinearContextEnv
from dynarep.experiments.theory_config import TheoryConfig


def train_linear_encoder(
    objective: str, data: dict[str, np.ndarray], config: TheoryConfig, state_dim: int
) -> np.ndarray:
    """W (d x D) trained with ``objective`` in {"inverse_dynamics", "bc"}; "random" returns the init."""
    torch.manual_seed(config.seed)
    obs = torch.tensor(data["obs"], dtype=torch.float32)
    actions = torch.tensor(data["actions"], dtype=torch.float32).flatten(0, 1)
    now, later = obs[:, :-1].flatten(0, 1), obs[:, 1:].flatten(0, 1)
    encoder = torch.nn.Linear(obs.shape[-1], state_dim, bias=False)
    head_in = 2 * state_dim if objective == "inverse_dynamics" else state_dim
    head = torch.nn.Linear(head_in, actions.shape[-1])
    if objective == "random":
        return encoder.weight.detach().numpy().copy()
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=config.lr)
    for _ in range(config.steps):
        if objective == "inverse_dynamics":
            prediction = head(torch.cat([encoder(now), encoder(later)], dim=1))
        elif objective == "bc":
            prediction = head(encoder(now))
        else:
            raise ValueError(f"theory objective must be inverse_dynamics, bc or random, got {objective!r}")
        loss = torch.mean((prediction - actions) ** 2) + config.l2 * encoder.weight.pow(2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return encoder.weight.detach().numpy().copy()


def principal_angles(rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Principal angles in degrees between row(rows) and range(columns), ascending."""
    q_rows = np.linalg.qr(rows.T)[0]
    q_cols = np.linalg.qr(columns)[0]
    cosines = np.clip(np.linalg.svd(q_rows.T @ q_cols, compute_uv=False), -1.0, 1.0)
    return np.sort(np.degrees(np.arccos(cosines)))


def few_shot_error(features, env: LinearContextEnv, config: TheoryConfig, demos: int) -> float:
    """Mean normalised action error of ridge BC on ``demos`` episodes of fresh contexts."""
    rng = np.random.default_rng(config.seed + 1)
    errors = []
    for _ in range(config.new_contexts):
        gain = env.new_gain(rng)
        train, test = env.rollout(gain, demos, rng), env.rollout(gain, 50, rng)
        x = features(train)[:, :-1]
        x = x.reshape(-1, x.shape[-1])
        y = train["actions"].reshape(-1, train["actions"].shape[-1])
        x1 = np.hstack([x, np.ones((len(x), 1))])
        weights = np.linalg.solve(x1.T @ x1 + config.ridge * np.eye(x1.shape[1]), x1.T @ y)
        xt = features(test)[:, :-1].reshape(-1, x.shape[-1])
        # score against the expert's noise-free action on the test states
        target = test["states"][:, :-1].reshape(-1, gain.shape[1]) @ gain.T
        prediction = np.hstack([xt, np.ones((len(xt), 1))]) @ weights
        errors.append(np.mean((prediction - target) ** 2) / np.mean(target**2))
    return float(np.mean(errors))


def run(config: TheoryConfig | None = None, env_config: LinearContextConfig | None = None) -> dict:
    """All measurements as a dict (angles per encoder, few-shot errors per encoder and demo count)."""
    config = config or TheoryConfig()
    env = LinearContextEnv(env_config or LinearContextConfig(seed=config.seed))
    data = env.corpus(config.episodes_per_context, np.random.default_rng(config.seed))
    d = env.config.state_dim
    results: dict = {"config": asdict(config), "env": asdict(env.config), "methods": {}}
    for name in ("inverse_dynamics", "bc", "random"):
        weights = train_linear_encoder(name, data, config, d)
        results["methods"][name] = {
            "angles": principal_angles(weights, env.G).tolist(),
            "few_shot": {
                n: few_shot_error(lambda e, w=weights: e["obs"] @ w.T, env, config, n) for n in config.demos
            },
        }
    results["methods"]["state"] = {
        "angles": [0.0] * d,
        "few_shot": {n: few_shot_error(lambda e: e["states"], env, config, n) for n in config.demos},
    }
    results["methods"]["observation"] = {
        "angles": None,
        "few_shot": {n: few_shot_error(lambda e: e["obs"], env, config, n) for n in config.demos},
    }
    return results


def table(results: dict) -> str:
    demos = results["config"]["demos"]
    head = "| encoder | principal angles to range(G) (deg) | " + " | ".join(
        f"few-shot BC error, {n} demo{'s' if n > 1 else ''}" for n in demos
    )
    lines = [head + " |", "|---" * (2 + len(demos)) + "|"]
    labels = {
        "inverse_dynamics": "ID (linear φ)",
        "bc": "multitask BC (linear φ)",
        "random": "random linear φ",
        "state": "true state (oracle)",
        "observation": "raw observation (D-dim)",
    }
    for name, m in results["methods"].items():
        angles = "—" if m["angles"] is None else ", ".join(f"{a:.1f}" for a in m["angles"])
        errors = " | ".join(f"{m['few_shot'][n]:.3f}" for n in demos)
        lines.append(f"| {labels[name]} | {angles} | {errors} |")
    return "\n".join(lines)
