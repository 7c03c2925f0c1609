"""Per-class size profiles for the runtime's device-level open-set test.

A class's profile is the set of (direction, frame size) pairs that make up at least PROFILE_MIN of
the class's packets in the observer's view, over the model's own training and calibration blocks
(never validation). At run time a device is recognised as a class only when at least 85 % of its
packets have a pair of that class's profile (src-main/audit/exposure.ts, "catalog evidence"): the
classes that unseen devices get pulled into are confident but the wrong shape. Measured on devices
the models never saw (IoT Sentinel, datasets/extras) against the MADEA validation split; see
models/EVALUATION.md, "Devices the models never saw".

Usage (after `telltale dataset` wrote work/<view>):
  /usr/bin/python3 models/training/size_profiles.py [--work models/training/work] [--manifest models/manifest.json]
train.py calls `add_size_profiles` itself before writing the manifest.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from telltale_data import SPLIT_VALIDATION, split_of

PROFILE_MIN = 0.001


def class_of(model: dict, device: str) -> str | None:
    """The model's class of a labels.csv device (a device merged into a class is its class)."""
    if device in model["labels"]:
        return device
    for cls, members in (model.get("labelMembers") or {}).items():
        if device in members:
            return cls
    return None


def profiles_of(folder: str, model: dict, block_seconds: int) -> dict[str, str]:
    """{class: "direction:size direction:size ..."} over the view's training and calibration rows
    (direction 0 up, 1 down; one line per class keeps the manifest readable)."""
    meta = json.load(open(os.path.join(folder, "meta.json"), encoding="utf-8"))
    labels = np.load(os.path.join(folder, "labels.npy"))
    ts = np.load(os.path.join(folder, "ts.npy"))
    size = np.load(os.path.join(folder, "size.npy"))
    direction = np.load(os.path.join(folder, "direction.npy"))
    keep = (split_of(ts, block_seconds) != SPLIT_VALIDATION) & (labels >= 0)
    pairs_of: dict[str, list[np.ndarray]] = {}
    for index, device in enumerate(meta["labels"]):
        cls = class_of(model, device)
        rows = keep & (labels == index)
        if cls is not None and rows.any():
            pairs_of.setdefault(cls, []).append(np.stack([direction[rows], size[rows]], axis=1).astype(np.int64))
    out: dict[str, str] = {}
    for cls, parts in pairs_of.items():
        keys, counts = np.unique(np.concatenate(parts), axis=0, return_counts=True)
        share = counts / counts.sum()
        out[cls] = " ".join(f"{int(d)}:{int(z)}" for (d, z), s in zip(keys, share) if s >= PROFILE_MIN)
    return out


def add_size_profiles(manifest: dict, work: str) -> None:
    """Adds `sizeProfile` to every model of the manifest from work/<view>."""
    block = manifest["split"]["blockSeconds"]
    by_view: dict[str, dict] = {}
    for model in manifest["models"]:
        view = model["view"]
        if view not in by_view:
            by_view[view] = {}
        key = json.dumps([model["labels"], model.get("labelMembers")], sort_keys=True)
        if key not in by_view[view]:
            by_view[view][key] = profiles_of(os.path.join(work, view), model, block)
        model["sizeProfile"] = {"minShare": PROFILE_MIN, "pairs": by_view[view][key]}


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default=os.path.join(here, "work"))
    parser.add_argument("--manifest", default=os.path.join(here, "..", "manifest.json"))
    args = parser.parse_args()
    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    add_size_profiles(manifest, args.work)
    with open(args.manifest, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    for model in manifest["models"]:
        pairs = model["sizeProfile"]["pairs"]
        count = sum(len(v.split()) for v in pairs.values())
        print(f"{model['id']}: {len(pairs)} classes, {count} (direction, size) pairs")


if __name__ == "__main__":
    main()
