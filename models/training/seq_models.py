"""LSTM / BiLSTM packet taggers: training, contract-exact stitched inference and ONNX export.

A tagger reads a window [batch, W, F] of per-packet feature vectors and returns a class
probability vector for every packet of the window. Exported graphs take "features" and return
"probabilities" (softmax of logits / temperature, temperature baked in), opset 17, native LSTM op.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from telltale_data import ViewData, SPLIT_TRAIN, SPLIT_CALIBRATION, gather_windows, inference_window_starts, pool_flows


@dataclass
class SeqConfig:
    """Architecture and training recipe of one sequence tagger."""

    kind: str = "blstm"  # "lstm" or "blstm"
    hidden: int = 64
    layers: int = 2
    window: int = 64
    epochs: int = 12
    batch: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-5
    dropout: float = 0.0
    embed: int = 0  # >0: per-packet Linear+ReLU embedding of this size before the LSTM
    head_hidden: int = 0  # >0: per-packet MLP head with this hidden size (else one Linear)
    skip: bool = False  # the head also sees the packet's own input features
    # class weight = count^-power, normalised to a packet-weighted mean of 1 (0.5 = inverse sqrt)
    class_weight_power: float = 0.5
    # probability to keep a training window whose only targets are the most frequent class
    keep_dominant_only: float = 0.15
    patience: int = 4
    max_seconds: float = 1e9  # stop training after this wall time (checked per epoch)
    seed: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def stride(self) -> int:
        return max(1, self.window // 2)

    @property
    def bidirectional(self) -> bool:
        return self.kind == "blstm"

    def macs_per_packet_step(self, n_features: int, n_classes: int) -> int:
        """Multiply-adds per packet per window position (LSTM gates + output layer)."""
        dirs = 2 if self.bidirectional else 1
        total = 0
        inp = n_features
        if self.embed:
            total += n_features * self.embed
            inp = self.embed
        for _ in range(self.layers):
            total += dirs * 4 * self.hidden * (inp + self.hidden)
            inp = dirs * self.hidden
        if self.skip:
            inp += n_features
        if self.head_hidden:
            total += inp * self.head_hidden
            inp = self.head_hidden
        return total + inp * n_classes


class PacketTagger(nn.Module):
    """Optional per-packet embedding, (Bi)LSTM over the window, then a per-packet head (one linear
    layer, or a small MLP that may also see the packet's own features)."""

    def __init__(self, n_features: int, n_classes: int, cfg: SeqConfig):
        super().__init__()
        self.skip = cfg.skip
        self.embed = nn.Sequential(nn.Linear(n_features, cfg.embed), nn.ReLU()) if cfg.embed else None
        lstm_in = cfg.embed or n_features
        self.lstm = nn.LSTM(lstm_in, cfg.hidden, num_layers=cfg.layers, batch_first=True,
                            bidirectional=cfg.bidirectional, dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        head_in = cfg.hidden * (2 if cfg.bidirectional else 1) + (n_features if cfg.skip else 0)
        if cfg.head_hidden:
            self.mlp = nn.Sequential(nn.Linear(head_in, cfg.head_hidden), nn.ReLU())
            head_in = cfg.head_hidden
        else:
            self.mlp = None
        self.head = nn.Linear(head_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(self.embed(x) if self.embed is not None else x)
        if self.skip:
            h = torch.cat([h, x], dim=-1)
        if self.mlp is not None:
            h = self.mlp(h)
        return self.head(h)


class CalibratedTagger(nn.Module):
    """Export wrapper: probabilities = softmax(logits / temperature) over the class axis."""

    def __init__(self, tagger: PacketTagger, temperature: float):
        super().__init__()
        self.tagger = tagger
        self.register_buffer("inv_temperature", torch.tensor(1.0 / temperature, dtype=torch.float32))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.tagger(features) * self.inv_temperature, dim=-1)


def class_weights(counts: np.ndarray, power: float) -> np.ndarray:
    """count^-power, normalised so that the packet-weighted mean weight is 1 (absent classes: 0)."""
    w = np.zeros(len(counts), dtype=np.float64)
    have = counts > 0
    w[have] = counts[have].astype(np.float64) ** (-power)
    w *= counts.sum() / max((w * counts).sum(), 1e-12)
    return w


def _training_windows(data: ViewData, targets: np.ndarray, cfg: SeqConfig, rng: np.random.Generator,
                      dominant: int) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's windows: back to back (stride W) from a random offset per run, so every packet is
    seen once per epoch at a new position; windows whose targets are all the dominant class (or
    none) are kept with probability keep_dominant_only."""
    w = s = cfg.window
    runs = data.runs_in(SPLIT_TRAIN)
    starts_per_run = []
    for r0, r1 in runs:
        n = r1 - r0
        if n <= w:
            starts_per_run.append([0])
            continue
        off = int(rng.integers(0, s))
        starts_per_run.append(list(range(off, n - w + 1, s)))
    x, y, _ = gather_windows(data.features, targets, runs, w, starts_per_run)
    labelled = y >= 0
    other = labelled & (y != dominant)
    has_other = other.any(axis=1)
    has_any = labelled.any(axis=1)
    keep = has_other | (has_any & (rng.random(len(y)) < cfg.keep_dominant_only))
    idx = np.flatnonzero(keep)
    rng.shuffle(idx)
    return x[idx], y[idx]


def window_logits(model: nn.Module, x: np.ndarray, batch: int = 512) -> np.ndarray:
    """Logits [B, W, C] of a stack of windows."""
    model.eval()
    outs = []
    with torch.no_grad():
        for b0 in range(0, len(x), batch):
            outs.append(model(torch.from_numpy(x[b0:b0 + batch])).numpy())
    return np.concatenate(outs) if outs else np.zeros((0,) + x.shape[1:2] + (model.head.out_features,), np.float32)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def contract_windows(data: ViewData, runs: list[tuple[int, int]], window: int, stride: int):
    """The inference windows of the contract over these runs: X [B, W, F] and row ids (-1 = padding)."""
    starts = [inference_window_starts(r1 - r0, window, stride) for r0, r1 in runs]
    x, _, rows = gather_windows(data.features, data.targets, runs, window, starts)
    return x, rows


def stitch(window_probs: np.ndarray, rows: np.ndarray, n_rows: int) -> np.ndarray:
    """Mean of the window probability vectors covering each row; float32 [n_rows, C] (0 = not covered)."""
    c = window_probs.shape[-1]
    r = rows.reshape(-1)
    m = r >= 0
    acc = np.zeros((n_rows, c), dtype=np.float64)
    cover = np.bincount(r[m], minlength=n_rows).astype(np.float64)
    for k in range(c):
        acc[:, k] = np.bincount(r[m], weights=window_probs.reshape(-1, c)[m, k].astype(np.float64), minlength=n_rows)
    out = np.zeros((n_rows, c), dtype=np.float32)
    have = cover > 0
    out[have] = (acc[have] / cover[have, None]).astype(np.float32)
    return out


def predict_stitched(model: nn.Module, data: ViewData, runs: list[tuple[int, int]], window: int, stride: int,
                     temperature: float = 1.0) -> np.ndarray:
    """Per-packet probabilities over the given runs, stitched (and flow-pooled where the view has
    flows) exactly as the contract says.

    Returns float32 [N, C] for all dataset rows; rows outside the runs stay 0.
    """
    x, rows = contract_windows(data, runs, window, stride)
    return pool_flows(stitch(softmax(window_logits(model, x) / temperature), rows, data.features.shape[0]), data, runs)


def macro_recall(probs: np.ndarray, targets: np.ndarray, rows_mask: np.ndarray, n_classes: int) -> float:
    m = rows_mask & (targets >= 0)
    pred = probs[m].argmax(axis=1)
    t = targets[m]
    rec = []
    for c in range(n_classes):
        k = t == c
        if k.any():
            rec.append(float((pred[k] == c).mean()))
    return float(np.mean(rec)) if rec else 0.0


def train_tagger(data: ViewData, cfg: SeqConfig, targets: np.ndarray | None = None,
                 log=print) -> tuple[PacketTagger, dict]:
    """Train on the train fold; early stopping on macro recall of the calibration fold.

    targets: per-row class indices to learn (default data.targets); rows with -1 are context only.
    """
    targets = data.targets if targets is None else targets
    n_classes = len(data.classes)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    train_rows = data.split == SPLIT_TRAIN
    counts = np.bincount(targets[train_rows & (targets >= 0)], minlength=n_classes)
    weights = class_weights(counts, cfg.class_weight_power)
    dominant = int(np.argmax(counts))
    model = PacketTagger(data.features.shape[1], n_classes, cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs, eta_min=cfg.lr * 0.05)
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32), ignore_index=-1)
    cal_runs = data.runs_in(SPLIT_CALIBRATION)
    cal_rows = data.split == SPLIT_CALIBRATION
    best = (-1.0, None, 0)
    history = []
    t0 = time.time()
    stale = 0
    for epoch in range(cfg.epochs):
        model.train()
        x, y = _training_windows(data, targets, cfg, rng, dominant)
        total = 0.0
        for b0 in range(0, len(x), cfg.batch):
            xb = torch.from_numpy(x[b0:b0 + cfg.batch])
            yb = torch.from_numpy(y[b0:b0 + cfg.batch])
            logits = model(xb)
            loss = loss_fn(logits.reshape(-1, n_classes), yb.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += float(loss) * len(xb)
        sched.step()
        probs = predict_stitched(model, data, cal_runs, cfg.window, cfg.stride)
        cal = macro_recall(probs, targets, cal_rows, n_classes)
        history.append({"epoch": epoch + 1, "windows": int(len(x)), "loss": round(total / max(len(x), 1), 5),
                        "calibrationMacroRecall": round(cal, 5), "seconds": round(time.time() - t0, 1)})
        log(f"    epoch {epoch + 1:2d} windows {len(x):6d} loss {total / max(len(x), 1):.4f} "
            f"cal-macro-recall {cal:.4f} ({time.time() - t0:.0f}s)")
        if cal > best[0]:
            best = (cal, copy.deepcopy(model.state_dict()), epoch + 1)
            stale = 0
        else:
            stale += 1
        if stale >= cfg.patience or time.time() - t0 > cfg.max_seconds:
            break
    model.load_state_dict(best[1])
    info = {"classWeights": [round(float(v), 6) for v in weights], "dominantClass": data.classes[dominant],
            "bestEpoch": best[2], "epochsRun": len(history), "calibrationMacroRecall": round(best[0], 5),
            "history": history, "trainSeconds": round(time.time() - t0, 1)}
    return model, info


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the NLL of labelled calibration positions (golden-section on log T)."""
    m = y >= 0
    z = torch.from_numpy(logits[m].astype(np.float32))
    t = torch.from_numpy(y[m])

    def nll(log_t: float) -> float:
        return float(nn.functional.cross_entropy(z / math.exp(log_t), t))

    lo, hi = math.log(0.05), math.log(20.0)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(40):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(b)
    return float(math.exp((lo + hi) / 2))


def export_onnx(model: PacketTagger, temperature: float | None, window: int, n_features: int, path: str,
                output: str = "probabilities") -> None:
    """ONNX opset 17: input "features" [batch, W, F], output [batch, W, C]: softmax(logits / T), or
    the raw logits when temperature is None (for composing an ensemble)."""
    tagger = copy.deepcopy(model).eval()
    wrapper = tagger if temperature is None else CalibratedTagger(tagger, temperature).eval()
    dummy = torch.zeros(2, window, n_features, dtype=torch.float32)
    torch.onnx.export(wrapper, (dummy,), path, input_names=["features"], output_names=[output],
                      dynamic_axes={"features": {0: "batch"}, output: {0: "batch"}}, opset_version=17,
                      do_constant_folding=True)
