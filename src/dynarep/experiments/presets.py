"""Benchmark presets: how big each part of a comparison is, per suite.

Point mass: ``quick`` fits in 10 minutes on 2 CPU cores; ``cpu`` is the largest setting that shows
the published effect on such a CPU in about 90 minutes; ``paper`` follows the protocol's sizes (84 px,
1000 episodes, 100k pretraining and 10k finetuning steps) and wants a GPU. Metaworld: ``quick``
fits in 30 minutes, ``cpu`` in about 3 hours, ``paper`` is the protocol's (120 px, 1000 or 10,000
episodes, 100k/200k steps).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from dynarep.config_checks import AT_LEAST_0, AT_LEAST_1, IMAGE_SIZE, POSITIVE, Checked

PRETRAINED_BACKBONE = "resnet18"
"""The architecture of frozen baseline rows from local weights (``benchmark --pretrained
imagenet=PATH r3m=PATH``): the paper's ImageNet and R3M baselines are ResNet-18s."""


@dataclass(frozen=True)
class Preset(Checked):
    """Every size of a benchmark run."""

    image_size: Annotated[int, IMAGE_SIZE] = 32
    """Frame side in pixels."""
    pretrain_episodes: Annotated[int, AT_LEAST_1] = 300
    """Pretraining corpus size, one hidden goal per episode."""
    pretrain_steps: dict[str, int] = field(default_factory=lambda: {"inverse_dynamics": 1500, "bc": 1500})
    """Pretraining steps per objective."""
    pretrain_batch: Annotated[int, AT_LEAST_1] = 128
    """Pretraining batch size."""
    pretrain_lr: Annotated[float, POSITIVE] = 1e-3
    """Pretraining base learning rate, scaled by pretrain_batch/256 as the protocol does (§3.4):
    the peak is lr * batch / 256."""
    horizon: Annotated[int, AT_LEAST_1] = 1
    """Inverse-dynamics horizon k."""
    pretrain_shift: Annotated[int, AT_LEAST_0] = 0
    """Random-shift pixels during pretraining."""
    pretrain_seeds: Annotated[int, AT_LEAST_1] = 1
    """Encoders per pretraining objective (pretraining seeds 0..n-1); finetuning seed i uses
    encoder i mod n, so that a ranking does not hang on one encoder."""
    demos: Annotated[tuple[int, ...], AT_LEAST_1] = (2,)
    """Finetuning set sizes (episodes of the new context)."""
    seeds: Annotated[int, AT_LEAST_1] = 5
    """Finetuning seeds; each has its own hidden goal and demos (seed = 1e6 + i)."""
    finetune_steps: Annotated[int, AT_LEAST_0] = 2000
    """Head-training steps on frozen features (and the state oracle)."""
    scratch_steps: Annotated[int, AT_LEAST_0] = 1000
    """End-to-end steps of the from-scratch pixel baseline."""
    scratch_batch: Annotated[int, AT_LEAST_1] = 32
    """Batch of the from-scratch baseline (pixels are costly on a CPU). At quick scale 32 gives the
    same success as 64 (0.16 at 2 demos) in half the time (RESULTS.md, issue 11)."""
    scratch_shift: Annotated[int, AT_LEAST_0] = 2
    """Random-shift pixels for the from-scratch baseline."""
    eval_episodes: Annotated[int, AT_LEAST_1] = 50
    """Rollouts per (method, seed, demos)."""
    methods: tuple[str, ...] = ("inverse_dynamics", "bc", "scratch", "random", "state")
    """Rows of the table: pretraining objectives, then baselines."""
    probe_episodes: Annotated[int, AT_LEAST_0] = 50
    """Held-out episodes (own goals) for the state-decodability probes; 0 skips probing."""
    probe_mlp_steps: Annotated[int, AT_LEAST_0] = 1000
    """Adam steps of the MLP probe."""
    workers: Annotated[int, AT_LEAST_1] = 2
    """Processes for collection and for the finetune + evaluate jobs."""
    encoder_options: dict[str, Any] = field(default_factory=dict)
    """Overrides of the pretrained encoders' architecture (``EncoderConfig`` fields, e.g.
    {"channels": [32, 32, 64, 64], "keypoints": 64}) on top of the default for the frame size: a
    sweep axis that separates encoder width from frame size."""
    finetune_options: dict[str, float | bool] = field(default_factory=dict)
    """Overrides of ``FinetuneConfig`` fields for every policy (e.g. {"dropout": 0.3}); a sweep
    axis for the few-shot head."""

    def encoder_name(self, method: str, finetune_seed: int) -> str:
        """The encoder folder (under ``encoders/``) that finetuning seed ``finetune_seed`` of
        ``method`` uses: ``METHOD`` for pretraining seed 0, ``METHOD-pretrainK`` for seed K."""
        k = finetune_seed % self.pretrain_seeds
        return method if k == 0 else f"{method}-pretrain{k}"

    @classmethod
    def from_dict(cls, data: dict) -> Preset:
        """Inverse of ``dataclasses.asdict`` after a JSON round trip (lists back to tuples)."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


POINTMASS_PRESETS: dict[str, Preset] = {
    "quick": Preset(),
    # 64 px frames (the mass covers ~3 px instead of ~1: ID's probe error halves, issue 11), three
    # encoders per objective so that the ranking does not hang on one pretraining run, and 3000
    # pretraining steps (against 2000: ID 0.68 -> 0.70 and BC 0.48 -> 0.34 at 2 demos, ID's probe
    # 10 -> 8 mm), paid for by leaving out the 1-demo column (~0.04 for every method) and the
    # 10-demo one (every method near the expert's ceiling). Base lr 2e-3 at batch 128 peaks at 1e-3,
    # the paper's peak (base 1e-3 at batch 256); the default peaks at 5e-4. Finetuned on all six
    # goals at 2 demos, the three ID encoders rose 0.67/0.72/0.70 -> 0.77/0.79/0.77 with it and
    # the two BC encoders measured fell 0.36/0.37 -> 0.28/0.31 (RESULTS.md, issue 11)
    "cpu": Preset(
        image_size=64,
        pretrain_episodes=1000,
        pretrain_steps={"inverse_dynamics": 3000, "bc": 3000},
        pretrain_lr=2e-3,
        pretrain_seeds=3,
        demos=(2, 5),
        seeds=6,
        finetune_steps=3000,
        scratch_steps=1000,
        scratch_batch=32,
        scratch_shift=4,
        eval_episodes=50,
        probe_episodes=100,
    ),
    "paper": Preset(
        image_size=84,
        pretrain_episodes=1000,
        pretrain_steps={"inverse_dynamics": 100_000, "bc": 100_000},
        pretrain_batch=256,
        pretrain_shift=8,
        demos=(1, 2, 5, 10),
        finetune_steps=10_000,
        scratch_steps=10_000,
        scratch_batch=256,
        scratch_shift=8,
        eval_episodes=100,
        probe_episodes=200,
        probe_mlp_steps=10_000,
    ),
}

# Metaworld pick-place with the goal hidden (protocol §2.5: 1000 pretraining episodes, 20 demos of
# one configuration, 2/5/10/20 demos, 120 px). Episodes stop on success (~50-60 expert steps), but a
# failing rollout runs 250 steps of rendering, so evaluation dominates the CPU presets. The state
# oracle standardises its raw hand + object coordinates (metres): 0.51 -> 0.96 at 5 demos on the
# `cpu` preset; on the point mass the same costs the oracle 0.81 -> 0.70, so it stays off there.
METAWORLD_FINETUNE = {"standardize_states": True}
PICK_PLACE_PRESETS: dict[str, Preset] = {
    "quick": Preset(
        image_size=64,
        pretrain_episodes=200,
        pretrain_steps={"inverse_dynamics": 1500, "bc": 1500},
        pretrain_batch=64,
        demos=(5,),
        finetune_steps=2000,
        scratch_steps=800,
        scratch_batch=32,
        scratch_shift=4,
        eval_episodes=20,
        probe_episodes=20,
        finetune_options=METAWORLD_FINETUNE,
    ),
    "cpu": Preset(
        image_size=64,
        pretrain_episodes=500,
        pretrain_steps={"inverse_dynamics": 4000, "bc": 4000},
        pretrain_batch=64,
        demos=(2, 5),
        finetune_steps=3000,
        scratch_steps=1500,
        scratch_batch=32,
        scratch_shift=4,
        eval_episodes=30,
        probe_episodes=40,
        finetune_options=METAWORLD_FINETUNE,
    ),
}

PICK_PLACE_PRESETS["paper"] = replace(
    POINTMASS_PRESETS["paper"], image_size=120, demos=(2, 5, 10, 20), finetune_options=METAWORLD_FINETUNE
)

# Door (goal visible; finetuning sets of one episode per configuration; 1000 episodes, 100k steps).
DOOR_PRESETS: dict[str, Preset] = {
    "quick": replace(PICK_PLACE_PRESETS["quick"], demos=(10,)),
    "cpu": replace(PICK_PLACE_PRESETS["cpu"], pretrain_episodes=1000, demos=(5, 10)),
    "paper": PICK_PLACE_PRESETS["paper"],
}

# The ML45 and R3M splits: as door, but the paper pretrains on 10,000 episodes for 200k steps.
SPLIT_PRESETS: dict[str, Preset] = {
    **DOOR_PRESETS,
    "paper": replace(
        DOOR_PRESETS["paper"],
        pretrain_episodes=10_000,
        pretrain_steps={"inverse_dynamics": 200_000, "bc": 200_000},
    ),
}
