"""Rewards in stores, split into labelled + action-free parts, TD3+BC, the action-free verbs."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

from dynarep.cli import main
from dynarep.config_checks import ConfigError
from dynarep.data.split import choose_labelled, split_store
from dynarep.data.store import EpisodeStore, StoreError
from dynarep.envs.pointmass import goal_for_task
from dynarep.rl.td3_bc import TD3BCConfig, offline_rl
from dynarep.train.finetune import FinetuneConfig, finetune
from dynarep.train.policy import Policy, fold_normalisation, load_policy


def test_point_mass_stores_record_the_dense_goal_reward(tiny_finetune_store):
    store = EpisodeStore(tiny_finetune_store)
    goal = goal_for_task(1_000_000)
    assert "distance" in store.info["reward"]
    rows = np.flatnonzero(store.has_action)
    after = store.states[rows + 1, :2]  # the reward of step t is read after the step
    np.testing.assert_allclose(store.rewards[rows], -np.linalg.norm(after - goal, axis=1), atol=1e-5)
    assert (store.rewards[~store.has_action] == 0).all()


def test_split_keeps_the_fraction_and_drops_actions_from_the_rest(tiny_store, tmp_path):
    source = EpisodeStore(tiny_store)
    labelled, unlabelled = (
        EpisodeStore(p)
        for p in split_store(tiny_store, tmp_path / "l", tmp_path / "u", 0.34, seed=3, progress=False)
    )
    assert (labelled.num_episodes, unlabelled.num_episodes) == (2, 4)
    assert labelled.has_actions and not unlabelled.has_actions
    kept = labelled.info["collection"]["split"]["episodes"]
    rest = unlabelled.info["collection"]["split"]["episodes"]
    assert sorted(kept + rest) == list(range(6))
    for part, episodes in ((labelled, kept), (unlabelled, rest)):
        rows = np.concatenate([np.flatnonzero(source.episode_index == e) for e in episodes])
        np.testing.assert_array_equal(part.images, source.images[rows])
        np.testing.assert_array_equal(part.states, source.states[rows])
        np.testing.assert_array_equal(part.rewards, source.rewards[rows])
        np.testing.assert_array_equal(part.contexts, source.contexts[episodes])
    np.testing.assert_array_equal(labelled.actions, source.actions[np.isin(source.episode_index, kept)])


def test_lowest_return_pick_draws_from_the_worse_half(tiny_store):
    store = EpisodeStore(tiny_store)
    returns = [store.rewards[store.episode_index == e].sum() for e in range(6)]
    worse = set(np.argsort(returns)[:3].tolist())
    for seed in range(5):
        assert set(choose_labelled(store, 0.34, "lowest-return", seed).tolist()) <= worse


def test_split_refuses_what_it_cannot_do(tiny_store, tmp_path):
    with pytest.raises(ValueError, match="--fraction 1.0: every one"):
        split_store(tiny_store, tmp_path / "l", tmp_path / "u", 1.0, progress=False)
    with pytest.raises(ValueError, match="--fraction 0"):
        split_store(tiny_store, tmp_path / "l", tmp_path / "u", 0.0, progress=False)
    assert not (tmp_path / "l").exists() and not (tmp_path / "u").exists()
    split_store(tiny_store, tmp_path / "l", tmp_path / "u", 0.5, progress=False)
    with pytest.raises(StoreError, match="has no actions"):
        split_store(tmp_path / "u", tmp_path / "l2", tmp_path / "u2", 0.5, progress=False)


def test_folding_the_state_normalisation_into_the_head_is_exact():
    torch.manual_seed(0)
    policy = Policy("state", 2, None, dropout=0.0, state_columns=(0, 1, 2, 3)).eval()
    mean, std = torch.randn(4), torch.rand(4) + 0.1
    states = torch.randn(16, 4)
    before = policy(None, (states - mean) / std)
    fold_normalisation(policy, mean, std)
    torch.testing.assert_close(policy(None, states), before, atol=1e-5, rtol=1e-5)


def test_td3_bc_learns_the_expert_from_its_transitions_and_evaluates(tiny_finetune_store, tmp_path):
    """With alpha small the actor is nearly pure BC: it must fit the expert far better than zero."""
    config = TD3BCConfig(steps=300, batch_size=64, alpha=0.1, seed=0)
    out = offline_rl(tiny_finetune_store, tmp_path / "agent", config, progress=False)
    policy, info = load_policy(out)
    assert info["offline_rl"]["algorithm"] == "td3+bc" and policy.state_columns == (0, 1, 2, 3)
    store = EpisodeStore(tiny_finetune_store)
    rows = np.flatnonzero(store.has_action)
    with torch.no_grad():
        predicted = policy(None, torch.from_numpy(store.states[rows])).numpy()
    error = np.mean((predicted - store.actions[rows]) ** 2)
    assert error < 0.5 * np.mean(store.actions[rows] ** 2)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 300 and np.isfinite(log[-1]["offline_rl/q"])
    assert main(["evaluate", "--policy", str(out), "--episodes", "2"]) == 0


def test_offline_rl_needs_actions_and_rewards(tiny_store, tmp_path):
    split_store(tiny_store, tmp_path / "l", tmp_path / "u", 0.5, progress=False)
    with pytest.raises(StoreError, match="has no actions; label it first"):
        offline_rl(tmp_path / "u", tmp_path / "agent", TD3BCConfig(steps=1), progress=False)
    assert not (tmp_path / "agent").exists()


def test_choice_fields_are_checked_and_offered_as_choices(tiny_finetune_store, tmp_path, capsys):
    with pytest.raises(ConfigError, match="--state-columns 'some': choose one of oracle, all"):
        FinetuneConfig(state_columns="some")
    with pytest.raises(SystemExit):
        main(["offline-rl", str(tiny_finetune_store), "--out", str(tmp_path / "a"), "--state-columns", "x"])
    assert "invalid choice" in capsys.readouterr().err
    config = FinetuneConfig(demos=2, steps=5, state_columns="all")
    policy, _ = load_policy(
        finetune(tiny_finetune_store, tmp_path / "s", "state", None, config, progress=False)
    )
    assert policy.state_columns == (0, 1, 2, 3)


def test_split_label_merge_from_the_command_line(tiny_finetune_store, tmp_path, capsys):
    labelled_part, u = tmp_path / "l", tmp_path / "u"
    assert (
        main(
            [
                "split",
                str(tiny_finetune_store),
                "--labelled",
                str(labelled_part),
                "--unlabelled",
                str(u),
                "--fraction",
                "0.5",
                "--keep-actions",
            ]
        )
        == 0
    )
    assert EpisodeStore(u).has_actions
    labelled = ["--labelled", str(labelled_part), "--unlabelled", str(u), "--out", str(tmp_path / "idm")]
    assert (
        main(
            [
                "label",
                *labelled,
                "--existing",
                "relabel",
                "--steps",
                "3",
                "--batch-size",
                "4",
                "--validation",
                "0",
            ]
        )
        == 0
    )
    assert main(["merge", str(labelled_part), str(tmp_path / "idm"), "--out", str(tmp_path / "union")]) == 0
    union = EpisodeStore(tmp_path / "union")
    assert union.num_episodes == 4 and union.rewards is not None
    sources = set(pq.read_table(union.root / "data/frames.parquet")["action_source"].to_pylist())
    assert sources == {"expert", "idm"}


def test_actionfree_benchmark_runs_every_cell_and_resumes(tmp_path):
    from dynarep.experiments.actionfree import ActionFreePreset, run

    preset = ActionFreePreset(
        episodes=4, fractions=(0.5,), seeds=2, idm_steps=3, idm_batch=4, bc_steps=5, td3bc_steps=5,
        eval_episodes=2, workers=1, episode_steps=10, noise_correlation=0.5, idm_past=2, idm_shift=1,
        idm_segment=2,
    )  # fmt: skip
    table = run(preset, tmp_path / "run", progress=False)
    seed0 = tmp_path / "run" / "data" / "seed0"
    assert EpisodeStore(seed0 / "noise1").info["collection"]["noise_correlation"] == 0.5
    frames = json.loads((seed0 / "frac0.5" / "idm-frames" / "meta" / "info.json").read_text())
    assert {k: frames["labels"]["labeller"]["config"][k] for k in ("past", "future", "shift", "segment")} == {
        "past": 2,
        "future": 1,
        "shift": 1,
        "segment": 2,
    }
    assert "frames t-2..t+1 (32 px, random shift 1 px" in table and "correlation 0.5" in table
    results = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    cells = {(r["algorithm"], r["data"], r["fraction"], r["seed"]) for r in results}
    assert len(results) == 2 * len(cells) and len(cells) == 2 * 2 * 4  # algorithms x seeds x data
    union = EpisodeStore(tmp_path / "run" / "data" / "seed0" / "frac0.5" / "union-state")
    assert union.num_episodes == 4 and union.rewards is not None
    assert "TD3+BC, labelled + IDM labels (frames)" in table and "| state labeller, R²" in table
    policy = tmp_path / "run" / "policies" / "td3bc_idm-state_frac0.5_seed1" / "policy.safetensors"
    mtime = policy.stat().st_mtime_ns
    again = run(replace(preset, workers=2), tmp_path / "run", progress=False)  # resumes, trains nothing
    assert policy.stat().st_mtime_ns == mtime
    assert again.split("Wall time")[0] == table.split("Wall time")[0]
    with pytest.raises(ValueError, match=r"holds a run of another preset \(seeds differ"):
        run(replace(preset, seeds=1), tmp_path / "run", progress=False)


def test_a_state_labeller_reads_the_dynamics_and_labels_a_new_goal_well(tiny_finetune_store, tmp_path):
    """Point-mass actions follow from (s_t, s_t+1): a state IDM trained on noisy-expert episodes of
    other goals labels the expert's episodes of a new one."""
    from dynarep.data.collect import CollectSpec, collect
    from dynarep.label.idm import LabellerConfig
    from dynarep.label.label import label

    from .conftest import TINY_ENV

    noisy = collect(
        tmp_path / "noisy", TINY_ENV, CollectSpec(episodes=20, expert_noise=0.5), workers=1, progress=False
    )
    config = LabellerConfig(inputs="state", steps=1000, batch_size=64, validation=0.0)
    out = label(noisy.root, tiny_finetune_store, tmp_path / "idm", config, "relabel", progress=False)
    labels = json.loads((out / "meta" / "info.json").read_text())["labels"]
    assert labels["labeller"]["config"]["inputs"] == "state"
    assert labels["error_vs_replaced_actions"]["r2"] > 0.5  # 1000 small steps; the benchmark sees 0.97


