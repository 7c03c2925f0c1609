#!/usr/bin/python3
"""Rebuild every bundled device-identification model from ../shared/datasets (`npm run train`).

Steps (see README.md):
  1. `telltale dataset` (the TypeScript feature implementation) writes the NAPT and VPN views of
     MADEA into models/training/work/<view>/.
  2. Per view, in parallel (one process and one torch thread per view):
       random forest (paper baseline), LSTM and BiLSTM (paper re-implementations, hidden 64,
       2 layers), and our compact BiLSTM at windows 16 / 32 / 64 / 128 - the window with the best
       calibration macro recall is the view's default; open-set rounds with devices held out.
  3. Every bundled ONNX file is scored through onnxruntime-node (ort_eval.mjs) on the validation
     fold, with the contract's windows and stitching; those numbers go into models/manifest.json.
  4. models/manifest.json and models/training/results.json are written.

Usage: /usr/bin/python3 models/training/train.py [--datasets DIR] [--quick] [--skip-dataset]
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

from forest_model import ForestConfig, train_forest  # noqa: E402
from ensemble_onnx import build_ensemble, mix_log_probabilities  # noqa: E402
from forest_to_onnx import evaluate_tree_ensemble, forest_to_onnx  # noqa: E402
from metrics import choose_unknown_threshold, classification_metrics, unknown_metrics  # noqa: E402
from platforms import add_platforms  # noqa: E402
from size_profiles import add_size_profiles  # noqa: E402
from seq_models import (SeqConfig, contract_windows, export_onnx, fit_temperature,  # noqa: E402
                        macro_recall, predict_stitched, softmax, stitch, train_tagger, window_logits)
from telltale_data import (POOL_EPSILON, SPLIT_CALIBRATION, SPLIT_TRAIN, SPLIT_VALIDATION, ViewData,  # noqa: E402
                           choose_block_seconds, load_view, pool_flows, split_rule)

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MODELS = os.path.join(REPO, "models")
VIEWS = ("napt", "vpn")
SEED = 20240601
UNKNOWN_KEEP = 0.95
# VPN default budget: multiply-adds per packet per window position (the speed constraint)
VPN_MAC_BUDGET = 10_500
WINDOW_STUDY = (16, 32, 64, 128)

FOREST = ForestConfig(n_estimators=40, max_depth=16, min_samples_leaf=5, cap_per_class=8000, seed=SEED)
# forest inside the mixture: the baseline forest for NAPT; a smaller one for VPN (speed budget)
MIX_FOREST = {"napt": FOREST,
              "vpn": ForestConfig(n_estimators=16, max_depth=14, min_samples_leaf=5, cap_per_class=8000, seed=SEED)}
PAPER_LSTM = SeqConfig(kind="lstm", hidden=64, layers=2, window=64, epochs=12, class_weight_power=0.5, lr=3e-3,
                       patience=3, max_seconds=480, seed=SEED)
PAPER_BLSTM = dataclasses.replace(PAPER_LSTM, kind="blstm")
# ours: per-packet embedding -> 1-layer BiLSTM -> MLP head that also sees the packet's own features
COMPACT = {
    "napt": SeqConfig(kind="blstm", hidden=32, layers=1, embed=32, skip=True, head_hidden=32, window=64, epochs=24,
                      class_weight_power=1.0, lr=5e-3, patience=4, max_seconds=420, seed=SEED),
    "vpn": SeqConfig(kind="blstm", hidden=20, layers=1, embed=24, skip=True, head_hidden=32, window=64, epochs=24,
                     class_weight_power=1.0, lr=5e-3, patience=4, max_seconds=420, seed=SEED),
}
OPEN_SET_EPOCHS = 10
IMBALANCE_TEXT = (
    "Nest Camera is ~87% of labelled packets. Sequence models: cross-entropy with class weights "
    "count^-p (p = classWeightPower; normalised to a packet-weighted mean of 1), padding and unlabelled "
    "packets masked; training windows whose only targets are the most frequent class are kept with "
    "probability keepDominantOnly (re-drawn every epoch). Random forest: at most capPerClass training "
    "rows per class (fixed seed) and class_weight='balanced_subsample'.")


def log(view: str, msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {view}: {msg}", flush=True)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# dataset


def build_datasets(datasets: str, work: str) -> list[str]:
    captures = sorted(glob.glob(os.path.join(datasets, "madea", "*", "*.gz")))
    if not captures:
        raise SystemExit(f"no MADEA captures under {datasets}/madea")
    labels = os.path.join(datasets, "madea", "labels.csv")
    for view in VIEWS:
        out = os.path.join(work, view)
        shutil.rmtree(out, ignore_errors=True)
        cmd = ["npx", "tsx", "src-main/cli/telltale.ts", "dataset", *captures, "--labels", labels, "--view", view,
               "--out", out, "--no-progress"]
        t0 = time.time()
        res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        if res.returncode not in (0,) and not os.path.exists(os.path.join(out, "meta.json")):
            sys.stderr.write(res.stdout + res.stderr)
            raise SystemExit(f"telltale dataset failed for {view} (exit {res.returncode})")
        log(view, f"{res.stdout.strip().splitlines()[-1]} in {time.time() - t0:.0f}s")
    return [os.path.relpath(c, datasets) for c in captures]


# ---------------------------------------------------------------------------------------------
# per-view training


def seed_everything(seed: int) -> None:
    np.random.seed(seed)
    torch.manual_seed(seed)


def cal_temperature(model, data: ViewData, window: int, stride: int, max_positions: int = 300_000) -> float:
    x, rows = contract_windows(data, data.runs_in(SPLIT_CALIBRATION), window, stride)
    z = window_logits(model, x).reshape(-1, model.head.out_features)
    r = rows.reshape(-1)
    keep = r >= 0
    z, r = z[keep], r[keep]
    y = data.targets[r]
    if len(y) > max_positions:
        pick = np.random.default_rng(SEED).choice(len(y), max_positions, replace=False)
        z, y = z[pick], y[pick]
    return fit_temperature(z, y)


def rows_of(data: ViewData, split: int) -> np.ndarray:
    return np.flatnonzero((data.split == split) & (data.targets >= 0))


def torch_metrics(probs: np.ndarray, data: ViewData, threshold: float) -> dict:
    r = rows_of(data, SPLIT_VALIDATION)
    p = probs[r]
    pred = p.argmax(axis=1)
    return {"validation": classification_metrics(pred, data.targets[r], data.classes),
            "validationWithUnknown": unknown_metrics(pred, p.max(axis=1), data.targets[r], threshold)}


def seq_entry(view: str, model_id: str, kind: str, cfg: SeqConfig, info: dict, temperature: float,
              threshold: float, data: ViewData, extra: dict | None = None) -> dict:
    training = {
        "config": {k: v for k, v in dataclasses.asdict(cfg).items() if k != "extra"},
        "macsPerPacketStep": cfg.macs_per_packet_step(data.features.shape[1], len(data.classes)),
        "seed": cfg.seed, "epochsMax": cfg.epochs, "epochsRun": info["epochsRun"], "bestEpoch": info["bestEpoch"],
        "earlyStopping": "best calibration macro recall (stitched, contract windows)",
        "optimizer": (f"Adam lr {cfg.lr} cosine to 5%, weight decay {cfg.weight_decay}, batch {cfg.batch} windows, "
                      "grad clip 1"),
        "trainingWindows": f"length {cfg.window}, back to back from a random offset per run each epoch",
        "classWeights": dict(zip(data.classes, info["classWeights"])),
        "classWeightPower": cfg.class_weight_power, "keepDominantOnly": cfg.keep_dominant_only,
        "dominantClass": info["dominantClass"], "imbalance": IMBALANCE_TEXT,
        "calibrationMacroRecall": info["calibrationMacroRecall"], "trainSeconds": info["trainSeconds"],
        "temperatureFit": "NLL of calibration-fold window positions (contract windows)",
        "unknownThresholdRule": (f"keeps {UNKNOWN_KEEP:.0%} of correctly classified calibration packets, "
                                 "classes weighted equally"),
        "history": info["history"],
    }
    if extra:
        training.update(extra)
    return {"id": model_id, "file": f"{model_id}.onnx", "view": view, "kind": kind, "window": cfg.window,
            "stride": cfg.stride, "temperature": round(float(temperature), 6), "unknownThreshold": float(threshold),
            "training": training}


def train_sequence(view: str, data: ViewData, cfg: SeqConfig, model_id: str | None, kind: str, work: str):
    """Train, calibrate, optionally export; returns the manifest entry (with torch-side metrics)
    and the trained model."""
    seed_everything(cfg.seed)
    macs = cfg.macs_per_packet_step(data.features.shape[1], len(data.classes))
    log(view, f"training {model_id or kind} W={cfg.window} ({macs} MAC/packet-step)")
    model, info = train_tagger(data, cfg, log=lambda m: log(view, m.strip()))
    temperature = cal_temperature(model, data, cfg.window, cfg.stride)
    cal_probs = predict_stitched(model, data, data.runs_in(SPLIT_CALIBRATION), cfg.window, cfg.stride, temperature)
    rc = rows_of(data, SPLIT_CALIBRATION)
    threshold = choose_unknown_threshold(cal_probs[rc], data.targets[rc], UNKNOWN_KEEP)
    val_probs = predict_stitched(model, data, data.runs_in(SPLIT_VALIDATION), cfg.window, cfg.stride, temperature)
    entry = seq_entry(view, model_id or kind, kind, cfg, info, temperature, threshold, data)
    entry["torchMetrics"] = torch_metrics(val_probs, data, threshold)
    if model_id is not None:
        path = os.path.join(work, f"{model_id}.onnx")
        export_onnx(model, temperature, cfg.window, data.features.shape[1], path)
        check_sequence_onnx(path, cfg, data, model, temperature)
        vr = rows_of(data, SPLIT_VALIDATION)
        np.save(os.path.join(work, f"{model_id}.torch-val.npy"), val_probs[vr])
    log(view, f"{model_id or kind}: T={temperature:.3f} thr={threshold:.3f} cal {info['calibrationMacroRecall']:.4f} "
              f"val macro recall {entry['torchMetrics']['validation']['macroRecall']:.4f}")
    return entry, model


def check_sequence_onnx(path: str, cfg: SeqConfig, data: ViewData, model, temperature: float) -> None:
    """Graph checks: valid, native LSTM op, contract names and shapes, opset 17."""
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = {n.op_type for n in m.graph.node}
    if "LSTM" not in ops:
        raise RuntimeError(f"{path}: no native LSTM op (ops: {sorted(ops)})")
    if [i.name for i in m.graph.input] != ["features"] or [o.name for o in m.graph.output] != ["probabilities"]:
        raise RuntimeError(f"{path}: wrong input/output names")
    if {o.domain or "": o.version for o in m.opset_import}.get("") != 17:
        raise RuntimeError(f"{path}: expected opset 17")


def open_set_rounds(classes: list[str], dominant: int) -> list[list[int]]:
    """Fixed rule, not tuned: the non-dominant classes in label order; round r holds out those at
    positions r, r + 4, r + 8 (three rounds of three devices)."""
    others = [c for c in range(len(classes)) if c != dominant]
    return [[others[i] for i in range(len(others)) if i % 4 == r] for r in range(3)]


def mixture_stitched(data: ViewData, tagger, forest, cfg: SeqConfig, split: int, weight: float,
                     temperature: float | None = None) -> tuple[np.ndarray, float]:
    """Stitched probabilities of softmax(log(a * p_tagger + (1 - a) * p_forest + eps) / T) over a
    fold's runs; T is fitted on this fold when not given."""
    n, c, f = len(data.targets), len(data.classes), data.features.shape[1]
    x, rows = contract_windows(data, data.runs_in(split), cfg.window, cfg.stride)
    tp = softmax(window_logits(tagger, x))
    fp = forest.predict_proba(x.reshape(-1, f)).astype(np.float32).reshape(tp.shape)
    z = mix_log_probabilities(tp, fp, weight)
    if temperature is None:
        flat_rows = rows.reshape(-1)
        pos = np.flatnonzero(flat_rows >= 0)
        if len(pos) > 300_000:
            pos = np.random.default_rng(SEED).choice(pos, 300_000, replace=False)
        temperature = fit_temperature(z.reshape(-1, c)[pos], data.targets[flat_rows[pos]])
    return pool_flows(stitch(softmax(z / temperature), rows, n), data, data.runs_in(split)), temperature


