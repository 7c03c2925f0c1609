"""The paper's random-forest baseline: one packet's feature vector -> device.

Imbalance: at most `cap_per_class` training rows per class (drawn with a fixed seed), and
class_weight="balanced_subsample" inside every bootstrap. Size is capped by the number of trees,
max_depth and min_samples_leaf so the ONNX file stays a few MB.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, asdict

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from telltale_data import ViewData, SPLIT_TRAIN


@dataclass
class ForestConfig:
    n_estimators: int = 60
    max_depth: int = 18
    min_samples_leaf: int = 3
    cap_per_class: int = 12000
    max_features: str = "sqrt"
    seed: int = 1

    def to_json(self) -> dict:
        return asdict(self)


def training_rows(data: ViewData, cap: int, seed: int, targets: np.ndarray | None = None) -> np.ndarray:
    """Row indices of train-split labelled packets, at most `cap` per class (fixed seed)."""
    targets = data.targets if targets is None else targets
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(len(data.classes)):
        idx = np.flatnonzero((data.split == SPLIT_TRAIN) & (targets == c))
        if len(idx) > cap:
            idx = np.sort(rng.choice(idx, cap, replace=False))
        rows.append(idx)
    return np.sort(np.concatenate(rows))


def train_forest(data: ViewData, cfg: ForestConfig) -> tuple[RandomForestClassifier, dict]:
    t0 = time.time()
    rows = training_rows(data, cfg.cap_per_class, cfg.seed)
    forest = RandomForestClassifier(
        n_estimators=cfg.n_estimators, max_depth=cfg.max_depth, min_samples_leaf=cfg.min_samples_leaf,
        max_features=cfg.max_features, class_weight="balanced_subsample", random_state=cfg.seed, n_jobs=1)
    forest.fit(data.features[rows], data.targets[rows])
    nodes = int(sum(e.tree_.node_count for e in forest.estimators_))
    counts = np.bincount(data.targets[rows], minlength=len(data.classes))
    info = {"config": cfg.to_json(), "trainingRows": int(len(rows)),
            "rowsPerClass": {n: int(k) for n, k in zip(data.classes, counts)}, "nodes": nodes,
            "trainSeconds": round(time.time() - t0, 1)}
    return forest, info
