"""The main window's actions, menus, tool bar and status bar: built here, acted on by the window.

Every action reaches its slot through ``add_action``, which never passes ``QAction.triggered``'s
``checked`` flag to a slot that does not ask for it (see ``without_checked``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSlider,
    QToolBar,
    QToolButton,
)

from .brush import SLIDER_STEPS, position_to_size
from .settings import BRUSH_SIZES

if TYPE_CHECKING:
    from .window import MainWindow


def without_checked(slot: Callable[[], object]) -> Callable[[bool], None]:
    """A slot for ``triggered(bool checked)`` that calls ``slot()`` with no argument.

    PyQt passes ``checked`` to any slot that can take it, so a slot with an optional parameter
    got ``False`` for it: File > Settings… called ``open_settings(tab=False)`` and aborted the app.
    """

    def call(checked: bool = False) -> None:
        slot()

    return call


def add_action(
    window: MainWindow,
    text: str,
    slot: Callable[..., object],
    shortcut: QKeySequence.StandardKey | str | None = None,
    checkable: bool = False,
) -> QAction:
    """An action of ``window``: a checkable one calls ``slot(checked)``, any other ``slot()``."""
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    if checkable:
        action.toggled.connect(slot)
    else:
        action.triggered.connect(without_checked(slot))
    window.addAction(action)  # shortcuts work even when the action sits in no visible menu
    return action


def build_actions(w: MainWindow) -> None:
    """Set ``w.<name>_action`` for every command of the window."""
    key = QKeySequence.StandardKey
    w.open_action = add_action(w, "&Open…", w.open_dialog, key.Open)
    w.save_action = add_action(w, "&Save", w.save, key.Save)
    w.save_as_action = add_action(w, "Save &As…", w.save_as, key.SaveAs)
    w.settings_action = add_action(w, "Se&ttings…", w.open_settings, key.Preferences)
    w.quit_action = add_action(w, "&Quit", w.close, key.Quit)
    # Fixed labels: QUndoGroup's own actions rename themselves ("Undo Paint"), which resized the
    # tool button and moved every button after it under the pointer. The step's name goes to the
    # tooltip and status tip instead.
    w.undo_action = add_action(w, "&Undo", w.undo_group.undo, key.Undo)
    w.redo_action = add_action(w, "&Redo", w.undo_group.redo, key.Redo)
    # Bound methods and C++ slots only: Qt drops those connections when the receiver goes,
    # whereas a lambda would still be called while the window is being destroyed.
    w.undo_group.canUndoChanged.connect(w.undo_action.setEnabled)
    w.undo_group.canRedoChanged.connect(w.redo_action.setEnabled)
    w.undo_group.undoTextChanged.connect(w.show_undo_step)
    w.undo_group.redoTextChanged.connect(w.show_redo_step)
    w.undo_action.setEnabled(False)
    w.redo_action.setEnabled(False)
    w.brush_action = add_action(w, "&Brush", w.use_brush, "B", checkable=True)
    w.eraser_action = add_action(w, "&Eraser", w.use_eraser, "E", checkable=True)
    w.brush_action.setChecked(True)
    w.smaller_action = add_action(w, "Smaller brush", lambda: w.step_brush(-1), "[")
    w.larger_action = add_action(w, "Larger brush", lambda: w.step_brush(1), "]")
    w.clear_mask_action = add_action(w, "&Clear mask", w.clear_mask, "Ctrl+Shift+A")
    w.invert_mask_action = add_action(w, "&Invert mask", w.invert_mask, "Ctrl+I")
    w.load_mask_action = add_action(w, "&Load mask…", w.load_mask_dialog)
    w.save_mask_action = add_action(w, "Save &mask…", w.save_mask_dialog, "Ctrl+Alt+S")
    w.finetune_action = add_action(w, "&Fine-tune on my photos…", w.open_finetuning)
    w.shortcuts_action = add_action(w, "&Keyboard shortcuts", w.show_shortcuts, "F1")
    w.inpaint_action = add_action(w, "&Inpaint", w.inpaint, "Ctrl+Return")
    w.cancel_action = add_action(w, "Cancel", w.cancel_inpaint, "Esc")
    w.compare_action = add_action(
        w, "Compare (hold C)", w.canvas.set_showing_before, checkable=True
    )
    w.fit_action = add_action(w, "&Fit", w.canvas.fit, "Ctrl+0")
    w.actual_size_action = add_action(w, "&100 %", w.canvas.actual_size, "Ctrl+1")
    w.zoom_in_action = add_action(w, "Zoom &in", lambda: w.canvas.zoom_by(1.25), key.ZoomIn)
    # Ctrl++ needs Shift on most layouts; Ctrl+= is the same key without it.
    w.zoom_in_action.setShortcuts([*w.zoom_in_action.shortcuts(), QKeySequence("Ctrl+=")])
    w.zoom_out_action = add_action(w, "Zoom &out", lambda: w.canvas.zoom_by(0.8), key.ZoomOut)


def build_menus(w: MainWindow) -> None:
    """File, Edit, View, Image and Help; sets ``w.recent_menu`` (filled as it opens)."""
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(w.open_action)
    w.recent_menu = QMenu("Open &Recent", w)
    w.recent_menu.aboutToShow.connect(w.fill_recent_menu)
    file_menu.addMenu(w.recent_menu)
    file_menu.addActions([w.save_action, w.save_as_action])
    file_menu.addSeparator()
    file_menu.addActions([w.load_mask_action, w.save_mask_action])
    file_menu.addSeparator()
    file_menu.addAction(w.settings_action)
    file_menu.addSeparator()
    file_menu.addAction(w.quit_action)
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([w.undo_action, w.redo_action])
    edit_menu.addSeparator()
    edit_menu.addActions([w.brush_action, w.eraser_action, w.smaller_action, w.larger_action])
    edit_menu.addSeparator()
    edit_menu.addActions([w.clear_mask_action, w.invert_mask_action, w.load_mask_action])
    view_menu = bar.addMenu("&View")
    view_menu.addActions([w.fit_action, w.actual_size_action, w.zoom_in_action, w.zoom_out_action])
    view_menu.addSeparator()
    view_menu.addAction(w.compare_action)
    image_menu = bar.addMenu("&Image")
    image_menu.addActions([w.inpaint_action, w.cancel_action])
    image_menu.addSeparator()
    image_menu.addAction(w.finetune_action)
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(w.shortcuts_action)


def build_tool_bar(w: MainWindow) -> None:
    """The tool bar with the brush size slider; sets ``w.tool_bar``, ``w.size_slider`` and
    ``w.size_label``."""
    bar = QToolBar("Tools")
    bar.setObjectName("tools")
    bar.setMovable(False)
    bar.addActions([w.open_action, w.save_action])
    bar.addSeparator()
    bar.addActions([w.undo_action, w.redo_action])
    bar.addSeparator()
    bar.addActions([w.brush_action, w.eraser_action])
    w.size_slider = QSlider(Qt.Orientation.Horizontal)
    w.size_slider.setRange(0, SLIDER_STEPS)  # logarithmic: see brush.size_to_position
    w.size_slider.setFixedWidth(160)
    w.size_slider.setToolTip("Brush size in image pixels ([ and ])")
    # Never keeps the keyboard: space (pan), C (compare) and [ ] must reach the canvas.
    w.size_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    w.size_slider.valueChanged.connect(
        lambda position: w.set_brush_size(position_to_size(position, BRUSH_SIZES))
    )
    w.size_slider.sliderReleased.connect(w.canvas.setFocus)
    w.size_label = QLabel()
    w.size_label.setFixedWidth(52)
    bar.addWidget(w.size_slider)
    bar.addWidget(w.size_label)
    bar.addSeparator()
    bar.addActions([w.clear_mask_action, w.invert_mask_action])
    bar.addSeparator()
    bar.addAction(w.compare_action)
    bar.addSeparator()
    bar.addAction(w.inpaint_action)
    bar.widgetForAction(w.inpaint_action).setStyleSheet("font-weight: bold")
    for button in bar.findChildren(QToolButton):
        if button.defaultAction() is not None:
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            # Fixed at the width of its (fixed) label: nothing after it can move.
            button.setFixedWidth(button.sizeHint().width())
    w.tool_bar = bar
    w.addToolBar(bar)


def build_status_bar(w: MainWindow) -> None:
    """Device and run time, a run's progress and its Cancel button, and the zoom; sets
    ``w.info_label``, ``w.progress``, ``w.cancel_button`` and ``w.zoom_label``."""
    bar = w.statusBar()
    w.info_label = QLabel()
    w.zoom_label = QLabel()
    w.progress = QProgressBar()
    w.progress.setFixedWidth(200)
    w.progress.setFormat("%p %")  # adaptation steps, then tiles
    w.cancel_button = QPushButton("Cancel")
    w.cancel_button.clicked.connect(without_checked(w.cancel_inpaint))
    w.progress.hide()
    w.cancel_button.hide()
    # Permanent, so a passing message ("Saved ...") never hides device and run time.
    bar.addPermanentWidget(w.info_label)
    bar.addPermanentWidget(w.progress)
    bar.addPermanentWidget(w.cancel_button)
    bar.addPermanentWidget(w.zoom_label)
    w.canvas.zoom_changed.connect(w.show_zoom)


def describe_step(action: QAction, verb: str, step: str) -> None:
    """Name the step an undo/redo action would take without changing its (fixed) label."""
    tip = f"{verb} {step}" if step else f"Nothing to {verb.lower()}"
    action.setToolTip(tip)
    action.setStatusTip(tip)
