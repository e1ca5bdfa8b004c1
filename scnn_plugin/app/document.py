"""The document: image, mask, undo stack, its files and dirty flags, observable through Qt signals.

Why a model without widgets: every edit the window offers (strokes, clear, invert, load mask, an
inpainting result) goes through here as an undo command, so undo/redo and the dirty flag are tested
without a screen, and the canvas only draws what the signals say changed. The document also owns
its files: it opens, saves and writes its mask, and knows which files it may replace without asking;
the window only asks the user and shows errors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PyQt6.QtCore import QObject, QRect, pyqtSignal
from PyQt6.QtGui import QUndoCommand, QUndoStack

from ..atomic import atomic_write
from ..errors import InputError
from ..image_io import load_image, save_image
from ..masks import mask_array
from .brush import Box, stamp_segment

FILL = 255  # mask value of a pixel to fill; 0 = keep


class Document(QObject):
    """One open image. ``mask`` is ``[H, W]`` uint8, ``FILL`` where the user painted."""

    image_changed = pyqtSignal()
    mask_changed = pyqtSignal(QRect)  # the image-pixel region whose mask changed
    dirty_changed = pyqtSignal(bool)
    path_changed = pyqtSignal()
    # After every undo step done, undone or redone. Unlike QUndoStack.indexChanged it is not emitted
    # while the document is being destroyed, so receivers never see a half-deleted document.
    edited = pyqtSignal()

    def __init__(self, image: Image.Image, path: Path | None = None) -> None:
        super().__init__()
        self._image = image
        self._saved_image: Image.Image | None = image if path is not None else None
        self.original = image  # as opened
        self._mask = np.zeros((image.height, image.width), np.uint8)
        self._saved_mask = self._mask.copy()  # as last saved or loaded: an empty mask loses nothing
        self._path = path
        self.undo_stack = QUndoStack(self)
        self._stroke_before: np.ndarray | None = None
        self._stroke_box: Box | None = None
        self._approved: set[Path] = set()  # files this document wrote or the user let it replace

    # --- files ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Document:
        """The image at ``path`` as a new document; ``InputError`` naming why it cannot be read."""
        return cls(load_image(path), path)

    def needs_consent_to_replace(self, path: Path) -> bool:
        """True when saving to ``path`` would replace a file this document did not write and the
        user has not yet agreed to replace (the photo it was opened from, say)."""
        return path.exists() and path not in self._approved

    def approve(self, path: Path) -> None:
        """The user agreed to replace ``path`` (a file dialog asked): do not ask again."""
        self._approved.add(path)

    def save(self, path: Path) -> None:
        """Write the image to ``path`` atomically and make it the document's file.

        ``InputError`` (a full disk, a format that cannot hold the image) leaves any file at
        ``path`` as it was and the document unchanged.
        """
        save_image(self._image, path)
        self._approved.add(path)
        self.mark_saved(path)

    def save_mask(self, path: Path) -> None:
        """Write the mask as a greyscale PNG (255 = fill), the form ``load_mask_file`` and the
        command line read; ``InputError`` when it cannot be written (any old file is kept)."""
        mask = self.mask_image()
        try:
            atomic_write(path, lambda tmp: mask.save(tmp, format="PNG"))
        except OSError as err:
            raise InputError(f"{path}: could not save ({err.strerror or err})") from None
        self.mark_mask_saved()

    def load_mask_file(self, path: Path) -> None:
        """Use the image at ``path`` as the mask (``FillMask.painted``: at least half white = fill);
        ``InputError`` if it cannot be read or its size differs from the image's."""
        self.load_mask(load_image(path))

    def suggested_path(self) -> Path:
        """Where Save As proposes to write: beside the original, never over it."""
        if self._path is None:
            return Path.home() / "inpainted.png"
        return self._path.with_name(f"{self._path.stem}-inpainted{self._path.suffix}")

    def suggested_mask_path(self) -> Path:
        if self._path is None:
            return Path.home() / "mask.png"
        return self._path.with_name(f"{self._path.stem}-mask.png")

    # --- observable state -------------------------------------------------------------------

    @property
    def image(self) -> Image.Image:
        return self._image

    @property
    def mask(self) -> np.ndarray:
        """Read-only view; edit through the methods so every change is undoable."""
        view = self._mask.view()
        view.flags.writeable = False
        return view

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def dirty(self) -> bool:
        """True while the image differs from the file it was opened from or last saved to."""
        return self._image is not self._saved_image

    @property
    def has_mask(self) -> bool:
        return bool(self._mask.any())

    @property
    def mask_dirty(self) -> bool:
        """True while a painted mask differs from the one last saved or loaded (work to lose)."""
        return self.has_mask and not np.array_equal(self._mask, self._saved_mask)

    def mark_mask_saved(self) -> None:
        """Record that the current mask now lives in a file."""
        self._saved_mask = self._mask.copy()

    @property
    def before_last_inpaint(self) -> Image.Image:
        """The image as it was before the most recent inpaint still in effect, for compare.

        Walks back from the undo stack's current index, so after undoing a result compare shows
        the state before the one before; with no result in effect it is the image as opened.
        """
        for index in range(self.undo_stack.index() - 1, -1, -1):
            command = self.undo_stack.command(index)
            if isinstance(command, _ResultCommand):
                return command.old_image
        return self.original

    def mask_image(self) -> Image.Image:
        """A snapshot of the mask as an L image (255 = fill), safe to hand to another thread."""
        return Image.fromarray(self._mask.copy(), mode="L")

    def mark_saved(self, path: Path) -> None:
        """Record that the current image now lives in ``path``."""
        was_dirty = self.dirty
        self._saved_image = self._image
        if path != self._path:
            self._path = path
            self.path_changed.emit()
        if was_dirty:
            self.dirty_changed.emit(False)

    # --- edits (each one undoable) -------------------------------------------------------------

    def begin_stroke(self) -> None:
        self._stroke_before = self._mask.copy()
        self._stroke_box = None

    def paint_segment(
        self, p0: tuple[float, float], p1: tuple[float, float], diameter: float, erase: bool
    ) -> None:
        """Paint (or erase) one segment of the stroke in progress, live."""
        if self._stroke_before is None:
            raise RuntimeError("paint_segment outside begin_stroke/end_stroke")
        box = stamp_segment(self._mask, p0, p1, diameter / 2, 0 if erase else FILL)
        if box is None:
            return
        self._stroke_box = box if self._stroke_box is None else _union(self._stroke_box, box)
        self.mask_changed.emit(_rect(box))

    def end_stroke(self, erase: bool) -> None:
        """Close the stroke: one undo step holding only the pixels it covered."""
        before, box = self._stroke_before, self._stroke_box
        self._stroke_before = self._stroke_box = None
        if before is None or box is None:
            return
        x0, y0, x1, y1 = box
        old = before[y0:y1, x0:x1].copy()
        new = self._mask[y0:y1, x0:x1].copy()
        if np.array_equal(old, new):
            return
        self.undo_stack.push(_MaskRegionCommand(self, box, old, new, "Erase" if erase else "Paint"))

    def clear_mask(self) -> None:
        if self.has_mask:
            self._push_mask(np.zeros_like(self._mask), "Clear mask")

    def invert_mask(self) -> None:
        self._push_mask(np.where(self._mask > 0, 0, FILL).astype(np.uint8), "Invert mask")

    def load_mask(self, mask: Image.Image) -> None:
        """Replace the mask with ``mask`` (at least half white = fill, ``FillMask.painted``);
        ``InputError`` if its size differs."""
        holes = mask_array(mask, self._image.size)
        self._push_mask(np.where(holes, FILL, 0).astype(np.uint8), "Load mask")
        self.mark_mask_saved()  # it is in that file: opening another photo loses nothing

    def apply_result(self, result: Image.Image) -> None:
        """Replace the image with an inpainting result and clear the mask, as one undo step."""
        if result.size != self._image.size:
            raise ValueError(f"result is {result.size}, the image is {self._image.size}")
        self.undo_stack.push(
            _ResultCommand(self, self._image, result, self._mask.copy(), np.zeros_like(self._mask))
        )

    def _push_mask(self, new: np.ndarray, text: str) -> None:
        height, width = self._mask.shape
        box = (0, 0, width, height)
        self.undo_stack.push(_MaskRegionCommand(self, box, self._mask.copy(), new, text))

    # --- state changes, called only by undo commands -------------------------------------------

    def _write_mask(self, box: Box, values: np.ndarray) -> None:
        x0, y0, x1, y1 = box
        self._mask[y0:y1, x0:x1] = values
        self.mask_changed.emit(_rect(box))

    def _set_image(self, image: Image.Image) -> None:
        was_dirty = self.dirty
        self._image = image
        self.image_changed.emit()
        if self.dirty != was_dirty:
            self.dirty_changed.emit(self.dirty)