def open_set(view: str, data: ViewData, cfg: SeqConfig, forest_weight: float | None,
             forest_cfg: ForestConfig) -> list[dict]:
    """Held-out-device rounds with the default's architecture: the compact tagger, mixed with a
    forest retrained on the known devices when the default is the mixture (forest_weight = a)."""
    counts = data.class_counts(SPLIT_TRAIN)
    dominant = int(np.argmax(counts))
    results = []
    for r, held in enumerate(open_set_rounds(data.classes, dominant)):
        known = [c for c in range(len(data.classes)) if c not in held]
        remap = np.full(len(data.classes), -1, dtype=np.int64)
        remap[known] = np.arange(len(known))
        t = np.where(data.targets >= 0, remap[np.maximum(data.targets, 0)], -1)
        sub = dataclasses.replace(data, targets=t, classes=[data.classes[c] for c in known],
                                  class_label_index=[data.class_label_index[c] for c in known])
        rcfg = dataclasses.replace(cfg, epochs=min(cfg.epochs, OPEN_SET_EPOCHS), seed=cfg.seed + 100 + r)
        seed_everything(rcfg.seed)
        log(view, f"open set round {r + 1}: holding out {[data.classes[c] for c in held]}")
        model, info = train_tagger(sub, rcfg, log=lambda m: None)
        if forest_weight is None:
            temperature = cal_temperature(model, sub, rcfg.window, rcfg.stride)
            cal = predict_stitched(model, sub, sub.runs_in(SPLIT_CALIBRATION), rcfg.window, rcfg.stride, temperature)
            val = predict_stitched(model, sub, sub.runs_in(SPLIT_VALIDATION), rcfg.window, rcfg.stride, temperature)
        else:
            forest, _ = train_forest(sub, forest_cfg)
            cal, temperature = mixture_stitched(sub, model, forest, rcfg, SPLIT_CALIBRATION, forest_weight)
            val, _ = mixture_stitched(sub, model, forest, rcfg, SPLIT_VALIDATION, forest_weight, temperature)
        rc = rows_of(sub, SPLIT_CALIBRATION)
        thr = choose_unknown_threshold(cal[rc], sub.targets[rc], UNKNOWN_KEEP)
        vmask = data.split == SPLIT_VALIDATION
        per_device = {}
        for c in held:
            rows = np.flatnonzero(vmask & (data.targets == c))
            conf = val[rows].max(axis=1)
            named = val[rows].argmax(axis=1)
            unknown = conf < thr
            top = np.bincount(named[~unknown], minlength=len(known))
            per_device[data.classes[c]] = {
                "packets": int(len(rows)), "calledUnknown": round(float(unknown.mean()), 6),
                "namedAsKnown": round(float((~unknown).mean()), 6),
                "mostOftenNamedAs": sub.classes[int(top.argmax())] if top.sum() else None}
        held_rows = np.flatnonzero(vmask & np.isin(data.targets, held))
        kr = rows_of(sub, SPLIT_VALIDATION)
        kconf = val[kr].max(axis=1)
        kpred = val[kr].argmax(axis=1)
        res = {
            "round": r + 1, "heldOut": [data.classes[c] for c in held], "epochsRun": info["epochsRun"],
            "model": "compact-blstm" if forest_weight is None else f"compact-blstm+random-forest (a={forest_weight})",
            "temperature": round(temperature, 6), "unknownThreshold": thr,
            "heldOutPackets": int(len(held_rows)),
            "heldOutCalledUnknown": round(float((val[held_rows].max(axis=1) < thr).mean()), 6),
            "heldOutNamedAsKnown": round(float((val[held_rows].max(axis=1) >= thr).mean()), 6),
            "heldOutPerDevice": per_device,
            "knownPackets": int(len(kr)),
            "knownFalseUnknown": round(float((kconf < thr).mean()), 6),
            "knownMacroRecall": round(macro_recall(val, sub.targets, vmask, len(known)), 6),
            "knownAccuracyOnRest": round(float((kpred[kconf >= thr] == sub.targets[kr][kconf >= thr]).mean()), 6),
        }
        log(view, f"open set round {r + 1}: held-out unknown {res['heldOutCalledUnknown']:.3f}, "
                  f"known false-unknown {res['knownFalseUnknown']:.3f}")
        results.append(res)
    return results


