"""The one request type every front end builds: how to cut, run and blend an inpainting job."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

# Flipped views a run may average (views.py holds one flip per view): the request type owns the
# bound, so building options needs nothing from the model side.
MAX_VIEWS = 4


@dataclass(frozen=True)
class InpaintOptions:
    """Range-checked on creation, so a bad value fails where it is typed, not deep in a run."""

    MAX_VIEWS: ClassVar[int] = MAX_VIEWS  # the bound of ``views``, for front ends' widgets

    tile: int = 512  # model window side in px; multiple of 8, 64..2048. Bigger = more context,
    # more memory
    overlap: int = 64  # px neighbouring windows share and blend over; 0..tile/2. Hides seams
    timesteps: int | None = None  # LIF timesteps; None = as trained; 1..64. Fewer = faster, coarser
    batch: int | None = None  # windows per forward; 1..64; None = 1 on CPU (no faster batched, and
    # each extra 512 px window costs ~150 MB), 4 on GPU. CUDA out-of-memory halves it automatically
    device: str = "auto"  # "auto" (CUDA if present, else CPU), "cpu", "cuda", "cuda:N", "mps"
    adapt: int = 0  # optimiser steps on the photo's own pixels before filling (adapt.py); 0..500,
    # 0 = off. ~0.25 s a step on a 2-core CPU; sharper thin structure that the photo shows elsewhere
    views: int = 1  # flipped views of each window averaged (views.py); 1..4. n views take n times
    # the model time; 4 fill thin and medium holes ~0.1 dB better
    texture: bool = True  # complete the network's fill with the photo's own structure
    # (fill/texture.py); False = the network's fill as it is (smooth; higher masked PSNR)

    def __post_init__(self) -> None:
        _check("tile", self.tile, 64, 2048)
        if self.tile % 8:
            raise ValueError(f"tile must be a multiple of 8, got {self.tile}")
        _check("overlap", self.overlap, 0, self.tile // 2)
        if self.timesteps is not None:
            _check("timesteps", self.timesteps, 1, 64)
        if self.batch is not None:
            _check("batch", self.batch, 1, 64)
        _check("adapt", self.adapt, 0, 500)
        _check("views", self.views, 1, MAX_VIEWS)
        if type(self.texture) is not bool:  # ValueError, as every other bad value here
            raise ValueError(f"texture must be true or false, got {self.texture!r}")
        if not isinstance(self.device, str) or not self.device:
            raise ValueError(f"device must be a non-empty string, got {self.device!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InpaintOptions:
        """Build from a (possibly stale) settings dict: unknown keys are ignored, bad values raise."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def _check(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
