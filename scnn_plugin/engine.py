"""Inpainter: the one place the pipeline reads top to bottom.

1. image: a canvas over the photo (imaging), read and written window by window;
2. mask: a ``FillMask`` (masks), True = fill, the one polarity down to the fill package;
   [the model adapted to the photo (adapt), on request];
3. tiles: windows around the holes (tiling);
4. timesteps: the spiking model over T timesteps per window (models), averaged over flipped views
   (views);
5. texture: the photo's own structure laid on the network's fill, per window (fill.add_texture);
6. blend: overlapping windows feathered together (tiling.RowBlender), the holes written back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .adapt import adapt_model
from .devices import describe_device, resolve_device
from .errors import Cancelled, DeviceError, InputError
from .fill import add_texture, membrane_fill
from .imaging import Canvas, decode, open_canvas, to_rgb, to_tensor
from .masks import FillMask, as_fill_mask
from .models import InpaintNet, build_model
from .options import InpaintOptions
from .tiling import RowBlender, Tile, feather, plan_tiles
from .views import averaged
from .weights import WeightsInfo, load_weights, resolve_weights

log = logging.getLogger("scnn_plugin")

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]

# A window more than this share hole gets an image-wide prior for its deep holes.
_PRIOR_ABOVE_HOLES = 0.5
# Long side of the image-wide low-resolution fill used as that prior.
_PRIOR_SIDE = 256


@dataclass
class _Run:
    """What one ``inpaint`` call may change as it goes: never the shared ``Inpainter``.

    The CUDA out-of-memory fallback halves ``batch`` and may move ``model`` to the CPU; doing it
    here keeps that to the run, so the next run (or another ``with_options`` sharing the model)
    starts on the loaded device with the requested batch again.
    """

    model: InpaintNet
    device: torch.device
    batch: int


class Inpainter:
    """A loaded model plus the options to run it; thread-compatible (one ``inpaint`` at a time)."""

    def __init__(self, model: InpaintNet, info: WeightsInfo, options: InpaintOptions) -> None:
        # Channels-last lets oneDNN / cuDNN pick their fastest convolutions (-15 % on a 2-core CPU).
        self.model = model.to(memory_format=torch.channels_last)
        self.info = info
        self.options = options
        self.device = next(model.parameters()).device

    @classmethod
    def from_pretrained(
        cls,
        weights: str | os.PathLike | None = None,
        device: str | None = None,
        options: InpaintOptions | None = None,
        config: str = "default",
    ) -> Inpainter:
        """Load ``weights`` (None = the shipped ``config`` weights) onto ``options.device``.

        ``device``, when given, replaces ``options.device``; None keeps it, so the request type
        decides where the model runs.
        """
        options = options or InpaintOptions()
        if device is not None:
            options = replace(options, device=device)
        model, info = load_weights(resolve_weights(weights, config), resolve_device(options.device))
        return cls(model, info, options)

    def with_options(self, options: InpaintOptions) -> Inpainter:
        """The same loaded model under other tiling/timestep/view options.

        The model is not moved: options whose device resolves elsewhere than the loaded model's
        raise ``ValueError`` naming both (load again with ``from_pretrained`` for that device).
        """
        wanted = resolve_device(options.device)
        if not _same_device(wanted, self.device):
            raise ValueError(
                f"options ask for device {options.device!r} ({wanted}) but the model is loaded on "
                f"{self.device}; load it again with from_pretrained for another device"
            )
        return Inpainter(self.model, self.info, options)

    @property
    def device_name(self) -> str:
        return describe_device(self.device)

    @property
    def timesteps(self) -> int:
        return self.options.timesteps or self.info.timesteps

    def inpaint(
        self,
        image: Image.Image,
        mask: FillMask | Image.Image,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> Image.Image:
        """Fill ``mask`` in ``image``; return a new image of the same size and mode.

        ``mask`` is a ``FillMask`` of the image's size (True = fill), or a mask image parsed by
        ``FillMask.painted``: filled where it is at least half white and, if it has alpha, at
        least half opaque. ``InputError`` for a mask of another size, an image Pillow cannot
        decode or convert, and a mask that leaves nothing to fill from.

        The pipeline, one step after the other: image -> mask -> tiles -> timesteps (the network
        over T timesteps, per window) -> texture (per window) -> blend. Pixels outside the mask are
        bit-identical to the input, alpha is kept, and neither the inputs nor this ``Inpainter``
        (its model, device, batch) are modified: ``options.adapt`` trains a copy, and the
        out-of-memory fallback changes only this run. ``progress(done, total)`` counts adaptation
        steps, then tile batches; ``cancel()`` returning True raises ``Cancelled``.
        """
        if not isinstance(image, Image.Image):
            raise InputError(f"the image must be a PIL image, got {type(image).__name__}")
        decode(image, "image")
        fill = as_fill_mask(mask, image.size)
        canvas = open_canvas(image, fill)
        tiles = plan_tiles(fill.holes, self.options.tile, self.options.overlap)
        if not tiles:
            if progress:
                progress(0, 0)
            return canvas.to_image()
        batch = self.options.batch or (1 if self.device.type == "cpu" else 4)
        run = _Run(self.model, self.device, batch)
        steps = self.options.adapt
        if steps:
            total = steps + len(tiles)
            report = (lambda step: progress(step, total)) if progress else None
            run.model = adapt_model(
                self.model, canvas, fill.holes, steps, self.timesteps, report, cancel
            )
        self._fill(run, canvas, fill, tiles, progress, cancel, offset=steps)
        return canvas.to_image()

    def _fill(
        self,
        run: _Run,
        canvas: Canvas,
        fill: FillMask,
        tiles: list[Tile],
        progress: Progress | None,
        cancel: Cancel | None,
        offset: int = 0,
    ) -> None:
        """Fill ``tiles`` batch by batch (timesteps, texture) and blend them; only ``fill.holes``
        are written. Progress counts on from ``offset`` (the adaptation's steps)."""

        def sink(y0: int, x0: int, rows: np.ndarray) -> None:
            canvas.write(y0, x0, rows, fill.holes[y0 : y0 + len(rows), x0 : x0 + rows.shape[1]])

        blender = RowBlender(min(t.x0 for t in tiles), max(t.x0 + t.w for t in tiles), sink)
        prior = self._prior(canvas) if self._needs_prior(canvas.holes, tiles) else None
        done = 0
        while done < len(tiles):
            if cancel is not None and cancel():
                raise Cancelled("inpainting cancelled; the image was not changed")
            batch = tiles[done : done + run.batch]
            preds = self._predict(run, canvas, batch, prior)
            for tile, pred in zip(batch, preds):
                blender.add(tile, pred, feather(tile, canvas.size, self.options.overlap))
            done += len(batch)
            blender.flush(tiles[done].y0 if done < len(tiles) else None)
            if progress is not None:
                progress(offset + done, offset + len(tiles))

    def _needs_prior(self, holes: np.ndarray, tiles: list[Tile]) -> bool:
        if not self.model.accepts_prior:
            return False
        return any(
            holes[t.y0 : t.y0 + t.h, t.x0 : t.x0 + t.w].mean() > _PRIOR_ABOVE_HOLES for t in tiles
        )

    def _prior(self, canvas: Canvas) -> torch.Tensor:
        """Image-wide membrane fill at <= ``_PRIOR_SIDE`` px: context for windows inside big holes."""
        height, width = canvas.size
        f = max(1, -(-max(height, width) // _PRIOR_SIDE))
        fy, fx = min(f, height), min(f, width)  # thin images shrink only along their long side
        h, w = height // fy, width // fx
        # membrane_fill (fill/) takes the context polarity: each cell's share of known pixels.
        rgb = np.zeros((h, w, 3), np.float32)
        known = np.zeros((h, w), np.float32)
        step = max(1, 256 // fy)  # cell rows per chunk: ~256 image rows, bounded memory on any size
        for r in range(0, h, step):
            r1 = min(h, r + step)
            k = ~canvas.holes[r * fy : r1 * fy, : w * fx].reshape(r1 - r, fy, w, fx)
            px = canvas.read(r * fy, r1 * fy, 0, w * fx).reshape(r1 - r, fy, w, fx, 3)
            known[r:r1] = k.mean(axis=(1, 3), dtype=np.float32)
            rgb[r:r1] = np.einsum("aybxc,aybx->abc", px, k, dtype=np.float32) / (255.0 * fy * fx)
        rgb_t = torch.from_numpy(rgb).permute(2, 0, 1)[None]  # already float: cell means
        known_t = torch.from_numpy(known)[None, None]
        return membrane_fill(rgb_t / known_t.clamp_min(1e-8), (known_t > 0).float())

    def _predict(
        self,
        run: _Run,
        canvas: Canvas,
        batch: list[Tile],
        prior: torch.Tensor | None,
    ) -> list[np.ndarray]:
        """``_windows`` on ``batch``; on CUDA out of memory halve the batch, then use the CPU."""
        while True:
            try:
                preds: list[np.ndarray] = []
                for i in range(0, len(batch), run.batch):
                    preds += self._windows(run, canvas, batch[i : i + run.batch], prior)
                return preds
            except torch.cuda.OutOfMemoryError:
                torch.cuda.empty_cache()
                if run.batch > 1:
                    run.batch //= 2
                    log.warning("GPU out of memory: retrying with %d tiles per batch", run.batch)
                elif run.device.type != "cpu":
                    log.warning("GPU out of memory even for one tile: continuing on the CPU")
                    # A fresh CPU copy (the GPU model is shared with other Inpainters) of the run's
                    # own parameters, which an adaptation to the photo may have changed.
                    cpu_model = build_model(self.info.config, **self.info.model_kwargs)
                    state = {k: v.cpu() for k, v in run.model.state_dict().items()}
                    cpu_model.load_state_dict(state)
                    run.model = cpu_model.eval().to(memory_format=torch.channels_last)
                    run.device = torch.device("cpu")
                else:
                    raise DeviceError(
                        "out of memory even for one tile on the CPU; choose a smaller tile size"
                    ) from None

    @torch.inference_mode()
    def _windows(
        self,
        run: _Run,
        canvas: Canvas,
        batch: list[Tile],
        prior: torch.Tensor | None,
    ) -> list[np.ndarray]:
        """The fills of ``batch`` (windows of one size), ``[h, w, 3]`` floats in [0, 1] each:
        the timesteps step, then the texture step."""
        tile = batch[0]
        photo, holes = self._window_tensors(run, canvas, batch)
        crops = None
        if prior is not None:
            crops = self._prior_crops(prior, canvas.size, batch).to(run.device)
        filled = self._timesteps(run, photo, holes, crops)[..., : tile.h, : tile.w]
        if self.options.texture:
            filled = self._texture(
                photo[..., : tile.h, : tile.w], holes[..., : tile.h, : tile.w], filled
            )
        return list(to_rgb(filled))

    @staticmethod
    def _window_tensors(
        run: _Run, canvas: Canvas, batch: list[Tile]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``batch``'s windows on the run's device: photo ``[N, 3, H, W]`` in [0, 1] and holes
        ``[N, 1, H, W]``, 1 = fill, both padded to the model's multiple."""
        tile = batch[0]
        multiple = run.model.multiple
        pad_h, pad_w = -tile.h % multiple, -tile.w % multiple
        rgb = np.stack([canvas.read(t.y0, t.y0 + t.h, t.x0, t.x0 + t.w) for t in batch])
        hole = np.stack([canvas.holes[t.y0 : t.y0 + t.h, t.x0 : t.x0 + t.w] for t in batch])
        photo = to_tensor(rgb).to(run.device).contiguous(memory_format=torch.channels_last)
        holes = torch.from_numpy(hole).to(run.device)[:, None].float()
        if pad_h or pad_w:  # the edges replicated, each pixel with its own mask: what is to be
            # removed at an edge must not come back as context
            photo = F.pad(photo, (0, pad_w, 0, pad_h), mode="replicate")
            holes = F.pad(holes, (0, pad_w, 0, pad_h), mode="replicate")
        return photo, holes

    def _timesteps(
        self,
        run: _Run,
        photo: torch.Tensor,
        holes: torch.Tensor,
        prior: torch.Tensor | None,
    ) -> torch.Tensor:
        """The network over T timesteps, averaged over the flipped views: ``[N, 3, H, W]``."""

        def forward(x: torch.Tensor, m: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
            return run.model(x, m, timesteps=self.timesteps, prior=p)

        return averaged(forward, photo, holes, prior, self.options.views)

    @staticmethod
    def _texture(photo: torch.Tensor, holes: torch.Tensor, filled: torch.Tensor) -> torch.Tensor:
        """The texture step: the photo's own structure on the network's layout, window by window.

        ``photo`` and ``filled`` are ``[N, 3, h, w]``, ``holes`` ``[N, 1, h, w]``, 1 = fill.
        """
        known = holes[:, 0] < 0.5  # add_texture (fill/) still takes the known polarity
        with _one_thread(photo.device):
            return torch.stack(
                [
                    add_texture(torch.where(k, p, o), k)
                    for p, o, k in zip(photo, filled.float(), known)
                ]
            )

    @staticmethod
    def _prior_crops(prior: torch.Tensor, size: tuple[int, int], batch: list[Tile]) -> torch.Tensor:
        ph, pw = prior.shape[-2:]
        sy, sx = ph / size[0], pw / size[1]
        crops = []
        for t in batch:
            y0, x0 = int(t.y0 * sy), int(t.x0 * sx)
            y1, x1 = max(y0 + 1, round((t.y0 + t.h) * sy)), max(x0 + 1, round((t.x0 + t.w) * sx))
            out_size = (max(1, t.h // 16), max(1, t.w // 16))
            crops.append(F.interpolate(prior[..., y0:y1, x0:x1], size=out_size, mode="bilinear"))
        return torch.cat(crops)


def _same_device(a: torch.device, b: torch.device) -> bool:
    """``cuda`` and ``cuda:0`` are one device; ``torch.device`` equality says they differ."""
    if a.type != b.type:
        return False
    return a.type == "cpu" or (a.index or 0) == (b.index or 0)


@contextmanager
def _one_thread(device: torch.device) -> Iterator[None]:
    """On the CPU, torch's ops in this thread run on one thread for the block.

    The texture step is thousands of small tensor ops: waking OpenMP's sleeping threads for each
    costs more than they save (on 2 cores, ``scnn-bench``: docs/performance.md). The same pixels
    come out either way. With OpenMP the count is the calling thread's own, so a fill in a worker
    thread leaves the rest of the process alone."""
    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
