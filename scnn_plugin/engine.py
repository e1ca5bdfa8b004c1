"""Inpainter: the one place the pipeline reads top to bottom.

image -> canvas (imaging) -> mask (masks) -> [model adapted to the photo (adapt), on request]
-> tiles (tiling) -> spiking model over T timesteps (models), averaged over flipped views (views)
-> feathered blend of overlapping tiles (tiling.RowBlender) -> masked pixels written back (imaging).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from .adapt import adapt_model
from .devices import describe_device, resolve_device
from .errors import Cancelled, DeviceError, InputError
from .fill import membrane_fill
from .imaging import Canvas, open_canvas
from .masks import mask_array
from .models import build_model
from .options import InpaintOptions
from .tiling import RowBlender, Tile, feather, plan_tiles
from .views import averaged
from .weights import WeightsInfo, load_weights, resolve_weights

log = logging.getLogger("scnn_plugin")

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]

# A window whose known pixels are fewer than this share gets an image-wide prior for its deep holes.
_PRIOR_BELOW_KNOWN = 0.5
# Long side of the image-wide low-resolution fill used as that prior.
_PRIOR_SIDE = 256


class Inpainter:
    """A loaded model plus the options to run it; thread-compatible (one ``inpaint`` at a time)."""

    def __init__(self, model: nn.Module, info: WeightsInfo, options: InpaintOptions) -> None:
        # Channels-last lets oneDNN / cuDNN pick their fastest convolutions (-15 % on a 2-core CPU).
        self.model = model.to(memory_format=torch.channels_last)
        self.info = info
        self.options = options
        self.device = next(model.parameters()).device
        self._batch = options.batch or (1 if self.device.type == "cpu" else 4)

    @classmethod
    def from_pretrained(
        cls,
        weights: str | os.PathLike | None = None,
        device: str = "auto",
        options: InpaintOptions | None = None,
        config: str = "default",
    ) -> Inpainter:
        """Load ``weights`` (None = the shipped ``config`` weights) onto ``device``."""
        options = replace(options or InpaintOptions(), device=device)
        torch_device = resolve_device(device)
        model, info = load_weights(resolve_weights(weights, config), torch_device)
        return cls(model, info, options)

    def with_options(self, options: InpaintOptions) -> Inpainter:
        """The same loaded model under other tiling/timestep options (device changes need a reload)."""
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
        mask: Image.Image,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> Image.Image:
        """Fill the nonzero pixels of ``mask`` in ``image``; return a new image of the same size
        and mode.

        Pixels outside the mask are bit-identical to the input, alpha is kept, and neither the
        inputs nor the loaded model are modified (``options.adapt`` trains a copy).
        ``progress(done, total)`` counts adaptation steps, then tile batches; ``cancel()``
        returning True raises ``Cancelled``.
        """
        if not isinstance(image, Image.Image) or not isinstance(mask, Image.Image):
            raise InputError("image and mask must be PIL images")
        holes = mask_array(mask, image.size)
        canvas = open_canvas(image, holes)  # refuses a mask that leaves nothing to fill from
        tiles = plan_tiles(holes, self.options.tile, self.options.overlap)
        if not tiles:
            if progress:
                progress(0, 0)
            return canvas.to_image()
        job = self
        steps = self.options.adapt
        if steps:
            total = steps + len(tiles)
            report = (lambda step: progress(step, total)) if progress else None
            model = adapt_model(self.model, canvas, holes, steps, self.timesteps, report, cancel)
            job = Inpainter(model, self.info, self.options)
        job._fill(canvas, holes, tiles, progress, cancel, offset=steps)
        return canvas.to_image()

    def _fill(
        self,
        canvas: Canvas,
        holes: np.ndarray,
        tiles: list[Tile],
        progress: Progress | None,
        cancel: Cancel | None,
        offset: int = 0,
    ) -> None:
        """Run and blend ``tiles``; progress counts on from ``offset`` (the adaptation's steps)."""

        def sink(y0: int, x0: int, rows: np.ndarray) -> None:
            canvas.write(y0, x0, rows, holes[y0 : y0 + len(rows), x0 : x0 + rows.shape[1]])

        blender = RowBlender(min(t.x0 for t in tiles), max(t.x0 + t.w for t in tiles), sink)
        prior = self._prior(canvas, holes) if self._needs_prior(holes, tiles) else None
        done = 0
        while done < len(tiles):
            if cancel is not None and cancel():
                raise Cancelled("inpainting cancelled; the image was not changed")
            batch = tiles[done : done + self._batch]
            preds = self._predict(canvas, holes, batch, prior)
            for tile, pred in zip(batch, preds):
                blender.add(tile, pred, feather(tile, canvas.size, self.options.overlap))
            done += len(batch)
            blender.flush(tiles[done].y0 if done < len(tiles) else None)
            if progress is not None:
                progress(offset + done, offset + len(tiles))

    def _needs_prior(self, holes: np.ndarray, tiles: list[Tile]) -> bool:
        if not getattr(self.model, "accepts_prior", False):
            return False
        return any(
            holes[t.y0 : t.y0 + t.h, t.x0 : t.x0 + t.w].mean() > 1 - _PRIOR_BELOW_KNOWN for t in tiles
        )

    def _prior(self, canvas: Canvas, holes: np.ndarray) -> torch.Tensor:
        """Image-wide membrane fill at <= ``_PRIOR_SIDE`` px: context for windows inside big holes."""
        height, width = canvas.size
        f = max(1, -(-max(height, width) // _PRIOR_SIDE))
        fy, fx = min(f, height), min(f, width)  # thin images shrink only along their long side
        h, w = height // fy, width // fx
        rgb = np.zeros((h, w, 3), np.float32)
        known = np.zeros((h, w), np.float32)
        step = max(1, 256 // fy)  # cell rows per chunk: ~256 image rows, bounded memory on any size
        for r in range(0, h, step):
            r1 = min(h, r + step)
            k = ~holes[r * fy : r1 * fy, : w * fx].reshape(r1 - r, fy, w, fx)
            px = canvas.read(r * fy, r1 * fy, 0, w * fx).reshape(r1 - r, fy, w, fx, 3)
            known[r:r1] = k.mean(axis=(1, 3), dtype=np.float32)
            rgb[r:r1] = np.einsum("aybxc,aybx->abc", px, k, dtype=np.float32) / (255.0 * fy * fx)
        rgb_t = torch.from_numpy(rgb).permute(2, 0, 1)[None]
        known_t = torch.from_numpy(known)[None, None]
        return membrane_fill(rgb_t / known_t.clamp_min(1e-8), (known_t > 0).float())

    def _predict(
        self, canvas: Canvas, holes: np.ndarray, batch: list[Tile], prior: torch.Tensor | None
    ) -> list[np.ndarray]:
        """Run the model on ``batch``; on CUDA out-of-memory halve the batch, then fall back to CPU."""
        while True:
            try:
                preds: list[np.ndarray] = []
                for i in range(0, len(batch), self._batch):
                    preds += self._forward(canvas, holes, batch[i : i + self._batch], prior)
                return preds
            except torch.cuda.OutOfMemoryError:
                torch.cuda.empty_cache()
                if self._batch > 1:
                    self._batch //= 2
                    log.warning("GPU out of memory: retrying with %d tiles per batch", self._batch)
                elif self.device.type != "cpu":
                    log.warning("GPU out of memory even for one tile: continuing on the CPU")
                    # A fresh CPU copy (the GPU model may be shared with other Inpainters) of the
                    # GPU model's own parameters, which an adaptation to the photo may have changed.
                    cpu_model = build_model(self.info.config, **self.info.model_kwargs)
                    state = {k: v.cpu() for k, v in self.model.state_dict().items()}
                    cpu_model.load_state_dict(state)
                    self.model = cpu_model.eval().to(memory_format=torch.channels_last)
                    self.device = torch.device("cpu")
                else:
                    raise DeviceError(
                        "out of memory even for one tile on the CPU; choose a smaller tile size"
                    ) from None

    @torch.inference_mode()
    def _forward(
        self, canvas: Canvas, holes: np.ndarray, batch: list[Tile], prior: torch.Tensor | None
    ) -> list[np.ndarray]:
        tile = batch[0]
        multiple = getattr(self.model, "multiple", 1)
        pad_h, pad_w = -tile.h % multiple, -tile.w % multiple
        rgb = np.stack([canvas.read(t.y0, t.y0 + t.h, t.x0, t.x0 + t.w) for t in batch])
        msk = np.stack([holes[t.y0 : t.y0 + t.h, t.x0 : t.x0 + t.w] for t in batch])
        x = torch.from_numpy(rgb).to(self.device).permute(0, 3, 1, 2).float().div_(255)
        x = x.contiguous(memory_format=torch.channels_last)
        m = torch.from_numpy(msk).to(self.device)[:, None].float()
        if pad_h or pad_w:  # the edges replicated, each pixel with its own mask: what is to be
            # removed at an edge must not come back as context
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
            m = F.pad(m, (0, pad_w, 0, pad_h), mode="replicate")
        crops = None
        if prior is not None:
            crops = self._prior_crops(prior, canvas.size, batch).to(self.device)

        def run(x: torch.Tensor, m: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
            kwargs = {} if p is None else {"prior": p}
            return self.model(x, m, timesteps=self.timesteps, **kwargs)

        out = averaged(run, x, m, crops, self.options.views)[..., : tile.h, : tile.w]
        out = out.permute(0, 2, 3, 1).float().cpu().numpy()
        return list(out)

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