# devices the richer observer confuses both ways at least this often are one class for every observer
TWIN_CONFUSION = 0.25


def find_twins(work: str, block_seconds: int, quick: bool) -> tuple[dict, list[dict]]:
    """Devices an outside observer cannot tell apart, from the NAPT view (the observer that sees
    most: ports, protocols, flows): the baseline forest is trained on the train fold, and two
    devices become one class when, on the calibration fold, each is the other's most frequent
    confusion and at least TWIN_CONFUSION of each one's packets are called the other. Applied to
    both views (what NAPT cannot separate, a VPN carrier cannot either). Returns label -> class
    name, and the evidence."""
    data = load_view(os.path.join(work, "napt"), "napt", block_seconds)
    cfg = dataclasses.replace(FOREST, n_estimators=8) if quick else FOREST
    forest, _ = train_forest(data, cfg)
    rc = rows_of(data, SPLIT_CALIBRATION)
    pred = forest.predict(data.features[rc])
    c = len(data.classes)
    conf = np.zeros((c, c), dtype=np.float64)
    np.add.at(conf, (data.targets[rc], pred), 1)
    rate = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
    off = rate.copy()
    np.fill_diagonal(off, -1)
    top = off.argmax(axis=1)
    groups, evidence = {}, []
    for i in range(c):
        j = int(top[i])
        if i < j and int(top[j]) == i and rate[i, j] >= TWIN_CONFUSION and rate[j, i] >= TWIN_CONFUSION:
            a, b = data.classes[i], data.classes[j]
            name = f"{a} / {b}"
            groups[a] = groups[b] = name
            evidence.append({"class": name, "members": [a, b], "calibrationRate": {
                f"{a} called {b}": round(float(rate[i, j]), 4), f"{b} called {a}": round(float(rate[j, i]), 4)}})
    log("all", f"observer twins (merged): {[e['class'] for e in evidence] or 'none'}")
    return groups, evidence


