"""Tuning runs on the perception-distortion plane: one panel per hole kind, each run's completion
(``ours``) a labelled point beside the network alone and PatchMatch.

    python experiments/completion/plane.py OUT/runs.jsonl plane.png

RUNS.jsonl is what ``tune.py`` appends, a JSON object a line with ``name``, ``kind``, ``psnr``
{net, pm, ours} and ``bands`` {net, pm, ours: [b0, b1, b2]}. A run measured again under the same
name keeps its newest line. The network and PatchMatch are drawn once per kind, from the photos
most of that kind's runs were measured on; a run measured on other photos (``--only``, another
``--photos``) has other baselines, is not comparable and is left out, said on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from scnn_plugin.evaluation.plane import PlanePoint, draw_plane, realism
from scnn_plugin.training.hole_masks import MASK_KINDS, OBJECT_KIND

KIND_ORDER = (*MASK_KINDS, OBJECT_KIND)
NETWORK = "network alone"
PATCHMATCH = "PatchMatch"


def read_runs(path: Path) -> list[dict]:
    """The runs of ``path``, oldest first; a line without the fields ``tune.py`` writes is refused
    with its number rather than drawn wrong."""
    runs = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            run = json.loads(line)
            for part in ("psnr", "bands"):
                run[part] = {who: run[part][who] for who in ("net", "pm", "ours")}
            runs.append(run | {"name": str(run["name"]), "kind": str(run["kind"])})
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path}:{number} is not a tune.py run ({err!r})") from err
    return runs


def plane_panels(runs: list[dict]) -> tuple[dict[str, list[PlanePoint]], list[str]]:
    """Kind -> the network alone, PatchMatch and each run's completion; and the runs left out
    (measured on other photos than most of their kind), as lines to print."""
    newest = {(r["kind"], r["name"]): r for r in runs}  # a later line replaces an earlier one
    kinds = sorted({k for k, _ in newest}, key=_kind_order)
    panels: dict[str, list[PlanePoint]] = {}
    left_out = []
    for kind in kinds:
        mine = [r for (k, _), r in newest.items() if k == kind]
        baselines = Counter(_baseline(r) for r in mine)
        common = baselines.most_common(1)[0][0]
        first = next(r for r in mine if _baseline(r) == common)
        panels[kind] = [
            _point(NETWORK, first, "net", "sc-nn"),
            _point(PATCHMATCH, first, "pm", "classical"),
        ]
        for run in mine:
            if _baseline(run) != common:
                left_out.append(f"{kind} {run['name']}: measured on other photos, left out")
                continue
            panels[kind].append(_point(run["name"], run, "ours", "sc-nn"))
    return panels, left_out


def _kind_order(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


def _baseline(run: dict) -> tuple[float, float]:
    return round(run["psnr"]["net"], 6), round(run["psnr"]["pm"], 6)


def _point(label: str, run: dict, who: str, family: str) -> PlanePoint:
    return PlanePoint(label, realism(run["bands"][who]), run["psnr"][who], family)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("runs", type=Path, metavar="RUNS.jsonl")
    p.add_argument("out", type=Path, metavar="OUT.png")
    args = p.parse_args(argv)
    try:
        panels, left_out = plane_panels(read_runs(args.runs))
    except (OSError, ValueError) as err:
        print(f"plane: {err}", file=sys.stderr)
        return 2
    if not panels:
        print(f"plane: {args.runs} has no runs", file=sys.stderr)
        return 2
    for line in left_out:
        print(f"plane: {line}", file=sys.stderr)
    draw_plane(panels, args.out, title=f"tuning runs on training photos ({args.runs.name})")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
