"""Which index torch is installed from, whether it answers, and where torch came from, in words.

PyTorch's CPU-only builds (``2.13.0+cpu``, about 190 MB against PyPI's multi-GB CUDA build on Linux)
are added with ``--extra-index-url``, so pip's own index stays in use. Where the CPU index cannot be
reached (offline mirrors, wheel folders), pip would warn and retry five times per package before it
fell back by itself, so it is probed once first and left out when it does not answer.

Standard library only.
"""

from __future__ import annotations

import argparse

from install_steps import say
from user_places import Places

CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
# The torch step's index: "cpu" (as --cpu), "pip" (pip's own configuration only), or an index URL.
TORCH_INDEX_ENV = "SCNN_TORCH_INDEX"
PIPS_OWN = "pip's own index"


def torch_index(args: argparse.Namespace, places: Places) -> tuple[list[str], str]:
    """pip's index arguments for the torch step, and why, in words.

    First match: ``--torch-index-url``, ``--cpu``, ``$SCNN_TORCH_INDEX``; else the CPU-only index on
    Linux without an NVIDIA GPU (PyPI's Linux torch is the CUDA build), pip's own elsewhere (PyPI's
    Windows and macOS torch has no CUDA part).
    """
    choice = places.environ.get(TORCH_INDEX_ENV, "").strip()
    if args.torch_index_url:
        return ["--index-url", args.torch_index_url], "--torch-index-url"
    if args.cpu:
        return ["--extra-index-url", CPU_TORCH_INDEX], "--cpu"
    if choice == "cpu":
        return ["--extra-index-url", CPU_TORCH_INDEX], f"{TORCH_INDEX_ENV}=cpu"
    if choice == "pip":
        return [], f"{TORCH_INDEX_ENV}=pip"
    if choice:
        return ["--index-url", choice], TORCH_INDEX_ENV
    if cuda_is_no_use(places):
        return ["--extra-index-url", CPU_TORCH_INDEX], "Linux without an NVIDIA GPU"
    return [], "an NVIDIA GPU" if places.nvidia else f"{places.system}"


def cuda_is_no_use(places: Places) -> bool:
    """Linux without an NVIDIA GPU, where PyPI's torch is the multi-GB CUDA build."""
    return places.system == "Linux" and not places.nvidia


def usable_index(index: list[str], places: Places) -> list[str]:
    """``index``, less PyTorch's CPU index when one probe of it finds no answer (said in a line).

    An index the user named is kept as it is: when it does not answer, pip's own error says so.
    """
    if CPU_TORCH_INDEX not in index:
        return index
    why = places.reach(f"{CPU_TORCH_INDEX}/torch/")
    if why is None:
        return index
    say(
        f"torch: PyTorch's CPU index {CPU_TORCH_INDEX} cannot be reached ({why}); "
        f"taking torch from {PIPS_OWN}"
    )
    return []


# Said where PyPI's CUDA build of torch landed on a machine without an NVIDIA GPU: it works on the
# CPU, but it is several GB where the CPU-only build is 190 MB.
CUDA_WITHOUT_GPU = (
    "torch: that is the CUDA build, several GB, and this machine has no NVIDIA GPU; for the 190 MB "
    f"CPU-only build run the installer again where {CPU_TORCH_INDEX} answers, or with "
    f"{TORCH_INDEX_ENV}=URL of a mirror of it"
)


def describe_source(index: list[str], version: str) -> str:
    """Where the installed torch ``version`` came from, given the index arguments pip had."""
    if "--index-url" in index:
        return index[index.index("--index-url") + 1]
    if CPU_TORCH_INDEX in index:
        if "+cpu" in version:
            return f"PyTorch's CPU index {CPU_TORCH_INDEX}"
        return f"{PIPS_OWN}, not the CPU index (not the CPU-only build: it works, it is larger)"
    return PIPS_OWN


def is_cuda_build(version: str) -> bool:
    """``2.13.0+cu130`` and the like: a torch that says it carries CUDA."""
    return version.partition("+")[2].startswith("cu")
