import json

import numpy as np
import pytest

from dynarep.envs.pointmass import PointMassConfig
from dynarep.evaluate.rollout import evaluate
from dynarep.train.finetune import FinetuneConfig, finetune
from dynarep.train.policy import load_policy
from dynarep.train.pretrain import PretrainConfig, pretrain

FAST = FinetuneConfig(demos=2, steps=20, batch_size=32)


@pytest.fixture(scope="module")
def encoder_path(tiny_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("enc")
    return pretrain(
        tiny_store, out, "inverse_dynamics", config=PretrainConfig(steps=5, batch_size=8), progress=False
    )


@pytest.mark.parametrize("policy_type", ["frozen", "scratch", "state"])
def test_finetune_writes_a_loadable_policy(tiny_finetune_store, encoder_path, tmp_path, policy_type):
    encoder = encoder_path if policy_type == "frozen" else None
    out = finetune(tiny_finetune_store, tmp_path, policy_type, encoder, FAST, progress=False)
    policy, config = load_policy(out)
    assert config["policy_type"] == policy_type and config["task_index"] == 1_000_000
    assert (out / "policy.safetensors").exists()


def test_frozen_finetuning_leaves_the_encoder_unchanged(tiny_finetune_store, encoder_path, tmp_path):
    from dynarep.train.encoder_io import load_encoder

    policy, _ = load_policy(
        finetune(tiny_finetune_store, tmp_path, "frozen", encoder_path, FAST, progress=False)
    )
    original = load_encoder(encoder_path)
    for name, value in original.state_dict().items():
        assert np.array_equal(value.numpy(), policy.encoder.state_dict()[name].numpy())


def test_frozen_policy_needs_an_encoder(tiny_finetune_store, tmp_path):
    with pytest.raises(ValueError, match="--encoder"):
        finetune(tiny_finetune_store, tmp_path, "frozen", None, FAST, progress=False)


def test_asking_for_more_demos_than_stored_is_a_clear_error(tiny_finetune_store, tmp_path):
    from dynarep.data.store import StoreError

    with pytest.raises(StoreError, match="asked for 9 episodes but the store holds 4"):
        finetune(tiny_finetune_store, tmp_path, "state", None, FinetuneConfig(demos=9), progress=False)


def test_evaluate_appends_one_record_per_episode(tiny_finetune_store, encoder_path, tmp_path):
    out = finetune(tiny_finetune_store, tmp_path / "p", "frozen", encoder_path, FAST, progress=False)
    results = tmp_path / "results.jsonl"
    records = evaluate(out, episodes=3, seed=0, out=results, progress=False)
    evaluate(out, episodes=3, seed=1, out=results, progress=False)
    lines = [json.loads(x) for x in results.read_text().splitlines()]
    assert len(records) == 3 and len(lines) == 6
    assert {"seed", "success", "steps", "return", "min_distance", "expert_success"} <= set(lines[0])
    assert [x["seed"] for x in lines] == [0, 0, 0, 1, 1, 1]


def test_state_oracle_learns_to_reach_the_hidden_goal(tmp_path):
    """Behaviour, not 'it ran': BC on 10 expert demos of one goal reaches it from new starts."""
    from dynarep.data.collect import CollectSpec, collect

    env = PointMassConfig(image_size=32)
    store = tmp_path / "ft"
    collect(
        store, env, CollectSpec(episodes=10, first_task=7, episodes_per_task=10), workers=1, progress=False
    )
    out = finetune(
        store,
        tmp_path / "p",
        "state",
        None,
        FinetuneConfig(demos=10, steps=400, batch_size=128),
        progress=False,
    )
    policy, config = load_policy(out)
    assert config["task_index"] == 7 and policy.state_columns == (0, 1)
    records = evaluate(out, episodes=30, seed=0, progress=False)
    expert = np.mean([r["expert_success"] for r in records])
    success = np.mean([r["success"] for r in records])
    assert success >= 0.6 * expert


def test_standardized_state_policy_reads_raw_states_and_fits_faster(tiny_finetune_store, tmp_path):
    """The saved policy takes raw states (the standardisation is folded in) and, on metre-scale
    inputs, fits the demos in fewer steps than the raw-input head."""
    import torch

    from dynarep.data.store import EpisodeStore

    store = EpisodeStore(tiny_finetune_store)
    rows = np.flatnonzero(store.episode_index < 2)
    states = torch.from_numpy(store.states[rows][:, :2])
    actions = torch.from_numpy(store.actions[rows])
    errors = {}
    for flag in (False, True):
        config = FinetuneConfig(demos=2, steps=60, batch_size=32, dropout=0.0, standardize_states=flag)
        policy, _ = load_policy(
            finetune(tiny_finetune_store, tmp_path / str(flag), "state", None, config, progress=False)
        )
        with torch.no_grad():
            errors[flag] = torch.mean((policy(None, states) - actions) ** 2).item()
    assert errors[True] < 0.8 * errors[False]