class _MaskRegionCommand(QUndoCommand):
    """Swap a box of the mask between its old and new pixels."""

    def __init__(self, doc: Document, box: Box, old: np.ndarray, new: np.ndarray, text: str):
        super().__init__(text)
        self._doc, self._box, self._old, self._new = doc, box, old, new

    def redo(self) -> None:
        self._doc._write_mask(self._box, self._new)
        self._doc.edited.emit()

    def undo(self) -> None:
        self._doc._write_mask(self._box, self._old)
        self._doc.edited.emit()


class _ResultCommand(QUndoCommand):
    """Swap image and mask together, so undo brings back the mask that produced the result."""

    def __init__(
        self,
        doc: Document,
        old_image: Image.Image,
        new_image: Image.Image,
        old_mask: np.ndarray,
        new_mask: np.ndarray,
    ):
        super().__init__("Inpaint")
        self._doc = doc
        self._images = (old_image, new_image)
        self._masks = (old_mask, new_mask)

    @property
    def old_image(self) -> Image.Image:
        return self._images[0]

    def redo(self) -> None:
        self._apply(1)

    def undo(self) -> None:
        self._apply(0)

    def _apply(self, which: int) -> None:
        height, width = self._masks[which].shape
        self._doc._set_image(self._images[which])
        self._doc._write_mask((0, 0, width, height), self._masks[which])
        self._doc.edited.emit()


def _union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _rect(box: Box) -> QRect:
    x0, y0, x1, y1 = box
    return QRect(x0, y0, x1 - x0, y1 - y0)
