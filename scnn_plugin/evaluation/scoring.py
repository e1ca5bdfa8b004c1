"""Measuring fills on the held-out set: who runs (SC-NN rows, classical fills), what each scores.

Results are dataclasses: per method and hole kind the masked PSNR, SSIM on the hole and on its
bounding box, the detail ratio, the median band ratios (structure per scale against the photo's),
the whole-image MSE (the paper's metric) and seconds per image;
then the best classical fill per kind, each SC-NN row's margin over it, and per photo the margin
over the best classical fill *on that photo* (a mean hides the photo where a method loses).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Self

import numpy as np
import torch
from PIL import Image
from torch import nn

from ..engine import Inpainter
from ..errors import ScnnError
from ..options import InpaintOptions
from ..snn import SNNConv2d
from ..training.evalset import EvalSample
from ..weights import file_sha256
from .classical import FILLS, REFERENCE_FILLS
from .metrics import band_ratios, box_ssim, detail_ratio, image_mse, masked_psnr, masked_ssim
from .texture_bound import TARGET_RATIO, ideal_texture

# The options of the plain SC-NN rows: the engine's defaults, what users get unless they ask.
PLAIN = InpaintOptions()
# The row whose per-photo margins the report lists: the network as users get it.
PHOTO_MARGINS_OF = "SC-NN default"

RunFill = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Method:
    """One row of the table: a name, its family, how to run it, and whether it ran."""

    name: str
    # "sc-nn", "classical" (users have it) or "reference" (our own base fill, the ideal texture)
    family: str
    run: RunFill | None
    status: str = "ok"  # "ok", "unavailable: <why>" or "skipped: <why>"
    model: nn.Module | None = None  # SC-NN only: hooked for spike rates
    info: dict = field(default_factory=dict)


@dataclass
class KindScores:
    """Means over one hole kind's samples."""

    psnr: float  # dB over hole pixels
    ssim: float  # mean SSIM over hole pixels
    box_ssim: float  # mean SSIM over the hole's bounding box: the fill and what it meets
    detail: float  # hole_detail(fill) / hole_detail(truth); 1 = as detailed as the photo
    mse: float  # whole-image MSE in [0, 1] units
    seconds: float  # per image
    n: int
    # median over samples of band_ratios per metrics.BANDS (b0 grain ... b3 hole-sized layout);
    # a median, since one flat truth makes a ratio explode
    bands: list[float] = field(default_factory=list)


@dataclass
class MethodResult:
    name: str
    family: str
    status: str = "ok"
    info: dict = field(default_factory=dict)
    per_kind: dict[str, KindScores] = field(default_factory=dict)
    psnr_per_sample: list[float] = field(default_factory=list)  # in sample order


@dataclass
class Margin:
    """An SC-NN row against the best classical fill of one kind (positive = SC-NN better)."""

    vs: str
    psnr: float
    ssim: float
    detail: float  # SC-NN's detail ratio minus the fill's
    mse: float  # negative = SC-NN better
    worst: float  # the smallest per-photo PSNR margin over the best classical fill on that photo
    worst_photo: str


@dataclass
class EvalResults:
    photos_dir: str
    photos: list[str]
    size: int
    seed: int
    kinds: list[str]
    device: str
    torch_threads: int
    methods: dict[str, MethodResult]
    best_classical: dict[str, str]
    margins: dict[str, dict[str, Margin]]
    photo_margins: dict[str, dict[str, float]]  # photo -> kind -> PHOTO_MARGINS_OF's margin
    spike_rates: dict[str, dict[str, float]]
    grid: str | None = None
    objects_grid: str | None = None

    @property
    def n_photos(self) -> int:
        return len(self.photos)

    @property
    def n_samples(self) -> int:
        return len(self.photos) * len(self.kinds)

    def to_json(self) -> dict:
        return _json_safe(asdict(self) | {"n_photos": self.n_photos, "n_samples": self.n_samples})


