"""Time two checkouts' fills in turn, A B A B ...: on a machine whose speed drifts from minute to
minute, only a paired run says which is faster.

    python experiments/completion/alternate.py TREE_A TREE_B [--case "512² object"] [--rounds 4]
        [--fills 5] [--threads 2]

Each round starts one process per tree (in TREE, ``PYTHONPATH=TREE``) that loads the default model, fills
the ``scnn-bench`` case once untimed and then ``--fills`` times, and prints the median. The report
is each tree's median of those medians and the median of the per-round ratios B / A.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

# What each timed process runs: the bench's scene, the default options, the median of the fills.
_CHILD = """
import statistics, sys, time
from scnn_plugin.cpu_threads import configure_threads
configure_threads(int(sys.argv[3]))
from scnn_plugin import Inpainter, InpaintOptions
from scnn_plugin.evaluation.bench import CASES, scene
_, w, h, share = next(c for c in CASES if c[0] == sys.argv[1])
image, mask = scene(w, h, share)
inpainter = Inpainter.from_pretrained(options=InpaintOptions())
inpainter.inpaint(image, mask)
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    inpainter.inpaint(image, mask)
    times.append(time.perf_counter() - start)
print(statistics.median(times))
"""


def timed(tree: str, case: str, fills: int, threads: int) -> float:
    env = {**os.environ, "PYTHONPATH": tree}
    args = [sys.executable, "-c", _CHILD, case, str(fills), str(threads)]
    # run from the tree: ``python -c`` puts the working directory ahead of PYTHONPATH
    out = subprocess.run(args, env=env, cwd=tree, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--case", default="512² object")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--fills", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    a, b = [], []
    for round_ in range(args.rounds):
        a.append(timed(args.a, args.case, args.fills, args.threads))
        b.append(timed(args.b, args.case, args.fills, args.threads))
        print(f"round {round_ + 1}: A {a[-1]:.3f} s, B {b[-1]:.3f} s", flush=True)
    ratio = statistics.median(y / x for x, y in zip(a, b))
    print(
        f"{args.case}: A {statistics.median(a):.3f} s, B {statistics.median(b):.3f} s, "
        f"B / A {ratio:.2f} (median of {args.rounds} rounds of {args.fills} fills)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
