"""The main window: menus, tool bar and status bar around the canvas; asks, shows and runs.

The document owns its files (open, save, mask files, which files it may replace) and ``RunState``
the state of a run; the window builds the widgets, asks the user, and shows what they report.

Why errors use non-blocking dialogs (``QMessageBox.open``): a failed open or run must never take the
window down, and the window stays usable (and testable) while the message is shown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PIL import Image
from PyQt6.QtCore import Qt
from PyQt6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QUndoGroup,
)
from PyQt6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QToolBar,
    QToolButton,
)

from ..errors import InputError
from .brush import SLIDER_STEPS, position_to_size, size_to_position
from .canvas_view import CanvasView
from .document import Document
from .model_cache import ModelCache
from .run_progress import RunState
from .settings import BRUSH_SIZES, AppSettings, SettingsStore
from .settings_dialog import SettingsDialog
from .shortcuts_dialog import ShortcutsDialog
from .worker import InpaintWorker, RunReport

log = logging.getLogger("scnn_plugin.app")

APP_TITLE = "SC-NN Inpaint"
OPEN_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.bmp *.gif);;All files (*)"
SAVE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.bmp);;All files (*)"
MASK_FILTER = "PNG mask (*.png);;All files (*)"


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
        self._undo_group = QUndoGroup(self)

        self.canvas = CanvasView()
        self.canvas.brush_size = self.settings.brush_size
        self.setCentralWidget(self.canvas)
        self.setAcceptDrops(True)
        self.resize(1100, 800)

        self._make_actions()
        self._make_menus()
        self._make_tool_bar()
        self._make_status_bar()
        self._update_title()
        self._update_actions()
        self._update_status()
        if warning:
            self.show_message("Settings reset", warning, QMessageBox.Icon.Warning)

    # --- construction -------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[..., object],
        shortcut: QKeySequence.StandardKey | str | None = None,
        checkable: bool = False,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(_without_checked(slot))
        self.addAction(action)  # shortcuts work even when the action sits in no visible menu
        return action

    def _make_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.open_action = self._action("&Open…", self.open_dialog, key.Open)
        self.save_action = self._action("&Save", self.save, key.Save)
        self.save_as_action = self._action("Save &As…", self.save_as, key.SaveAs)
        self.settings_action = self._action("Se&ttings…", self.open_settings, key.Preferences)
        self.quit_action = self._action("&Quit", self.close, key.Quit)
        # Fixed labels: QUndoGroup's own actions rename themselves ("Undo Paint"), which resized
        # the tool button and moved every button after it under the pointer. The step's name
        # goes to the tooltip and status tip instead.
        self.undo_action = self._action("&Undo", self._undo_group.undo, key.Undo)
        self.redo_action = self._action("&Redo", self._undo_group.redo, key.Redo)
        # Bound methods and C++ slots only: Qt drops those connections when the receiver goes,
        # whereas a lambda would still be called while the window is being destroyed.
        self._undo_group.canUndoChanged.connect(self.undo_action.setEnabled)
        self._undo_group.canRedoChanged.connect(self.redo_action.setEnabled)
        self._undo_group.undoTextChanged.connect(self._show_undo_text)
        self._undo_group.redoTextChanged.connect(self._show_redo_text)
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        self.brush_action = self._action("&Brush", self._set_brush, "B", checkable=True)
        self.eraser_action = self._action("&Eraser", self._set_eraser, "E", checkable=True)
        self.brush_action.setChecked(True)
        self.smaller_action = self._action("Smaller brush", lambda: self._step_brush(-1), "[")
        self.larger_action = self._action("Larger brush", lambda: self._step_brush(1), "]")
        self.clear_mask_action = self._action("&Clear mask", self._clear_mask, "Ctrl+Shift+A")
        self.invert_mask_action = self._action("&Invert mask", self._invert_mask, "Ctrl+I")
        self.load_mask_action = self._action("&Load mask…", self.load_mask_dialog)
        self.save_mask_action = self._action("Save &mask…", self.save_mask_dialog, "Ctrl+Alt+S")
        self.finetune_action = self._action("&Fine-tune on my photos…", self.open_finetuning)
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts, "F1")
        self.inpaint_action = self._action("&Inpaint", self.inpaint, "Ctrl+Return")
        self.cancel_action = self._action("Cancel", self.cancel_inpaint, "Esc")
        self.compare_action = self._action("Compare (hold C)", self._compare, checkable=True)
        self.fit_action = self._action("&Fit", self.canvas.fit, "Ctrl+0")
        self.actual_size_action = self._action("&100 %", self.canvas.actual_size, "Ctrl+1")
        self.zoom_in_action = self._action(
            "Zoom &in", lambda: self.canvas.zoom_by(1.25), key.ZoomIn
        )
        # Ctrl++ needs Shift on most layouts; Ctrl+= is the same key without it.
        self.zoom_in_action.setShortcuts([*self.zoom_in_action.shortcuts(), QKeySequence("Ctrl+=")])
        self.zoom_out_action = self._action(
            "Zoom &out", lambda: self.canvas.zoom_by(0.8), key.ZoomOut
        )

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addActions([self.load_mask_action, self.save_mask_action])
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.brush_action, self.eraser_action])
        edit_menu.addActions([self.smaller_action, self.larger_action])
        edit_menu.addSeparator()
        edit_menu.addActions(
            [self.clear_mask_action, self.invert_mask_action, self.load_mask_action]
        )
        view_menu = bar.addMenu("&View")
        view_menu.addActions(
            [self.fit_action, self.actual_size_action, self.zoom_in_action, self.zoom_out_action]
        )
        view_menu.addSeparator()
        view_menu.addAction(self.compare_action)
        image_menu = bar.addMenu("&Image")
        image_menu.addActions([self.inpaint_action, self.cancel_action])
        image_menu.addSeparator()
        image_menu.addAction(self.finetune_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)

    def _make_tool_bar(self) -> None:
        bar = QToolBar("Tools")
        bar.setObjectName("tools")
        bar.setMovable(False)
        bar.addActions([self.open_action, self.save_action])
        bar.addSeparator()
        bar.addActions([self.undo_action, self.redo_action])
        bar.addSeparator()
        bar.addActions([self.brush_action, self.eraser_action])
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(0, SLIDER_STEPS)  # logarithmic: see brush.size_to_position
        self.size_slider.setFixedWidth(160)
        self.size_slider.setToolTip("Brush size in image pixels ([ and ])")
        # Never keeps the keyboard: space (pan), C (compare) and [ ] must reach the canvas.
        self.size_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.size_slider.valueChanged.connect(
            lambda position: self.set_brush_size(position_to_size(position, BRUSH_SIZES))
        )
        self.size_slider.sliderReleased.connect(self.canvas.setFocus)
        self.size_label = QLabel()
        self.size_label.setFixedWidth(52)
        bar.addWidget(self.size_slider)
        bar.addWidget(self.size_label)
        bar.addSeparator()
        bar.addActions([self.clear_mask_action, self.invert_mask_action])
        bar.addSeparator()
        bar.addAction(self.compare_action)
        bar.addSeparator()
        bar.addAction(self.inpaint_action)
        inpaint_button = bar.widgetForAction(self.inpaint_action)
        inpaint_button.setStyleSheet("font-weight: bold")
        for button in bar.findChildren(QToolButton):
            if button.defaultAction() is not None:
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                # Fixed at the width of its (fixed) label: nothing after it can move.
                button.setFixedWidth(button.sizeHint().width())
        self.tool_bar = bar
        self.addToolBar(bar)
        self.set_brush_size(self.settings.brush_size)

    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        self.info_label = QLabel()
        self.zoom_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setFixedWidth(200)
        self.progress.setFormat("%p %")  # adaptation steps, then tiles
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_inpaint)
        self.progress.hide()
        self.cancel_button.hide()
        # Permanent, so a passing message ("Saved ...") never hides device and run time.
        bar.addPermanentWidget(self.info_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.zoom_label)
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))

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
        self._undo_group.setActiveStack(self.doc.undo_stack if has_doc and idle else None)

    def _show_undo_text(self, step: str) -> None:
        _describe(self.undo_action, "Undo", step)

    def _show_redo_text(self, step: str) -> None:
        _describe(self.redo_action, "Redo", step)

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
        start = str(self.doc.path.parent) if self.doc and self.doc.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open image", start, OPEN_FILTER)
        if path:
            self.open_path(Path(path))

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
            self._undo_group.removeStack(self.doc.undo_stack)
            self.doc.deleteLater()
        self.doc = doc
        self._undo_group.addStack(doc.undo_stack)
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

    def _fill_recent_menu(self) -> None:
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
            if not self._confirm_replace(question):
                return False
        return self._write(path)

    def save_as(self) -> bool:
        """Save under a new name; the file dialog asks before overwriting."""
        if self.doc is None:
            return False
        suggestion = self.doc.suggested_path()
        chosen, _ = QFileDialog.getSaveFileName(self, "Save as", str(suggestion), SAVE_FILTER)
        if not chosen:
            return False
        path = Path(chosen)
        if not path.suffix:  # no extension typed: keep the original format
            path = path.with_suffix(suggestion.suffix)
            if path.exists() and not self._confirm_replace(
                f"{path.name} already exists. Replace it?"
            ):
                return False
        self.doc.approve(path)
        return self._write(path)

    def _confirm_replace(self, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Replace file?",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

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
        """True when nothing unsaved would be lost, or the user saved or discarded it.

        Unsaved means an edited image or a painted mask not yet saved to a file: both are work the
        user would have to redo, so both are asked about before another photo replaces them.
        """
        if self.doc is None:
            return True
        image, mask = self.doc.dirty, self.doc.mask_dirty
        if not image and not mask:
            return True
        name = self.doc.path.name if self.doc.path else "the image"
        if image and mask:
            question = f"Save the changes to {name} and the painted mask?"
        elif image:
            question = f"Save the changes to {name}?"
        else:
            question = f"The mask painted on {name} is not saved. Save it?"
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            question,
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        if answer == buttons.Save:
            return (not image or self.save()) and (not mask or self.save_mask_dialog())
        return answer == buttons.Discard

    # --- mask ---------------------------------------------------------------------------------

    def _set_brush(self, on: bool) -> None:
        if on:
            self.eraser_action.setChecked(False)
            self.canvas.erasing = False
        elif not self.eraser_action.isChecked():
            self.brush_action.setChecked(True)  # one of the two is always active

    def _set_eraser(self, on: bool) -> None:
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

    def _step_brush(self, direction: int) -> None:
        size = self.canvas.brush_size
        self.set_brush_size(size + direction * max(1, round(size * 0.15)))

    def _clear_mask(self) -> None:
        if self.doc is not None:
            self.doc.clear_mask()

    def _invert_mask(self) -> None:
        if self.doc is not None:
            self.doc.invert_mask()

    def load_mask_dialog(self) -> None:
        if self.doc is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Load mask", "", OPEN_FILTER)
        if path:
            self.load_mask(Path(path))

    def save_mask_dialog(self) -> bool:
        """Ask where, then save the mask; False when the user cancelled or the write failed."""
        if self.doc is None:
            return False
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save mask", str(self.doc.suggested_mask_path()), MASK_FILTER
        )
        if not chosen:
            return False
        path = Path(chosen)
        return self.save_mask(path if path.suffix else path.with_suffix(".png"))

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
        """Use the image at ``path`` as the mask (nonzero = fill); it must match the image's size."""
        assert self.doc is not None
        try:
            self.doc.load_mask_file(path)
        except InputError as err:
            self.show_message("Cannot use mask", str(err))
            return False
        return True

    def _compare(self, on: bool) -> None:
        self.canvas.set_showing_before(on)

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
        self._save_settings()
        self.last_run = None
        self._update_status()

    def _save_settings(self) -> None:
        self.settings = replace(self.settings, brush_size=self.canvas.brush_size)
        try:
            self.store.save(self.settings)
        except OSError as err:
            log.warning("could not save settings: %s", err)
            self.statusBar().showMessage(f"Could not save settings: {err}", 5000)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_file(event) is not None and not self.running:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_file(event)
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


def _without_checked(slot: Callable[[], object]) -> Callable[[bool], None]:
    """A slot for ``triggered(bool checked)`` that calls ``slot()`` with no argument.

    PyQt passes ``checked`` to any slot that can take it, so a slot with an optional parameter
    got ``False`` for it: File > Settings… called ``open_settings(tab=False)`` and aborted the app.
    """

    def call(checked: bool = False) -> None:
        slot()

    return call


def _describe(action: QAction, verb: str, step: str) -> None:
    """Name the step an undo/redo action would take without changing its (fixed) label."""
    tip = f"{verb} {step}" if step else f"Nothing to {verb.lower()}"
    action.setToolTip(tip)
    action.setStatusTip(tip)


def _dropped_file(event: QDropEvent | QDragEnterEvent) -> Path | None:
    urls = event.mimeData().urls() if event.mimeData() is not None else []
    if urls and urls[0].isLocalFile():
        return Path(urls[0].toLocalFile())
    return None
