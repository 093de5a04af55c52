"""``dynarep offline-rl``: TD3+BC (Fujimoto & Gu, 2021) on a store's transitions.

The semi-supervised offline RL pipeline (protocol §5.3, SSORL) labels action-free trajectories with
an inverse dynamics model and then runs an off-the-shelf offline RL algorithm on the union; its
default is TD3+BC, written here in the paper's form: twin critics, target policy smoothing, a
delayed actor whose loss is ``-λ Q(s, π(s)) + (π(s) - a)²`` with ``λ = α / mean|Q|``, and
states normalised by the data's mean and std. The actor reads the true low-dimensional state (as
SSORL's D4RL agents do), so it is saved as a dynarep ``state`` policy (normalisation folded into
its first layer) and ``dynarep evaluate`` rolls it out like any other policy.

Transitions: every frame with an action, its ``next.reward`` and the next frame's state. Episodes of
the point mass end by a time limit, so the last step bootstraps like any other
(``--terminal-on-done`` treats it as terminal instead, for environments that stop on success).

A library was considered first: d3rlpy 2.8 pins gymnasium 1.0 (we use 1.4) and torchrl would add
tensordict and a C++ extension for one loss function; the algorithm is the 60 lines below.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm import tqdm

from dynarep.data.store import EpisodeStore, StoreError
from dynarep.files import check_folder_path
from dynarep.rl.td3_bc_config import TD3BCConfig
from dynarep.train.finetune import state_columns_for
from dynarep.train.policy import Policy, fold_normalisation, write_policy_folder
from dynarep.train.pretrain import TrainingDiverged


class Transitions:
    """(s, a, r, s', not_done) tensors of every frame with an action."""

    def __init__(self, store: EpisodeStore, columns: tuple[int, ...], terminal_on_done: bool) -> None:
        if not store.has_actions:
            raise StoreError(f"{store.root}: has no actions; label it first (dynarep label)")
        if store.rewards is None:
            raise StoreError(
                f"{store.root}: records no rewards (next.reward); offline RL needs them "
                "(collect it again with an environment that records rewards)"
            )
        rows = np.flatnonzero(store.has_action)
        episode = store.episode_index[rows]
        last = rows == store.frame_starts[episode] + store.lengths[episode] - 1
        states = store.states[:, list(columns)]
        self.states = torch.from_numpy(states[rows])
        self.actions = torch.from_numpy(store.actions[rows])
        self.rewards = torch.from_numpy(store.rewards[rows])[:, None]
        self.next_states = torch.from_numpy(states[rows + 1])
        self.not_done = torch.from_numpy(~(last & terminal_on_done)).float()[:, None]
        self.mean = self.states.mean(0)
        self.std = self.states.std(0) + 1e-3

    def __len__(self) -> int:
        return len(self.states)

    def sample(self, batch_size: int, generator: torch.Generator) -> tuple[Tensor, ...]:
        idx = torch.randint(0, len(self), (batch_size,), generator=generator)
        normalise = lambda s: (s - self.mean) / self.std  # noqa: E731
        return (
            normalise(self.states[idx]),
            self.actions[idx],
            self.rewards[idx],
            normalise(self.next_states[idx]),
            self.not_done[idx],
        )


class TwinCritic(nn.Module):
    """Two Q networks (256-256 ReLU) on (state, action)."""

    def __init__(self, state_dim: int, action_dim: int) -> None:
        super().__init__()
        width = state_dim + action_dim
        self.q1, self.q2 = (
            nn.Sequential(nn.Linear(width, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 1))
            for _ in range(2)
        )

    def forward(self, state: Tensor, action: Tensor) -> tuple[Tensor, Tensor]:
        x = torch.cat([state, action], 1)
        return self.q1(x), self.q2(x)


def train_td3_bc(
    data: Transitions, action_dim: int, columns: tuple[int, ...], config: TD3BCConfig, progress: bool = True
) -> tuple[Policy, list[dict[str, float]]]:
    """Train actor and critics; the actor comes back as a state policy on raw (unnormalised) states."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    actor = Policy("state", action_dim, None, dropout=0.0, state_columns=columns)
    critic = TwinCritic(len(columns), action_dim)
    actor_target, critic_target = copy.deepcopy(actor), copy.deepcopy(critic)
    actor_optimizer = torch.optim.Adam(actor.parameters(), lr=config.lr)
    critic_optimizer = torch.optim.Adam(critic.parameters(), lr=config.lr)
    log: list[dict[str, float]] = []
    started = time.perf_counter()
    actor_loss = torch.zeros(())
    for step in tqdm(range(config.steps), desc="td3+bc", unit="step", disable=not progress):
        state, action, reward, next_state, not_done = data.sample(config.batch_size, generator)
        with torch.no_grad():
            noise = (torch.randn(action.shape, generator=generator) * config.policy_noise).clamp(
                -config.noise_clip, config.noise_clip
            )
            next_action = (actor_target(None, next_state) + noise).clamp(-1.0, 1.0)
            target = reward + not_done * config.discount * torch.min(*critic_target(next_state, next_action))
        q1, q2 = critic(state, action)
        critic_loss = F.mse_loss(q1, target) + F.mse_loss(q2, target)
        critic_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        critic_optimizer.step()
        if step % config.policy_every == 0:
            pi = actor(None, state)
            q = critic.q1(torch.cat([state, pi], 1))
            lam = config.alpha / q.abs().mean().detach()
            actor_loss = -lam * q.mean() + F.mse_loss(pi, action)
            actor_optimizer.zero_grad(set_to_none=True)
            actor_loss.backward()
            actor_optimizer.step()
            with torch.no_grad():
                for net, target_net in ((actor, actor_target), (critic, critic_target)):
                    for p, p_target in zip(net.parameters(), target_net.parameters(), strict=True):
                        p_target.lerp_(p, config.tau)
        if not (torch.isfinite(critic_loss) and torch.isfinite(actor_loss)):
            raise TrainingDiverged(f"offline-rl: loss is not finite at step {step}; try a lower --lr")
        if (step + 1) % 500 == 0 or step + 1 == config.steps:
            log.append(
                {
                    "step": step + 1,
                    "offline_rl/critic_loss": critic_loss.item(),
                    "offline_rl/actor_loss": actor_loss.item(),
                    "offline_rl/q": q1.mean().item(),
                    "time": round(time.perf_counter() - started, 2),
                }
            )
    fold_normalisation(actor, data.mean, data.std)
    return actor.eval(), log


def offline_rl(
    store_path: str | Path, out: str | Path, config: TD3BCConfig | None = None, progress: bool = True
) -> Path:
    """Train TD3+BC on every transition of ``store_path``; write a policy folder ``out``."""
    config = config or TD3BCConfig()
    check_folder_path(out)
    out = Path(out)
    store = EpisodeStore(store_path)
    columns = state_columns_for(store, config.state_columns)
    data = Transitions(store, columns, config.terminal_on_done)
    policy, log = train_td3_bc(data, store.action_dim, columns, config, progress)
    extra = {
        "offline_rl": {"algorithm": "td3+bc", **asdict(config)},
        "transitions": len(data),
        "encoder_path": None,
    }
    return write_policy_folder(out, policy, log, store, extra)
