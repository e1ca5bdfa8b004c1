"""A ``tune.py`` run with the shift map's copies allowed in every object-sized part of the hole, not
only around a busy texture (``texture._BUSY``):

    python experiments/completion/copies_everywhere.py --pool POOL --kind object --out OUT \
        --name NAME [--set keep_cost=0.03 ...]

Whether a copy is made is still the labelling's: only where it fits the network's layout by
``keep_cost`` better than the completion.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import tune  # the tuning photos, holes, cache and metrics

from scnn_plugin.fill import completion

_complete = completion.complete


def everywhere(fill, known, region=None, seed=0, params=completion.DEFAULT, copies=None):
    """``completion.complete`` with no restriction on where the shift map copies."""
    return _complete(fill, known, region=region, seed=seed, params=params, copies=None)


if __name__ == "__main__":
    completion.complete = everywhere
    sys.exit(tune.main())
