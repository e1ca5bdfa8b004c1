"""The questions the window asks about files: which one to open or save to, replace it, keep
unsaved work. Each returns the user's answer (``None`` or ``False`` when they cancelled); what to
do with it is the window's business.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from PyQt6.QtGui import QDragEnterEvent, QDropEvent
from PyQt6.QtWidgets import QFileDialog, QMessageBox, QWidget

OPEN_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.bmp *.gif);;All files (*)"
SAVE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.bmp);;All files (*)"
MASK_FILTER = "PNG mask (*.png);;All files (*)"


class Unsaved(Enum):
    """What to do with unsaved work before it would be dropped."""

    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


def ask_image_to_open(parent: QWidget, start: Path | None) -> Path | None:
    """An image file to open, starting in folder ``start``."""
    chosen, _ = QFileDialog.getOpenFileName(
        parent, "Open image", str(start) if start else "", OPEN_FILTER
    )
    return Path(chosen) if chosen else None


def ask_mask_to_load(parent: QWidget) -> Path | None:
    """An image file to use as the mask."""
    chosen, _ = QFileDialog.getOpenFileName(parent, "Load mask", "", OPEN_FILTER)
    return Path(chosen) if chosen else None


def ask_image_save_path(parent: QWidget, suggestion: Path) -> Path | None:
    """Where to save the image; a name typed without an extension keeps ``suggestion``'s format.

    The file dialog asks before replacing the name it returns; a name we extend is asked here.
    """
    chosen, _ = QFileDialog.getSaveFileName(parent, "Save as", str(suggestion), SAVE_FILTER)
    if not chosen:
        return None
    path = Path(chosen)
    if not path.suffix:
        path = path.with_suffix(suggestion.suffix)
        if path.exists() and not confirm_replace(
            parent, f"{path.name} already exists. Replace it?"
        ):
            return None
    return path


def ask_mask_save_path(parent: QWidget, suggestion: Path) -> Path | None:
    """Where to save the mask, as a PNG unless the user typed another extension."""
    chosen, _ = QFileDialog.getSaveFileName(parent, "Save mask", str(suggestion), MASK_FILTER)
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix else path.with_suffix(".png")


def confirm_replace(parent: QWidget, question: str) -> bool:
    """Yes or No to replacing a file; No is the default."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent, "Replace file?", question, buttons.Yes | buttons.No, buttons.No
    )
    return answer == buttons.Yes


def ask_about_unsaved(parent: QWidget, name: str, image: bool, mask: bool) -> Unsaved:
    """Save, discard or keep (cancel) an edited ``image`` and / or a painted ``mask`` not yet in a
    file: both are work the user would have to redo."""
    if image and mask:
        question = f"Save the changes to {name} and the painted mask?"
    elif image:
        question = f"Save the changes to {name}?"
    else:
        question = f"The mask painted on {name} is not saved. Save it?"
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent,
        "Unsaved changes",
        question,
        buttons.Save | buttons.Discard | buttons.Cancel,
        buttons.Save,
    )
    if answer == buttons.Save:
        return Unsaved.SAVE
    return Unsaved.DISCARD if answer == buttons.Discard else Unsaved.CANCEL


def dropped_file(event: QDropEvent | QDragEnterEvent) -> Path | None:
    """The local file dragged onto the window, if the drag carries one."""
    urls = event.mimeData().urls() if event.mimeData() is not None else []
    if urls and urls[0].isLocalFile():
        return Path(urls[0].toLocalFile())
    return None
