"""Validation metrics exactly as the model contract defines them.

On validation packets with a class label (target >= 0), predictions = argmax of the per-packet
probabilities (no unknown rule): per-class recall / precision / F1 (0 when undefined), their
macro means, micro accuracy, packet count and the row-normalised confusion matrix. Separately, with
the unknown rule (confidence = max probability < unknownThreshold -> unknown): the fraction of
known-class packets called unknown and the accuracy on the rest.
"""

from __future__ import annotations

import numpy as np


def _r(v: float) -> float:
    return round(float(v), 6)


def classification_metrics(pred: np.ndarray, target: np.ndarray, classes: list[str]) -> dict:
    """pred, target: class indices of the scored packets (target >= 0 only)."""
    c = len(classes)
    cm = np.zeros((c, c), dtype=np.int64)
    np.add.at(cm, (target, pred), 1)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    tp = np.diag(cm).astype(np.float64)
    recall = np.divide(tp, support, out=np.zeros(c), where=support > 0)
    precision = np.divide(tp, predicted, out=np.zeros(c), where=predicted > 0)
    denom = recall + precision
    f1 = np.divide(2 * recall * precision, denom, out=np.zeros(c), where=denom > 0)
    rows = np.divide(cm, support[:, None], out=np.zeros((c, c)), where=support[:, None] > 0)
    return {
        "packets": int(len(target)),
        "macroRecall": _r(recall.mean()),
        "macroPrecision": _r(precision.mean()),
        "macroF1": _r(f1.mean()),
        "microAccuracy": _r(tp.sum() / max(len(target), 1)),
        "perClass": {
            name: {"packets": int(support[i]), "recall": _r(recall[i]), "precision": _r(precision[i]), "f1": _r(f1[i])}
            for i, name in enumerate(classes)
        },
        "confusion": {
            "labels": list(classes),
            "counts": cm.tolist(),
            "rowNormalised": [[_r(v) for v in row] for row in rows],
        },
    }


def unknown_metrics(pred: np.ndarray, confidence: np.ndarray, target: np.ndarray, threshold: float) -> dict:
    unknown = confidence < threshold
    rest = ~unknown
    return {
        "unknownThreshold": _r(threshold),
        "packets": int(len(target)),
        "knownCalledUnknown": _r(unknown.mean() if len(target) else 0.0),
        "accuracyOnRest": _r((pred[rest] == target[rest]).mean() if rest.any() else 0.0),
        "packetsKept": int(rest.sum()),
    }


def choose_unknown_threshold(probs: np.ndarray, target: np.ndarray, keep: float = 0.95) -> float:
    """Largest threshold that keeps `keep` of the correctly classified calibration packets, with each
    class weighted equally (so the dominant class does not set the threshold alone)."""
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    ok = pred == target
    conf, cls = conf[ok], target[ok]
    if len(conf) == 0:
        return 0.0
    counts = np.bincount(cls)
    w = 1.0 / counts[cls]
    order = np.argsort(conf)
    cum = np.cumsum(w[order]) / w.sum()
    # the threshold t = conf at the (1 - keep) weighted quantile: packets with conf >= t are kept
    i = int(np.searchsorted(cum, 1.0 - keep, side="left"))
    t = float(conf[order][min(i, len(order) - 1)])
    # store it as a float32 just below that confidence so the quantile packet itself is kept
    return float(np.nextafter(np.float32(t), np.float32(0)))
