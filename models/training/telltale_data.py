"""Loading a `telltale dataset` folder and applying the model contract's split, runs and windows.

The contract (see models/manifest.json "split" and models/training/README.md):
  * split by time: block = floor(ts / B) with B the manifest's blockSeconds (chosen by
    `choose_block_seconds` from label counts alone); block % 5 == 4 -> validation, == 3 ->
    calibration, otherwise train;
  * a run is a maximal stretch of consecutive rows with the same segment and the same split;
    sequence windows never cross a run boundary;
  * a model's classes are the labels that have packets in its training data, in meta.json order,
    where devices an observer cannot tell apart may be one class (`groups`: label -> class name);
  * flow pooling (NAPT): the observer sees which packets share a flow, and a flow belongs to one
    device, so per-packet probabilities are pooled over the packets of a flow within a run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

SPLIT_TRAIN = 0
SPLIT_CALIBRATION = 1
SPLIT_VALIDATION = 2
SPLIT_NAMES = ("train", "calibration", "validation")
# candidate block lengths, longest first (the longest that gives every device enough packets in every fold wins)
BLOCK_CANDIDATES = (1800, 1200, 900, 600)
MIN_FOLD_PACKETS = 30


def split_rule(block_seconds: int) -> dict:
    return {
        "unit": "packet timestamp (UTC seconds)",
        "blockSeconds": block_seconds,
        "block": f"floor(ts / {block_seconds})",
        "validation": "block % 5 == 4",
        "calibration": "block % 5 == 3 (temperature, unknown threshold, early stopping, every choice; a training fold)",
        "train": "every other block",
        "runs": ("maximal stretch of consecutive rows with the same segment and the same split; "
                 "windows never cross runs"),
        "blockChoice": (f"the longest of {list(BLOCK_CANDIDATES)} s for which every labelled device has at least "
                        f"{MIN_FOLD_PACKETS} packets in each of train, calibration and validation (label counts "
                        "only; no model is involved)"),
    }


def split_of(ts: np.ndarray, block_seconds: int) -> np.ndarray:
    """Split id (0 train, 1 calibration, 2 validation) of every packet, by UTC time block."""
    block = np.floor(ts / block_seconds).astype(np.int64)
    rem = block % 5
    split = np.zeros(ts.shape[0], dtype=np.int8)
    split[rem == 3] = SPLIT_CALIBRATION
    split[rem == 4] = SPLIT_VALIDATION
    return split


def runs_of(segment: np.ndarray, split: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) row ranges of the runs (same segment, same split, consecutive rows)."""
    n = segment.shape[0]
    if n == 0:
        return []
    change = np.r_[True, (segment[1:] != segment[:-1]) | (split[1:] != split[:-1])]
    starts = np.flatnonzero(change)
    ends = np.r_[starts[1:], n]
    return [(int(s), int(e)) for s, e in zip(starts, ends)]


def choose_block_seconds(folder: str) -> tuple[int, dict]:
    """The split's block length from label counts alone (see split_rule), with the counts seen."""
    raw = np.load(os.path.join(folder, "labels.npy"))
    ts = np.load(os.path.join(folder, "ts.npy"))
    tried = {}
    for b in BLOCK_CANDIDATES:
        sp = split_of(ts, b)
        labelled = raw >= 0
        counts = np.stack([np.bincount(raw[labelled & (sp == s)], minlength=int(raw.max()) + 1) for s in range(3)])
        present = counts.sum(axis=0) > 0
        least = int(counts[:, present].min())
        tried[str(b)] = least
        if least >= MIN_FOLD_PACKETS:
            return b, tried
    return BLOCK_CANDIDATES[-1], tried


@dataclass
class ViewData:
    """One view's dataset with targets remapped to class indices (-1 = not a target)."""

    view: str
    folder: str
    meta: dict
    features: np.ndarray  # float32 [N, F]
    raw_labels: np.ndarray  # int16 [N], meta.json label indices, -1 / -2 for no device / tunnel
    targets: np.ndarray  # int64 [N], class index or -1
    split: np.ndarray  # int8 [N]
    runs: list[tuple[int, int]]
    run_split: list[int]
    classes: list[str]  # class names in output order
    class_label_index: list[int]  # meta.json label index of each class's first member
    flow: np.ndarray  # int64 [N]: segment-unique flow key the observer sees, -1 none
    pool_flows: bool  # pool probabilities over flows (the observer sees flows)
    class_members: dict  # class name -> meta.json label names it stands for (only merged classes)

    @property
    def feature_names(self) -> list[str]:
        return list(self.meta["featureNames"])

    def runs_in(self, split: int) -> list[tuple[int, int]]:
        return [r for r, s in zip(self.runs, self.run_split) if s == split]

    def class_counts(self, split: int) -> np.ndarray:
        t = self.targets[self.split == split]
        return np.bincount(t[t >= 0], minlength=len(self.classes))


