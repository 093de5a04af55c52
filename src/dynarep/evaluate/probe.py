"""``dynarep probe``: how well does a frozen φ encode the true state? (protocol §4.6)

Linear (ridge, closed form) and MLP(256, 256) probes map φ(o) to the state groups the environment
names (the point mass's position; Metaworld's hand and object positions) and, for the record, to
the hidden context, which an image without the goal cannot reveal. Episodes are split
into train and validation sets, so a probe that memorises frames is caught by its validation error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from dynarep.data.store import EpisodeStore
from dynarep.envs import make_environment
from dynarep.evaluate.probe_config import ProbeConfig
from dynarep.nets.mlp import mlp
from dynarep.train.encoder_io import encoder_cameras, load_encoder


@torch.no_grad()
def embed_store(encoder: torch.nn.Module, store: EpisodeStore, batch: int = 1024) -> np.ndarray:
    return np.concatenate(
        [
            encoder(torch.from_numpy(np.array(store.images[i : i + batch]))).numpy()
            for i in range(0, len(store.images), batch)
        ]
    )


def _rmse(prediction: np.ndarray, target: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.sum((prediction - target) ** 2, axis=1))))


def linear_probe(
    x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, ridge: float
) -> tuple[float, float]:
    add_bias = lambda a: np.hstack([a, np.ones((len(a), 1))])  # noqa: E731
    xb = add_bias(x)
    weights = np.linalg.solve(xb.T @ xb + ridge * len(x) * np.eye(xb.shape[1]), xb.T @ y)
    return _rmse(xb @ weights, y), _rmse(add_bias(x_val) @ weights, y_val)


def mlp_probe(
    x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, config: ProbeConfig
) -> tuple[float, float]:
    torch.manual_seed(config.seed)
    net = mlp(x.shape[1], y.shape[1], dropout=0.0, tanh_output=False)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x).float(), torch.from_numpy(y).float()
    generator = torch.Generator().manual_seed(config.seed)
    for _ in range(config.mlp_steps):
        idx = torch.randint(0, len(xt), (256,), generator=generator)
        loss = torch.mean((net(xt[idx]) - yt[idx]) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        fit = net(xt).numpy()
        val = net(torch.from_numpy(x_val).float()).numpy()
    return _rmse(fit, y), _rmse(val, y_val)


def probe(
    encoder_path: str | Path, store_path: str | Path, config: ProbeConfig | None = None
) -> dict[str, float]:
    """Train/validation RMSE in millimetres of each probe and target, keyed like
    ``probe/linear/position/val_mm``."""
    config = config or ProbeConfig()
    encoder = load_encoder(encoder_path)
    store = EpisodeStore(store_path).use_cameras(encoder_cameras(encoder_path))
    if encoder.config.image_size != store.image_size:
        raise ValueError(
            f"--encoder takes {encoder.config.image_size} px frames, {store.root} holds {store.image_size} px"
        )
    if store.num_episodes < 2:
        raise ValueError(f"{store.root}: probing needs at least 2 episodes (train and validation)")
    features = embed_store(encoder, store)
    environment = make_environment(store.env_config)
    targets = {name: store.states[:, list(columns)] for name, columns in environment.probe_targets.items()}
    targets["goal"] = store.contexts[store.episode_index]
    n_train = min(max(1, int(round(config.train_fraction * store.num_episodes))), store.num_episodes - 1)
    train = store.episode_index < n_train
    results = {}
    for name, y in targets.items():
        y = y.astype(np.float64)
        fits = {
            "linear": linear_probe(features[train], y[train], features[~train], y[~train], config.ridge),
            "mlp": mlp_probe(features[train], y[train], features[~train], y[~train], config),
        }
        for kind, (fit, val) in fits.items():
            results[f"probe/{kind}/{name}/train_mm"] = 1000 * fit
            results[f"probe/{kind}/{name}/val_mm"] = 1000 * val
    return results