def train_view(job: tuple[str, str, bool, int, dict]) -> dict:
    view, work, quick, block_seconds, groups = job
    torch.set_num_threads(1)
    seed_everything(SEED)
    t_view = time.time()
    data = load_view(os.path.join(work, view), view, block_seconds, groups)
    log(view, f"{len(data.targets)} packets, {len(data.classes)} classes, {len(data.runs)} runs; "
              f"train/cal/val labelled {[int(len(rows_of(data, s))) for s in range(3)]}")
    out_dir = os.path.join(work, "onnx")
    os.makedirs(out_dir, exist_ok=True)
    entries = []
    results: dict = {"view": view}

    def q(cfg: SeqConfig) -> SeqConfig:
        return dataclasses.replace(cfg, epochs=1, patience=1) if quick else cfg

    # 1. random forest (paper baseline)
    fcfg = dataclasses.replace(FOREST, n_estimators=8) if quick else FOREST
    forest, finfo = train_forest(data, fcfg)
    fmodel = forest_to_onnx(forest, data.features.shape[1], doc=f"Telltale {view} random forest (paper baseline)")
    rid = f"{view}-random-forest"
    fpath = os.path.join(out_dir, f"{rid}.onnx")
    onnx.save(fmodel, fpath)
    rc, rv = rows_of(data, SPLIT_CALIBRATION), rows_of(data, SPLIT_VALIDATION)
    sample = rv[:: max(1, len(rv) // 5000)]
    interp = evaluate_tree_ensemble(fmodel, data.features[sample])
    diff = float(np.abs(interp - forest.predict_proba(data.features[sample])).max())
    if diff > 1e-5:
        raise RuntimeError(f"{fpath}: ONNX tree ensemble differs from scikit-learn by {diff}")
    cal_p = forest_stitched(forest, data, SPLIT_CALIBRATION)
    thr = choose_unknown_threshold(cal_p[rc], data.targets[rc], UNKNOWN_KEEP)
    all_p = forest_stitched(forest, data, SPLIT_VALIDATION)
    np.save(os.path.join(out_dir, f"{rid}.torch-val.npy"), all_p[rv])
    cal_macro = macro_recall(cal_p, data.targets, data.split == SPLIT_CALIBRATION, len(data.classes))
    fentry = {"id": rid, "file": f"{rid}.onnx", "view": view, "kind": "random-forest", "window": 1, "stride": 1,
              "temperature": 1.0, "unknownThreshold": thr,
              "training": {**finfo, "seed": fcfg.seed, "imbalance": IMBALANCE_TEXT,
                           "classWeights": "balanced_subsample (per bootstrap sample)",
                           "calibrationMacroRecall": round(cal_macro, 5),
                           "onnxCheck": (f"NumPy interpreter of the exported nodes vs predict_proba on {len(sample)} "
                                         f"validation rows: max |diff| {diff:.2e}"),
                           "temperature": "none (1.0): forest probabilities are vote shares",
                           "unknownThresholdRule": (f"keeps {UNKNOWN_KEEP:.0%} of correctly classified calibration "
                                                    "packets, classes weighted equally")},
              "torchMetrics": torch_metrics(all_p, data, thr)}
    log(view, f"random forest: {finfo['nodes']} nodes, {os.path.getsize(fpath) / 1e6:.1f} MB, cal {cal_macro:.4f}, "
              f"val macro recall {fentry['torchMetrics']['validation']['macroRecall']:.4f}")
    entries.append(fentry)

    # 2. paper re-implementations: LSTM and BiLSTM, hidden 64, 2 layers
    entries.append(train_sequence(view, data, q(PAPER_LSTM), f"{view}-lstm", "lstm", out_dir)[0])
    entries.append(train_sequence(view, data, q(PAPER_BLSTM), f"{view}-blstm", "blstm", out_dir)[0])

    # 3. ours at four window lengths; the best calibration macro recall is the default
    base = COMPACT[view]
    macs = base.macs_per_packet_step(data.features.shape[1], len(data.classes))
    if view == "vpn" and macs > VPN_MAC_BUDGET:
        raise RuntimeError(f"VPN default {macs} MAC/packet-step exceeds the budget {VPN_MAC_BUDGET}")
    study = []
    best = None
    windows = (16, 64) if quick else WINDOW_STUDY
    for w in windows:
        cfg = q(dataclasses.replace(base, window=w))
        mid = f"{view}-compact-blstm-w{w}"
        e, m = train_sequence(view, data, cfg, mid, "compact-blstm", out_dir)
        study.append({"window": w, "stride": cfg.stride,
                      "calibrationMacroRecall": e["training"]["calibrationMacroRecall"],
                      "validationMacroRecall": e["torchMetrics"]["validation"]["macroRecall"],
                      "validationMicroAccuracy": e["torchMetrics"]["validation"]["microAccuracy"],
                      "bestEpoch": e["training"]["bestEpoch"], "trainSeconds": e["training"]["trainSeconds"]})
        if best is None or e["training"]["calibrationMacroRecall"] > best["training"]["calibrationMacroRecall"]:
            best, best_model, best_cfg = e, m, cfg
    best["training"]["windowChoice"] = ("best calibration macro recall among windows "
                                        f"{list(windows)} (see results.json windowStudy)")
    entries.append(best)
    # 3b. the compact tagger mixed with the forest in one graph
    mix_cfg = MIX_FOREST[view]
    if quick:
        mix_cfg = dataclasses.replace(mix_cfg, n_estimators=8)
    if mix_cfg == fcfg:
        mix_forest, mix_model, mix_info = forest, fmodel, None
    else:
        mix_forest, mix_info = train_forest(data, mix_cfg)
        mix_model = forest_to_onnx(mix_forest, data.features.shape[1])
    ens = ensemble(view, data, best_model, best_cfg, best, mix_forest, mix_model, out_dir, mix_info)
    entries.append(ens)
    default = ens if ens["training"]["calibrationMacroRecall"] > best["training"]["calibrationMacroRecall"] else best
    results["windowStudy"] = {"architecture": "compact-blstm", "note": "same recipe, seed and epochs; only W changes; "
                              "stride W/2 at inference", "rows": study}
    results["default"] = default["id"]
    results["defaultChoice"] = ("higher calibration macro recall of the compact BiLSTM (best window) and its "
                                "mixture with the random forest")
    # 4. open set with the default architecture and window
    ocfg = dataclasses.replace(base, window=best["window"])
    mix_a = default["training"]["ensemble"]["taggerWeight"] if default is ens else None
    results["openSet"] = {
        "rule": "non-dominant classes in label order; round r holds out positions r, r+4, r+8; "
                f"default architecture and window (forest retrained on the known devices when the default "
                f"is the mixture), {OPEN_SET_EPOCHS} epochs; temperature and threshold from the calibration fold",
        "rounds": open_set(view, data, dataclasses.replace(ocfg, epochs=1) if quick else ocfg, mix_a, mix_cfg)}
    results["seconds"] = round(time.time() - t_view, 1)
    results["classes"] = data.classes
    results["classMembers"] = data.class_members
    results["classCounts"] = {s: dict(zip(data.classes, data.class_counts(i).tolist()))
                              for i, s in enumerate(("train", "calibration", "validation"))}
    return {"view": view, "entries": entries, "results": results, "featureNames": data.feature_names,
            "classes": data.classes, "classMembers": data.class_members, "poolFlows": data.pool_flows,
            "files": [f["path"] for f in data.meta["files"]],
            "runs": {"validation": data.runs_in(SPLIT_VALIDATION)}}


def ensemble(view: str, data: ViewData, tagger, cfg: SeqConfig, tagger_entry: dict, forest, fmodel, out_dir: str,
             forest_info: dict | None) -> dict:
    """Mix the compact tagger with the forest: weight a and temperature chosen on the calibration fold."""
    c, f = len(data.classes), data.features.shape[1]

    cal_mask = data.split == SPLIT_CALIBRATION
    trials = []
    for a in (0.3, 0.5, 0.7):
        p, t = mixture_stitched(data, tagger, forest, cfg, SPLIT_CALIBRATION, a)
        trials.append((macro_recall(p, data.targets, cal_mask, c), a, t, p))
        log(view, f"ensemble a={a}: T={t:.3f} cal macro recall {trials[-1][0]:.4f}")
    cal_macro, a, t, cal_p = max(trials, key=lambda r: r[0])
    rc = rows_of(data, SPLIT_CALIBRATION)
    thr = choose_unknown_threshold(cal_p[rc], data.targets[rc], UNKNOWN_KEEP)
    val_p, _ = mixture_stitched(data, tagger, forest, cfg, SPLIT_VALIDATION, a, t)
    mid = f"{view}-compact-blstm-forest-w{cfg.window}"
    info = {k: tagger_entry["training"][k]
            for k in ("epochsRun", "bestEpoch", "trainSeconds", "dominantClass", "history")}
    info["classWeights"] = list(tagger_entry["training"]["classWeights"].values())
    info["calibrationMacroRecall"] = round(cal_macro, 5)
    entry = seq_entry(view, mid, "compact-blstm+random-forest", cfg, info, t, thr, data, extra={
        "ensemble": {"tagger": tagger_entry["id"],
                     "forest": f"{view}-random-forest" if forest_info is None else
                     {"note": "a smaller forest than the baseline (speed budget), same recipe", **forest_info},
                     "taggerWeight": a,
                     "rule": "softmax(log(a * softmax(tagger logits) + (1 - a) * forest probabilities + 1e-6) / T)",
                     "weightChoice": "a in {0.3, 0.5, 0.7}: best calibration macro recall",
                     "trials": [{"taggerWeight": r[1], "temperature": round(r[2], 6),
                                 "calibrationMacroRecall": round(r[0], 5)} for r in trials]},
        "temperatureFit": "NLL of calibration-fold window positions of the mixture's log-probabilities"})
    entry["torchMetrics"] = torch_metrics(val_p, data, thr)
    logits_path = os.path.join(out_dir, f"{mid}.tagger-logits.onnx")
    export_onnx(tagger, None, cfg.window, f, logits_path, output="tagger_logits")
    model = build_ensemble(onnx.load(logits_path), fmodel, cfg.window, f, c, a, t)
    onnx.save(model, os.path.join(out_dir, f"{mid}.onnx"))
    np.save(os.path.join(out_dir, f"{mid}.torch-val.npy"), val_p[rows_of(data, SPLIT_VALIDATION)])
    log(view, f"{mid}: a={a} T={t:.3f} thr={thr:.3f} cal {cal_macro:.4f} "
              f"val macro recall {entry['torchMetrics']['validation']['macroRecall']:.4f}")
    return entry


def forest_stitched(forest, data: ViewData, split: int) -> np.ndarray:
    """The forest's per-packet probabilities over a fold's runs (flow-pooled where the view has
    flows); float32 [N, C], zero outside the fold."""
    runs = data.runs_in(split)
    rows = np.concatenate([np.arange(s, e) for s, e in runs])
    out = np.zeros((len(data.targets), len(data.classes)), dtype=np.float32)
    out[rows] = forest.predict_proba(data.features[rows])
    return pool_flows(out, data, runs)


# ---------------------------------------------------------------------------------------------
# onnxruntime-node scoring and the manifest


def ort_score(work: str, view: str, entries: list[dict], runs: list[tuple[int, int]], threads: int) -> list[dict]:
    jobs = [{"model": os.path.join(work, "onnx", e["file"]), "window": e["window"], "stride": e["stride"],
             "runs": runs, "out": os.path.join(work, "onnx", f"{e['id']}.ort-val.f32")} for e in entries]
    spec = os.path.join(work, f"ort-{view}.json")
    with open(spec, "w", encoding="utf-8") as f:
        json.dump({"features": os.path.join(work, view, "features.npy"), "threads": threads, "jobs": jobs}, f)
    res = subprocess.run(["node", os.path.join(HERE, "ort_eval.mjs"), spec], cwd=REPO, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"onnxruntime-node scoring failed: {res.stderr[-2000:]}")
    return [json.loads(line) for line in res.stdout.strip().splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=os.path.join(REPO, "..", "shared", "datasets"))
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--skip-dataset", action="store_true", help="reuse work/<view> from an earlier run")
    ap.add_argument("--quick", action="store_true", help="1 epoch per model: a smoke test, not for shipping")
    ap.add_argument("--jobs", type=int, default=2, help="views trained in parallel")
    args = ap.parse_args()
    t0 = time.time()
    datasets = os.path.abspath(args.datasets)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    if args.skip_dataset and all(os.path.exists(os.path.join(work, v, "meta.json")) for v in VIEWS):
        log("all", "reusing datasets in work/")
    else:
        build_datasets(datasets, work)
    t_data = time.time() - t0
    shutil.rmtree(os.path.join(work, "onnx"), ignore_errors=True)
    block_seconds, block_tried = choose_block_seconds(os.path.join(work, "napt"))
    log("all", f"split blocks of {block_seconds} s "
               f"(fewest packets of a device in a fold, per block length: {block_tried})")
    groups, twins = find_twins(work, block_seconds, args.quick)
    jobs = [(v, work, args.quick, block_seconds, groups) for v in VIEWS]
    if args.jobs > 1:
        with mp.get_context("spawn").Pool(min(args.jobs, len(jobs))) as pool:
            per_view = pool.map(train_view, jobs)
    else:
        per_view = [train_view(j) for j in jobs]
    t_train = time.time() - t0 - t_data

    # score every bundled model through onnxruntime-node (what the app runs) on the validation fold
    models = []
    results = {"formatVersion": 1, "generatedBy": "models/training/train.py", "quick": args.quick, "views": {},
               "split": {"blockSeconds": block_seconds, "fewestFoldPacketsByBlockSeconds": block_tried},
               "twins": {"rule": find_twins.__doc__.split("Returns")[0].strip().replace("\n    ", " "),
                         "threshold": TWIN_CONFUSION, "merged": twins},
               "onnxParity": [], "throughput": []}
    for_manifest_defaults = {}
    for pv in per_view:
        view = pv["view"]
        data = load_view(os.path.join(work, view), view, block_seconds, groups)
        val_runs = pv["runs"]["validation"]
        rv = np.concatenate([np.arange(s, e) for s, e in val_runs])
        timings = ort_score(work, view, pv["entries"], pv["runs"]["validation"], threads=2)
        for e, t in zip(pv["entries"], timings):
            c = len(pv["classes"])
            p_stitched = np.zeros((len(data.targets), c), dtype=np.float32)
            p_stitched[rv] = np.fromfile(os.path.join(work, "onnx", f"{e['id']}.ort-val.f32"),
                                         dtype=np.float32).reshape(-1, c)
            p_ort = pool_flows(p_stitched, data, val_runs)[rv]
            labelled = data.targets[rv] >= 0
            p_lab = p_ort[labelled]
            y = data.targets[rv][labelled]
            pred = p_lab.argmax(axis=1)
            e["metrics"] = {"validation": classification_metrics(pred, y, pv["classes"]),
                            "validationWithUnknown": unknown_metrics(pred, p_lab.max(axis=1), y,
                                                                     e["unknownThreshold"]),
                            "scoredWith": ("onnxruntime-node (models/training/ort_eval.mjs), "
                                           "contract windows and stitching"
                                           + (", flow pooling" if data.pool_flows else ""))}
            if data.pool_flows:
                e["metrics"]["validationPerPacket"] = classification_metrics(
                    p_stitched[rv][labelled].argmax(axis=1), y, pv["classes"])
            p_torch = np.load(os.path.join(work, "onnx", f"{e['id']}.torch-val.npy"))
            parity = {"model": e["id"], "maxAbsDiff": float(np.abs(p_torch - p_lab).max()),
                      "argmaxAgreement": float((p_torch.argmax(axis=1) == pred).mean()),
                      "macroRecallTorch": e["torchMetrics"]["validation"]["macroRecall"],
                      "macroRecallOnnxruntime": e["metrics"]["validation"]["macroRecall"]}
            results["onnxParity"].append(parity)
            results["throughput"].append({"model": e["id"], "threads": 2, "packets": t["rows"],
                                          "seconds": round(t["seconds"], 3),
                                          "packetsPerSecond": round(t["packetsPerSecond"]),
                                          "note": ("validation fold incl. window building and stitching, stride W/2; "
                                                   "shared 2-core machine")})
            src = os.path.join(work, "onnx", e["file"])
            dst = os.path.join(MODELS, e["file"])
            shutil.copyfile(src, dst)
            entry = {
                "id": e["id"], "file": e["file"], "sha256": sha256(dst), "task": "device-identification",
                "view": view, "kind": e["kind"], "featureSpecVersion": data.meta["featureSpecVersion"],
                "features": pv["featureNames"], "labels": pv["classes"], "window": e["window"], "stride": e["stride"],
                "input": "features", "output": "probabilities", "temperature": e["temperature"],
                "unknownThreshold": e["unknownThreshold"],
                "pooling": {"kind": "flow", "epsilon": POOL_EPSILON} if pv["poolFlows"] else None,
                "labelMembers": pv["classMembers"],
                "training": {"dataFiles": [os.path.relpath(f, datasets) for f in pv["files"]], "split": "see split",
                             "view": view, **e["training"]},
                "metrics": e["metrics"], "sizeBytes": os.path.getsize(dst)}
            models.append(entry)
        for_manifest_defaults[view] = pv["results"]["default"]
        results["views"][view] = pv["results"]
    # remove bundled files of earlier runs that this run did not write
    keep = {m["file"] for m in models}
    for old in glob.glob(os.path.join(MODELS, "*.onnx")):
        if os.path.basename(old) not in keep:
            os.remove(old)
    manifest = {
        "formatVersion": 1,
        "featureSpecVersion": models[0]["featureSpecVersion"],
        "split": {**split_rule(block_seconds),
                  "dataset": "MADEA (github.com/sprout-uci/madea, snapshot 6bd5e07), all 129 captures",
                  "datasetsFolder": "../shared/datasets (paths in training.dataFiles are relative to it)"},
        "defaults": for_manifest_defaults,
        "models": models,
    }
    # the device-level open-set test's per-class size profiles (from the same training data)
    add_size_profiles(manifest, work)
    # classes that stand for a firmware platform (platforms.py)
    add_platforms(manifest)
    with open(os.path.join(MODELS, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    results["seconds"] = {"dataset": round(t_data, 1), "training": round(t_train, 1),
                          "total": round(time.time() - t0, 1)}
    results["summary"] = [{"view": m["view"], "id": m["id"], "kind": m["kind"], "window": m["window"],
                           "default": m["id"] == for_manifest_defaults[m["view"]],
                           "macroRecall": m["metrics"]["validation"]["macroRecall"],
                           "microAccuracy": m["metrics"]["validation"]["microAccuracy"],
                           "macroF1": m["metrics"]["validation"]["macroF1"], "sizeBytes": m["sizeBytes"]}
                          for m in models]
    with open(os.path.join(HERE, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    for s in results["summary"]:
        print(f"{s['view']:5s} {s['id']:28s} macro recall {s['macroRecall']:.4f} micro {s['microAccuracy']:.4f} "
              f"{'DEFAULT' if s['default'] else ''}")
    log("all", f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
