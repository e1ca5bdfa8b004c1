"""How many CPU threads torch may use, and that its idle ones sleep: set before torch loads.

OpenMP's idle worker threads spin by default, waiting for the next parallel region. On a quiet
machine that saves a few microseconds; on a busy one (GIMP, a browser, another fill) the spinning
threads take the cores the work needs, and a fill slows several times. ``OMP_WAIT_POLICY=PASSIVE``
makes them sleep instead, and OpenMP reads it only once, when torch loads: so every process that
runs the engine (``scnn-inpaint``, the window, the GIMP bridge, the fine-tune tools) calls
``configure_threads`` first thing in its ``main``, before anything imports torch.

The thread count, first that is given: the ``requested`` argument (``--threads``, the window's
setting), ``SCNN_THREADS``, the user's own ``OMP_NUM_THREADS``, else the number of physical cores
this process may run on (hyper-threads share a core's arithmetic units, so more threads than cores
only add contention). 0 anywhere means "automatic". A ``OMP_WAIT_POLICY`` the user set is kept.

No torch import here: the module must be importable before torch is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from .errors import InputError

THREADS_ENV = "SCNN_THREADS"  # the user's thread count for every front end, when not given
MAX_THREADS = 256  # a bound for typos (``--threads 1000``), far above any desktop's cores
WAIT_POLICY = "PASSIVE"  # idle OpenMP threads sleep instead of spinning on a core

_CPU_SYSFS = Path("/sys/devices/system/cpu")
# The user's own OMP_NUM_THREADS, read once on import: ``configure_threads`` overwrites the variable,
# and a later "automatic" must not take the count it chose before for the user's.
_USER_OMP_NUM_THREADS = os.environ.get("OMP_NUM_THREADS")


def check_threads(value: object, name: str = "threads") -> int:
    """``value`` as a thread count, 0 = automatic; ``InputError`` naming ``name`` and the range."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_THREADS:
        raise InputError(
            f"{name} must be an integer in [0, {MAX_THREADS}] (0 = automatic), got {value!r}"
        )
    return value


def physical_cores() -> int:
    """Physical cores among the processors this process may run on (its affinity mask), at least 1.

    Linux reads each allowed processor's (package, core) pair from sysfs; elsewhere, or when sysfs
    says nothing, every logical processor counts as a core.
    """
    allowed = _allowed_cpus()
    cores = set()
    for cpu in allowed:
        topology = _CPU_SYSFS / f"cpu{cpu}" / "topology"
        try:
            package = (topology / "physical_package_id").read_text().strip()
            core = (topology / "core_id").read_text().strip()
        except OSError:
            return max(1, len(allowed))
        cores.add((package, core))
    return max(1, len(cores) or len(allowed))


def _allowed_cpus() -> list[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def choose_threads(
    requested: int | None = None, environ: MutableMapping[str, str] | None = None
) -> int:
    """The thread count to use: ``requested`` if above 0, else ``SCNN_THREADS``, else the user's
    ``OMP_NUM_THREADS``, else ``physical_cores()``. ``InputError`` for a bad value, naming where
    it came from."""
    environ = os.environ if environ is None else environ
    if requested is not None and check_threads(requested, "--threads") > 0:
        return requested
    for name in (THREADS_ENV, "OMP_NUM_THREADS"):
        own = name == "OMP_NUM_THREADS" and environ is os.environ
        text = ((_USER_OMP_NUM_THREADS or "") if own else environ.get(name, "")).strip()
        if not text:
            continue
        try:
            count = int(text)
        except ValueError:
            raise InputError(
                f"{name} must be an integer in [0, {MAX_THREADS}] (0 = automatic), got {text!r}"
            ) from None
        if check_threads(count, name) > 0:
            return count
    return physical_cores()


def configure_threads(
    requested: int | None = None, environ: MutableMapping[str, str] | None = None
) -> int:
    """Make this process's torch use ``choose_threads(requested)`` threads that sleep when idle;
    returns the count.

    Call it before torch is imported (the wait policy is read only then); calling it again later,
    say when the window's setting changes, still sets the count through ``torch.set_num_threads``.
    Child processes inherit both through the environment.
    """
    environ = os.environ if environ is None else environ
    count = choose_threads(requested, environ)
    environ.setdefault("OMP_WAIT_POLICY", WAIT_POLICY)
    environ["OMP_NUM_THREADS"] = str(count)  # torch reads it when it loads
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "set_num_threads"):
        torch.set_num_threads(count)
    return count
