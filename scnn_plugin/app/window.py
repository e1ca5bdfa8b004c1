"""The main window: menus, tool bar and status bar around the canvas; asks, shows and runs.

The document owns its files (open, save, mask files, which files it may replace) and ``RunState``
the state of a run; ``chrome`` builds the window's actions and bars and ``file_dialogs`` asks the
user about files; the window acts on the answers and shows what the document and the run report.

Why errors use non-blocking dialogs (``QMessageBox.open``): a failed open or run must never take the
window down, and the window stays usable (and testable) while the message is shown.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

from PIL import Image
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QUndoGroup
from PyQt6.QtWidgets import QMainWindow, QMessageBox

from ..cpu_threads import configure_threads
from ..errors import InputError
from . import chrome, file_dialogs
from .brush import size_to_position
from .canvas_view import CanvasView
from .document import Document
from .file_dialogs import Unsaved
from .model_cache import ModelCache
from .run_progress import RunState
from .settings import BRUSH_SIZES, AppSettings, SettingsStore
from .settings_dialog import SettingsDialog
from .shortcuts_dialog import ShortcutsDialog
from .worker import InpaintWorker, RunReport

log = logging.getLogger("scnn_plugin.app")

APP_TITLE = "SC-NN Inpaint"


class MainWindow(QMainWindow):
    """One document at a time; settings come from and go back to ``store``."""

    def __init__(self, store: SettingsStore, cache: ModelCache | None = None) -> None:
        super().__init__()
        self.store = store
        self.settings, warning = store.load()
        self.cache = cache or ModelCache()
        self.doc: Document | None = None
        self.worker: InpaintWorker | None = None
        self.last_run: RunReport | None = None
        self.run: RunState | None = None  # the run in progress, from inpaint() to its end
        self.undo_group = QUndoGroup(self)  # follows the document's undo stack

        self.canvas = CanvasView()
        self.canvas.brush_size = self.settings.brush_size
        self.setCentralWidget(self.canvas)
        self.setAcceptDrops(True)
        self.resize(1100, 800)

        chrome.build_actions(self)
        chrome.build_menus(self)
        chrome.build_tool_bar(self)
        chrome.build_status_bar(self)
        self._apply_threads()  # and again in apply_settings, whenever the setting changes
        self.set_brush_size(self.settings.brush_size)
        self._update_title()
        self._update_actions()
        self._update_status()
        if warning:
            self.show_message("Settings reset", warning, QMessageBox.Icon.Warning)

    # --- state shown in the chrome ------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.worker is not None

    def _update_title(self) -> None:
        if self.doc is None:
            self.setWindowTitle(APP_TITLE)
            return
        name = self.doc.path.name if self.doc.path else "Untitled"
        self.setWindowTitle(f"{name}[*] — {APP_TITLE}")
        self.setWindowModified(self.doc.dirty)

    def _update_actions(self) -> None:
        has_doc = self.doc is not None
        idle = not self.running
        for action in (self.open_action, self.settings_action):
            action.setEnabled(idle)
        self.recent_menu.setEnabled(idle)
        for action in (
            self.save_action,
            self.save_as_action,
            self.clear_mask_action,
            self.invert_mask_action,
            self.load_mask_action,
        ):
            action.setEnabled(has_doc and idle)
        self.save_mask_action.setEnabled(has_doc and idle and self.doc.has_mask)
        self.finetune_action.setEnabled(idle)
        self.inpaint_action.setEnabled(has_doc and idle and self.doc.has_mask)
        self.cancel_action.setEnabled(not idle)
        self.canvas.painting_enabled = idle
        # No undo while a run is going: its result is for the image and mask it started from.
        self.undo_group.setActiveStack(self.doc.undo_stack if has_doc and idle else None)

    def show_undo_step(self, step: str) -> None:
        chrome.describe_step(self.undo_action, "Undo", step)

    def show_redo_step(self, step: str) -> None:
        chrome.describe_step(self.redo_action, "Redo", step)

    def show_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f} %")

    def _update_status(self) -> None:
        options = self.settings.options
        if self.last_run is None:
            steps = options.timesteps or "as trained"
            text = f"Device: {options.device} · timesteps: {steps}"
        else:
            run = self.last_run
            text = (
                f"Device: {run.device} · timesteps: {run.timesteps} · last run: {run.seconds:.1f} s"
            )
        # The settings that make a run several times slower: always in sight.
        if options.views > 1:
            text += f" · {options.views} views"
        if options.adapt:
            text += f" · adapting: {options.adapt} steps"
        self.info_label.setText(text)

    def show_message(
        self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Critical
    ) -> QMessageBox:
        """A window-modal message that does not block the event loop."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    # --- files --------------------------------------------------------------------------------

    def open_dialog(self) -> None:
        start = self.doc.path.parent if self.doc and self.doc.path else None
        path = file_dialogs.ask_image_to_open(self, start)
        if path is not None:
            self.open_path(path)

    def open_path(self, path: Path) -> bool:
        """Open ``path`` as the document; on failure show why and keep the current one."""
        if self.running or not self._may_discard_changes():
            return False
        try:
            doc = Document.open(path)
        except InputError as err:
            self.show_message("Cannot open image", str(err))
            return False
        self._set_document(doc)
        self._remember(path)
        return True

    def _set_document(self, doc: Document) -> None:
        if self.doc is not None:
            self.undo_group.removeStack(self.doc.undo_stack)
            self.doc.deleteLater()
        self.doc = doc
        self.undo_group.addStack(doc.undo_stack)
        doc.dirty_changed.connect(self._update_title)
        doc.path_changed.connect(self._update_title)
        doc.edited.connect(self._update_actions)
        self.canvas.set_document(doc)
        self.canvas.setFocus()
        self._update_title()
        self._update_actions()

    def _remember(self, path: Path) -> None:
        self.settings = self.settings.with_recent(path)
        self._save_settings()

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for name in self.settings.recent_files:
            action = self.recent_menu.addAction(name)
            action.triggered.connect(lambda _=False, p=name: self.open_path(Path(p)))
        if not self.settings.recent_files:
            self.recent_menu.addAction("No recent files").setEnabled(False)

    def save(self) -> bool:
        """Save over the document's file, asking once before replacing a file we did not write."""
        if self.doc is None:
            return False
        path = self.doc.path
        if path is None:
            return self.save_as()
        if self.doc.needs_consent_to_replace(path):
            question = f"Replace {path.name} with the edited image? The original will be lost."
            if not file_dialogs.confirm_replace(self, question):
                return False
        return self._write(path)

    def save_as(self) -> bool:
        """Save under a new name; the file dialog asks before overwriting."""
        if self.doc is None:
            return False
        path = file_dialogs.ask_image_save_path(self, self.doc.suggested_path())
        if path is None:
            return False
        self.doc.approve(path)
        return self._write(path)

    def _write(self, path: Path) -> bool:
        assert self.doc is not None
        try:
            self.doc.save(path)
        except InputError as err:
            self.show_message("Cannot save image", str(err))
            return False
        self._remember(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _may_discard_changes(self) -> bool:
        """True when nothing unsaved would be lost, or the user saved or discarded it."""
        if self.doc is None or not (self.doc.dirty or self.doc.mask_dirty):
            return True
        image, mask = self.doc.dirty, self.doc.mask_dirty
        name = self.doc.path.name if self.doc.path else "the image"
        answer = file_dialogs.ask_about_unsaved(self, name, image, mask)
        if answer is Unsaved.SAVE:
            return (not image or self.save()) and (not mask or self.save_mask_dialog())
        return answer is Unsaved.DISCARD

    # --- mask ---------------------------------------------------------------------------------

    def use_brush(self, on: bool) -> None:
        if on:
            self.eraser_action.setChecked(False)
            self.canvas.erasing = False
        elif not self.eraser_action.isChecked():
            self.brush_action.setChecked(True)  # one of the two is always active

    def use_eraser(self, on: bool) -> None:
        if on:
            self.brush_action.setChecked(False)
            self.canvas.erasing = True
        elif not self.brush_action.isChecked():
            self.eraser_action.setChecked(True)

    @property
    def brush_size(self) -> int:
        """Brush diameter in image pixels."""
        return self.canvas.brush_size

    def set_brush_size(self, size: int) -> None:
        """Set the brush diameter (clamped to ``BRUSH_SIZES``) and show it on slider and label."""
        size = min(max(int(size), BRUSH_SIZES[0]), BRUSH_SIZES[1])
        self.canvas.brush_size = size
        self.size_label.setText(f"{size} px")
        self.size_slider.blockSignals(True)  # the slider's rounding must not change the size
        self.size_slider.setValue(size_to_position(size, BRUSH_SIZES))
        self.size_slider.blockSignals(False)
        self.canvas.update()

    def step_brush(self, direction: int) -> None:
        """One step smaller (-1) or larger (+1): 15 % of the size, at least a pixel."""
        size = self.canvas.brush_size
        self.set_brush_size(size + direction * max(1, round(size * 0.15)))

    def clear_mask(self) -> None:
        if self.doc is not None:
            self.doc.clear_mask()

    def invert_mask(self) -> None:
        if self.doc is not None:
            self.doc.invert_mask()

    def load_mask_dialog(self) -> None:
        if self.doc is None:
            return
        path = file_dialogs.ask_mask_to_load(self)
        if path is not None:
            self.load_mask(path)

    def save_mask_dialog(self) -> bool:
        """Ask where, then save the mask; False when the user cancelled or the write failed."""
        if self.doc is None:
            return False
        path = file_dialogs.ask_mask_save_path(self, self.doc.suggested_mask_path())
        return path is not None and self.save_mask(path)

    def save_mask(self, path: Path) -> bool:
        """Write the mask as a greyscale PNG (255 = fill), the form Load mask and the CLI read."""
        assert self.doc is not None
        try:
            self.doc.save_mask(path)
        except InputError as err:
            self.show_message("Cannot save mask", str(err))
            return False
        self.statusBar().showMessage(f"Saved mask {path}", 5000)
        return True

    def load_mask(self, path: Path) -> bool:
        """Use the image at ``path`` as the mask (at least half white = fill); it must match the
        image's size."""
        assert self.doc is not None
        try:
            self.doc.load_mask_file(path)
        except InputError as err:
            self.show_message("Cannot use mask", str(err))
            return False
        return True

    # --- inpainting ---------------------------------------------------------------------------

    def inpaint(self) -> None:
        """Fill the masked pixels in a worker thread; the result becomes one undo step."""
        if self.doc is None or self.running or not self.doc.has_mask:
            return
        settings = self.settings
        self.worker = InpaintWorker(
            lambda: self.cache.get(settings), self.doc.image, self.doc.mask_image()
        )
        self.worker.progress.connect(self._on_progress)
        self.worker.succeeded.connect(self._on_result)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.failed.connect(lambda message: self.show_message("Inpainting failed", message))
        self.worker.finished.connect(self._on_worker_finished)
        self.progress.setRange(0, 0)  # busy until the first tile reports
        self.run = RunState(adapt_steps=settings.options.adapt, stage_started=time.monotonic())
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.statusBar().showMessage("Inpainting…")
        self._update_actions()
        self.worker.start()

    def cancel_inpaint(self) -> None:
        if self.worker is not None and self.run is not None:
            self.worker.cancel()
            self.run.cancelling = True
            self.cancel_button.setEnabled(False)
            self.statusBar().showMessage("Cancelling…")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        text = self.run.progress(done, total, time.monotonic()) if self.run else None
        if text is not None:
            self.statusBar().showMessage(text)

    def _on_result(self, result: Image.Image, report: RunReport) -> None:
        if self.doc is not None:
            self.doc.apply_result(result)
        self.last_run = report
        self._update_status()
        self._show_outcome(f"Inpainted in {report.seconds:.1f} s")

    def _on_cancelled(self) -> None:
        self._show_outcome("Cancelled: the image was not changed")

    def _show_outcome(self, message: str) -> None:
        """The run's last word replaces its progress line and stays when the run ends."""
        if self.run is not None:
            self.run.ended_with_message = True
        self.statusBar().showMessage(message, 5000)

    def _on_worker_finished(self) -> None:
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker = None
        self.progress.hide()
        self.cancel_button.hide()
        if self.run is not None and not self.run.ended_with_message:  # failed: a dialog says why
            self.statusBar().clearMessage()
        self.run = None
        self._update_actions()

    # --- settings, drops, closing -------------------------------------------------------------

    def open_settings(self, tab: str | None = None) -> None:
        dialog = SettingsDialog(self.settings, self)
        if tab is not None:
            dialog.show_tab(tab)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_settings(dialog.settings())
        self.canvas.setFocus()

    def open_finetuning(self) -> None:
        """The settings dialog on its Fine-tuning tab (the result is chosen there, with OK)."""
        self.open_settings("Fine-tuning")

    def show_shortcuts(self) -> None:
        dialog = ShortcutsDialog(self.actions(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def apply_settings(self, settings: AppSettings) -> None:
        self.settings = settings
        self._apply_threads()
        self._save_settings()
        self.last_run = None
        self._update_status()

    def _apply_threads(self) -> None:
        """Give the engine the thread count of the settings (0 = automatic, as ``--threads 0``)."""
        try:
            configure_threads(self.settings.threads or None)
        except InputError as err:  # automatic, and SCNN_THREADS is not a count: say so, keep going
            log.warning("%s", err)
            self.statusBar().showMessage(str(err), 10_000)

    def _save_settings(self) -> None:
        self.settings = replace(self.settings, brush_size=self.canvas.brush_size)
        try:
            self.store.save(self.settings)
        except OSError as err:
            log.warning("could not save settings: %s", err)
            self.statusBar().showMessage(f"Could not save settings: {err}", 5000)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if file_dialogs.dropped_file(event) is not None and not self.running:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = file_dialogs.dropped_file(event)
        if path is not None:
            event.acceptProposedAction()
            self.open_path(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
        if not self._may_discard_changes():
            event.ignore()
            return
        self._save_settings()
        event.accept()