def load_view(folder: str, view: str, block_seconds: int, groups: dict | None = None) -> ViewData:
    """One view's dataset; `groups` maps a meta.json label to the class it is scored as (merged
    devices), every other label is its own class."""
    groups = groups or {}
    with open(os.path.join(folder, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    features = np.load(os.path.join(folder, "features.npy"))
    raw = np.load(os.path.join(folder, "labels.npy"))
    ts = np.load(os.path.join(folder, "ts.npy"))
    segment = np.load(os.path.join(folder, "segment.npy"))
    flow_path = os.path.join(folder, "flow.npy")
    flow_ids = np.load(flow_path) if os.path.exists(flow_path) else np.full(len(raw), -1, dtype=np.int32)
    flow = np.where(flow_ids >= 0, segment.astype(np.int64) * (1 << 32) + flow_ids.astype(np.int64), -1)
    split = split_of(ts, block_seconds)
    train_raw = raw[(split == SPLIT_TRAIN) & (raw >= 0)]
    present = set(np.unique(train_raw).tolist())
    labels = meta["labels"]
    classes: list[str] = []
    class_label_index: list[int] = []
    members: dict[str, list[str]] = {}
    remap = np.full(len(labels), -1, dtype=np.int64)
    for i, name in enumerate(labels):
        if i not in present:
            continue
        cname = groups.get(name, name)
        if cname not in classes:
            classes.append(cname)
            class_label_index.append(i)
        remap[i] = classes.index(cname)
        members.setdefault(cname, []).append(name)
    targets = np.where(raw >= 0, remap[np.maximum(raw, 0)], -1).astype(np.int64)
    runs = runs_of(segment, split)
    run_split = [int(split[s]) for s, _ in runs]
    merged = {c: m for c, m in members.items() if len(m) > 1}
    return ViewData(view, folder, meta, features, raw, targets, split, runs, run_split, classes, class_label_index,
                    flow, bool((flow >= 0).any()), merged)


POOL_EPSILON = 1e-3


def pool_flows(probs: np.ndarray, data: ViewData, runs: list[tuple[int, int]], eps: float = POOL_EPSILON) -> np.ndarray:
    """Flow pooling of the contract: within each run, every packet of a flow gets the normalised
    geometric mean of (p + eps) over that flow's packets in the run; packets without a flow keep
    their own vector. float32 [N, C]; rows outside `runs` are returned unchanged."""
    if not data.pool_flows or not runs:
        return probs
    rows = np.concatenate([np.arange(s, e) for s, e in runs])
    run_id = np.concatenate([np.full(e - s, k, dtype=np.int64) for k, (s, e) in enumerate(runs)])
    f = data.flow[rows]
    has = f >= 0
    rows, run_id, f = rows[has], run_id[has], f[has]
    _, inv, counts = np.unique(np.stack([run_id, f], axis=1), axis=0, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    logp = np.log(probs[rows].astype(np.float64) + eps)
    acc = np.zeros((len(counts), probs.shape[1]), dtype=np.float64)
    np.add.at(acc, inv, logp)
    mean = acc / counts[:, None]
    mean -= mean.max(axis=1, keepdims=True)
    e = np.exp(mean)
    pooled = (e / e.sum(axis=1, keepdims=True))[inv]
    out = probs.copy()
    out[rows] = pooled.astype(np.float32)
    return out


def inference_window_starts(n: int, window: int, stride: int) -> list[int]:
    """Window starts for a run of n packets, exactly as the contract (and the runtime) cut them.

    Starts 0, S, 2S, ... while start + W < n, then a last window at max(0, n - W). A run shorter
    than W gets one window at 0 (padded with zeros at the end by the caller).
    """
    starts = []
    s = 0
    while s + window < n:
        starts.append(s)
        s += stride
    starts.append(max(0, n - window))
    return starts


def gather_windows(features: np.ndarray, targets: np.ndarray, runs: list[tuple[int, int]], window: int,
                   starts_per_run: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack windows into X [B, W, F] (zero padded), Y [B, W] (-1 on padding) and the absolute row
    index of every window position (-1 on padding)."""
    total = sum(len(s) for s in starts_per_run)
    f = features.shape[1]
    x = np.zeros((total, window, f), dtype=np.float32)
    y = np.full((total, window), -1, dtype=np.int64)
    rows = np.full((total, window), -1, dtype=np.int64)
    b = 0
    for (r0, r1), starts in zip(runs, starts_per_run):
        for s in starts:
            a = r0 + s
            e = min(a + window, r1)
            k = e - a
            x[b, :k] = features[a:e]
            y[b, :k] = targets[a:e]
            rows[b, :k] = np.arange(a, e)
            b += 1
    return x, y, rows