class SpikeMeter:
    """Mean spike rate of every rate-read-out ``SNNConv2d`` in a model, gathered by forward hooks.

    A rate read-out's output *is* each neuron's mean spike count per timestep, so the hook takes its
    mean; the core is not touched. Use as a context manager: hooks go away on exit.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self._handles: list = []

    def __enter__(self) -> Self:
        for name, module in self.model.named_modules():
            if isinstance(module, SNNConv2d) and module.readout == "rate":
                self._handles.append(module.register_forward_hook(self._hook(name)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _hook(self, name: str):
        def record(_module: nn.Module, _inputs, output: torch.Tensor) -> None:
            self.sums[name] = self.sums.get(name, 0.0) + float(output.detach().float().mean())
            self.counts[name] = self.counts.get(name, 0) + 1

        return record

    def rates(self) -> dict[str, float]:
        """Layer name -> mean spikes per neuron per timestep over every forward seen, in [0, 1]."""
        return {name: self.sums[name] / self.counts[name] for name in self.sums}


def scnn_methods(
    config: str,
    weights: Path | None,
    device: str,
    variants: list[InpaintOptions],
    label: str | None = None,
) -> list[Method]:
    """One SC-NN row per options in ``variants`` (adapted to each photo, averaged over views, no
    texture), all on one loaded model; a config whose weights do not exist is skipped with a note.

    ``label`` names the rows instead of ``config`` (another weights file of the same config)."""
    names = [row_name(label or config, options) for options in variants]
    if weights is not None and not weights.is_file():
        missing = f"skipped: no weights file {weights.name}"
        return [Method(n, "sc-nn", None, missing) for n in names]
    try:
        loaded = Inpainter.from_pretrained(weights=weights, device=device, config=config)
    except ScnnError as err:
        if weights is None:  # no shipped weights for this config (yet)
            return [Method(n, "sc-nn", None, f"skipped: {err}") for n in names]
        raise
    return [
        _scnn_row(name, loaded.with_options(replace(options, device=device)), options)
        for name, options in zip(names, variants)
    ]


def row_name(config: str, options: InpaintOptions) -> str:
    name = f"SC-NN {config}" + (f" + adapt {options.adapt}" if options.adapt else "")
    name += f" + {options.views} views" if options.views > 1 else ""
    return name + ("" if options.texture else ", no texture")


def weights_name(path: Path) -> str:
    """A weights file as the report names it: its file name and the first 12 hex digits of its
    sha256, which say which weights ran; never the path of the machine that ran them."""
    return f"{path.name} (sha256 {file_sha256(path)[:12]})"


def _scnn_row(name: str, inpainter: Inpainter, options: InpaintOptions) -> Method:
    def run(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        mask = Image.fromarray(hole.astype(np.uint8) * 255)
        return np.asarray(inpainter.inpaint(Image.fromarray(rgb), mask).convert("RGB"))

    info = {
        "weights": weights_name(inpainter.info.path),
        "timesteps": inpainter.timesteps,
        "device": inpainter.device_name,
        "trained": bool(inpainter.info.training),
        "texture": options.texture,
    }
    info |= {"adapt steps": options.adapt} if options.adapt else {}
    info |= {"views": options.views} if options.views > 1 else {}
    # Spike rates come from the plain rows. An adapted row fills with per-photo copies that keep
    # the loaded spiking encoder, and hooks on the loaded model would only see it score test holes;
    # averaged views run the same encoder on mirrored inputs.
    model = inpainter.model if options == PLAIN else None
    return Method(name, "sc-nn", run, model=model, info=info)


def ideal_texture_method(alone: Method) -> Method:
    """The ideal-texture bound on ``alone`` (the network without texture): its fill plus the
    truth's own structure, mirrored, at the band target (``texture_bound``). It reads the truth,
    so it is a reference row that never counts as a fill users have."""
    name = f"ideal texture at {TARGET_RATIO} (oracle)"
    if alone.run is None:
        return Method(name, "reference", None, alone.status)
    run = alone.run

    def fill(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        return ideal_texture(run(rgb, hole), rgb, hole)

    return Method(
        name, "reference", fill, info={"bands": f"b0-b2 of {alone.name} raised to {TARGET_RATIO}"}
    )


def classical_methods(names: list[str]) -> list[Method]:
    unknown = [n for n in names if n not in FILLS]
    if unknown:
        raise ValueError(f"unknown classical fill(s) {unknown}; known: {sorted(FILLS)}")
    return [
        Method(n, "reference" if n in REFERENCE_FILLS else "classical", FILLS[n]) for n in names
    ]


def measure(
    method: Method, samples: list[EvalSample], keep: set[int]
) -> tuple[dict[str, KindScores], list[float], dict[int, np.ndarray], dict[str, float]]:
    """Run ``method`` on every sample: per-kind means, each sample's masked PSNR (in sample order),
    the outputs of samples ``keep``, spike rates.

    The first sample runs once untimed first, so one-off library, allocator and thread-pool start-up
    is not billed to it; that call also finds fills whose library is unavailable.
    """
    method.run(samples[0].image, samples[0].hole)

    rows: dict[str, list[tuple[float, ...]]] = {}
    bands: dict[str, list[list[float]]] = {}
    kept: dict[int, np.ndarray] = {}
    psnrs: list[float] = []
    meter = SpikeMeter(method.model) if method.model is not None else None
    with meter or contextlib.nullcontext():
        for i, s in enumerate(samples):
            t0 = time.perf_counter()
            out = method.run(s.image, s.hole)
            seconds = time.perf_counter() - t0
            pred, target = out / 255.0, s.image / 255.0
            psnrs.append(masked_psnr(pred, target, s.hole))
            rows.setdefault(s.kind, []).append(
                (
                    psnrs[-1],
                    masked_ssim(pred, target, s.hole),
                    box_ssim(pred, target, s.hole),
                    detail_ratio(pred, target, s.hole),
                    image_mse(pred, target),
                    seconds,
                )
            )
            bands.setdefault(s.kind, []).append(band_ratios(pred, target, s.hole))
            if i in keep:
                kept[i] = out
    per_kind = {
        kind: KindScores(
            *(float(np.nanmean(col)) for col in zip(*values)),
            n=len(values),
            bands=[float(b) for b in np.nanmedian(np.array(bands[kind]), axis=0)],
        )
        for kind, values in rows.items()
    }
    return per_kind, psnrs, kept, meter.rates() if meter else {}


def best_classical(methods: dict[str, MethodResult], kinds: list[str]) -> dict[str, str]:
    """Kind -> name of the classical method users have with the highest masked PSNR."""
    best = {}
    for kind in kinds:
        ran = [
            (m.per_kind[kind].psnr, n)
            for n, m in methods.items()
            if m.family == "classical" and m.status == "ok" and kind in m.per_kind
        ]
        if ran:
            best[kind] = max(ran)[1]
    return best


def photo_margins(
    methods: dict[str, MethodResult], samples: list[EvalSample], name: str
) -> dict[str, dict[str, float]]:
    """Photo -> kind -> ``name``'s masked PSNR minus the best classical fill's on that very sample.

    The mean margin hides where a method loses: one photo whose structure a classical fill continues
    well (straight cables across thin strokes, say) can cost more than the other photos win.
    """
    classical = [
        m.psnr_per_sample for m in methods.values() if m.family == "classical" and m.status == "ok"
    ]
    result: dict[str, dict[str, float]] = {}
    if not classical:
        return result
    mine = methods[name].psnr_per_sample
    for i, s in enumerate(samples):
        theirs = max(scores[i] for scores in classical)
        result.setdefault(Path(s.name).stem, {})[s.kind] = mine[i] - theirs
    return result


def margins(
    methods: dict[str, MethodResult], best: dict[str, str], samples: list[EvalSample]
) -> dict[str, dict[str, Margin]]:
    """SC-NN row -> kind -> its margins over the best classical fill of that kind."""
    result: dict[str, dict[str, Margin]] = {}
    for name, m in methods.items():
        if m.family != "sc-nn" or m.status != "ok":
            continue
        per_photo = photo_margins(methods, samples, name)
        result[name] = {}
        for kind, ref in best.items():
            mine, theirs = m.per_kind[kind], methods[ref].per_kind[kind]
            worst_photo = min(per_photo, key=lambda p: per_photo[p].get(kind, math.inf))
            result[name][kind] = Margin(
                vs=ref,
                psnr=mine.psnr - theirs.psnr,
                ssim=mine.ssim - theirs.ssim,
                detail=mine.detail - theirs.detail,
                mse=mine.mse - theirs.mse,
                worst=per_photo[worst_photo][kind],
                worst_photo=worst_photo,
            )
    return result


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # a perfect fill's PSNR is inf; JSON has no inf
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value
