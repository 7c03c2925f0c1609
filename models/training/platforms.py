"""Classes that stand for a firmware platform rather than one product.

Many smart-home brands sell the same white-label module running the same vendor firmware; an
observer outside the home sees that firmware's traffic (its ports, its cloud, its message sizes),
not the brand on the box. A class whose every member is a device of one such platform is written
to the manifest as that platform's (`labelPlatforms`), so the app names what the traffic shows
("a Tuya-based device") instead of a brand the device may not be, and the evaluation can tell a
device of the same platform (named rightly, at platform level) from a device named as a
different product.

Each platform lists the training devices known to run it and why (checked on the captures, not
taken from the label); `macAssignee` is the IEEE assignee of the platform's own MAC blocks, how
the app and the evaluation tell that a device of another brand is built on the same module.

Usage: /usr/bin/python3 models/training/platforms.py [--manifest models/manifest.json]
train.py calls `add_platforms` itself before writing the manifest.
"""

from __future__ import annotations

import argparse
import json
import os

PLATFORMS = [
    {
        "platform": "Tuya",
        "macAssignee": "Tuya Smart Inc.",
        "devices": ["HBN Plug", "Lumiman Bulb"],
        "evidence": (
            "Both MADEA devices' MAC blocks (7c:f6:66, 50:8a:06) are assigned to Tuya Smart Inc.; both "
            "broadcast Tuya's LAN discovery on UDP port 6667, look up a3.tuyaus.com and keep a connection "
            "to Tuya's cloud on TCP port 8886: the traffic is Tuya's firmware, shared by every brand "
            "built on its modules."
        ),
    },
]


def members_of(model: dict, cls: str) -> list[str]:
    """The labels.csv devices a class stands for (a merged class's members, else itself)."""
    return list((model.get("labelMembers") or {}).get(cls, [cls]))


def add_platforms(manifest: dict) -> None:
    """Adds `labelPlatforms` (class -> platform, MAC assignee, evidence) to every model."""
    for model in manifest["models"]:
        found = {}
        for cls in model["labels"]:
            members = members_of(model, cls)
            for p in PLATFORMS:
                if all(m in p["devices"] for m in members):
                    found[cls] = {"platform": p["platform"], "macAssignee": p["macAssignee"],
                                  "evidence": p["evidence"]}
        model["labelPlatforms"] = found


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", default=os.path.join(here, "..", "manifest.json"))
    args = parser.parse_args()
    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    add_platforms(manifest)
    with open(args.manifest, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    for model in manifest["models"]:
        print(f"{model['id']}: {model['labelPlatforms'] or 'no platform classes'}")


if __name__ == "__main__":
    main()