def test_the_representation_route_pretrains_inverse_dynamics_on_the_union(tiny_store, tmp_path):
    """split -> label -> merge -> pretrain ID on every episode, IDM labels included."""
    from dynarep.data.merge import merge
    from dynarep.data.windows import WindowSampler
    from dynarep.label.idm import LabellerConfig
    from dynarep.label.label import label
    from dynarep.objectives import get_objective
    from dynarep.train.encoder_io import load_encoder
    from dynarep.train.pretrain import PretrainConfig, pretrain

    split_store(tiny_store, tmp_path / "l", tmp_path / "u", 0.34, progress=False)
    config = LabellerConfig(steps=2, batch_size=4, validation=0.0)
    label(tmp_path / "l", tmp_path / "u", tmp_path / "idm", config, progress=False)
    union = EpisodeStore(merge([tmp_path / "l", tmp_path / "idm"], tmp_path / "union", progress=False))
    needs = get_objective("inverse_dynamics")[1].needs
    batch = WindowSampler(union, needs, seed=0).sample(64)  # windows from labelled and IDM-labelled episodes
    assert batch.actions.abs().sum() > 0
    encoder = pretrain(
        union.root,
        tmp_path / "id",
        "inverse_dynamics",
        None,
        PretrainConfig(steps=3, batch_size=8),
        progress=False,
    )
    assert load_encoder(encoder).config.image_size == 32


def test_the_early_fusion_labeller_labels_a_store(tiny_store, tiny_finetune_store, tmp_path):
    from dynarep.label.idm import LabellerConfig
    from dynarep.label.label import label

    config = LabellerConfig(fusion="early", steps=3, batch_size=4, validation=0.0)
    out = label(tiny_store, tiny_finetune_store, tmp_path / "idm", config, "relabel", progress=False)
    store = EpisodeStore(out)
    assert store.actions.shape == (len(store.images), 2) and np.abs(store.actions).max() <= 1
    labels = json.loads((out / "meta" / "info.json").read_text())["labels"]
    assert labels["labeller"]["config"]["fusion"] == "early"
    with pytest.raises(ValueError, match="--encoder: only the late-fusion"):
        label(tiny_store, tiny_finetune_store, tmp_path / "x", replace(config, encoder="runs/id"), "relabel")
