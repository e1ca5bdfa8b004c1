"""Every menu item, tool button and shortcut, reached as a user reaches it, keeps the window alive.

Issue 43: File > Settings… aborted the window, because ``QAction.triggered`` passes ``checked`` into
``open_settings(tab=None)``; the tests called ``open_settings()`` directly and never saw it. Here
every action goes through Qt (``trigger()``, a click in its menu, a click on its tool button, its
key), and modal dialogs are really shown and then dismissed as a user would (Escape / Cancel).
An exception in any slot fails the test: pytest-qt reports what Qt's event loop caught.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PyQt6.QtCore import QPoint, Qt, QTimer
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QApplication, QDialog, QMenu, QMessageBox, QWidget

from scnn_plugin.app.document import FILL
from scnn_plugin.app.settings import AppSettings, SettingsStore
from scnn_plugin.app.settings_dialog import SettingsDialog
from scnn_plugin.app.window import MainWindow
from scnn_plugin.options import InpaintOptions

RUN_TIMEOUT_MS = 120_000  # a CPU run on a busy 2-core machine
# Clear mask then Invert mask masks the whole image; Inpaint then says, in a box, why it cannot
# fill. That is the window answering a user, not something going wrong.
REFUSALS = ("nothing is left to fill from",)


class ModalCloser:
    """Dismisses every modal dialog the moment it shows (as Escape would), noting its title.

    A timer, not a patched ``exec``: the dialogs are really built and shown, and the code after
    them sees the answer a user who cancels gives (Cancel, No, an empty file name).
    """

    def __init__(self) -> None:
        self.closed: list[tuple[str, str]] = []  # (class name, window title)
        self.said: list[str] = []  # what the warning and error boxes said
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._close_active)
        self.timer.start()

    def _close_active(self) -> None:
        widget = QApplication.activeModalWidget()
        if widget is None or not widget.isVisible():
            return
        self.closed.append((type(widget).__name__, widget.windowTitle()))
        bad = (QMessageBox.Icon.Critical, QMessageBox.Icon.Warning)
        if isinstance(widget, QMessageBox) and widget.icon() in bad:
            self.said.append(f"{widget.windowTitle()}: {widget.text()}")
        if isinstance(widget, QDialog):
            widget.reject()
        else:
            widget.close()

    @property
    def errors(self) -> list[str]:
        """Warnings and errors shown, less the refusals a user's input deserves."""
        return [text for text in self.said if not any(r in text for r in REFUSALS)]


@pytest.fixture
def closer() -> Iterator[ModalCloser]:
    closer = ModalCloser()
    yield closer
    closer.timer.stop()


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, fast_weights) -> Iterator[MainWindow]:
    """The window with unsaved work in it: a photo, an inpainted result and a painted mask."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = SettingsStore()
    options = InpaintOptions(tile=64, overlap=16, batch=1, timesteps=1, device="cpu")
    store.save(AppSettings(options=options, weights=str(fast_weights)))
    photo = tmp_path / "photo.png"
    Image.new("RGB", (96, 64), (40, 120, 200)).save(photo)
    win = MainWindow(store)
    win.show()
    qtbot.waitExposed(win)
    assert win.open_path(photo)
    win.doc.apply_result(win.doc.image.point(lambda v: 255 - v))  # the unsaved result
    mask = np.zeros((64, 96), np.uint8)
    mask[20:40, 30:60] = FILL
    win.doc.load_mask(Image.fromarray(mask))
    yield win
    win.worker is not None and win.worker.wait()
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    win.close()
    win.deleteLater()


def _menus(window: MainWindow) -> list[QMenu]:
    """The menu bar's menus and their submenus."""
    found, todo = [], [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    while todo:
        menu = todo.pop(0)
        found.append(menu)
        todo += [a.menu() for a in menu.actions() if a.menu() is not None]
    return found


def _items(menu: QMenu) -> list[QAction]:
    return [a for a in menu.actions() if not a.isSeparator() and a.menu() is None]


def _tool_buttons(window: MainWindow) -> list[tuple[QAction, QWidget]]:
    bar = window.tool_bar
    return [
        (a, bar.widgetForAction(a))
        for a in bar.actions()
        if not a.isSeparator() and a.text() and bar.widgetForAction(a) is not None
    ]


def _settle(qtbot, window: MainWindow) -> None:
    """Let a run that an action started finish (Cancel may have come too late for it), and the
    closer dismiss a dialog shown without blocking (``open()``)."""
    qtbot.waitUntil(lambda: not window.running, timeout=RUN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)


def _assert_alive_with_the_work(window: MainWindow, doc, photo_path: Path) -> None:
    assert window.isVisible(), "the window went away"
    assert window.doc is doc and doc.path == photo_path
    assert doc.dirty and window.isWindowModified(), "the unsaved result was lost"
    assert doc.image.size == (96, 64)


def _click_in_menu(qtbot, menu: QMenu, action: QAction) -> None:
    """Open ``menu`` and click ``action`` in it with the mouse, as a user picks a menu item."""
    menu.popup(QPoint(10, 10))
    qtbot.waitExposed(menu)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    menu.hide()


def test_file_settings_from_the_menu_opens_the_dialog_and_the_window_carries_on(
    qtbot, window, closer
):
    doc, path = window.doc, window.doc.path
    window.settings_action.trigger()
    file_menu = _menus(window)[0]
    assert window.settings_action in file_menu.actions()
    _click_in_menu(qtbot, file_menu, window.settings_action)
    assert [kind for kind, _ in closer.closed] == ["SettingsDialog", "SettingsDialog"]
    assert not closer.errors
    _assert_alive_with_the_work(window, doc, path)


def test_every_menu_item_triggered_through_qt_keeps_the_window_and_the_work(qtbot, window, closer):
    doc, path = window.doc, window.doc.path
    result = np.asarray(doc.image).copy()
    menus = _menus(window)
    triggered = 0
    for menu in menus:
        menu.aboutToShow.emit()  # Open Recent fills itself as it opens
        for action in _items(menu):
            if action is window.quit_action:
                continue  # last: it closes the window
            enabled = action.isEnabled()
            action.trigger()
            triggered += enabled
            if action is not window.inpaint_action:  # Cancel comes next
                _settle(qtbot, window)
    assert triggered >= 20, "the window should offer most of its actions with work open"
    window.quit_action.trigger()  # unsaved work: the question is dismissed, so nothing closes
    QApplication.processEvents()
    titles = [title for _, title in closer.closed]
    assert "Unsaved changes" in titles and "Settings" in " ".join(titles)
    assert not closer.errors, closer.closed
    _assert_alive_with_the_work(window, doc, path)
    doc.undo_stack.setIndex(1)  # the result's step is still in the history
    np.testing.assert_array_equal(np.asarray(doc.image), result)


def test_every_menu_item_clicked_with_the_mouse_keeps_the_window(qtbot, window, closer):
    doc, path = window.doc, window.doc.path
    clicked = []
    for menu in _menus(window):
        if menu is window.recent_menu:
            continue  # a submenu opens from its parent; its item is triggered above
        for action in _items(menu):
            if action is window.quit_action or not action.isEnabled():
                continue
            seen = []
            action.triggered.connect(seen.append)
            _click_in_menu(qtbot, menu, action)
            _settle(qtbot, window)
            clicked += [action.text()] if seen else []
            action.triggered.disconnect(seen.append)
    assert "Se&ttings…" in clicked and "&Fine-tune on my photos…" in clicked
    assert len(clicked) >= 15, clicked
    assert not closer.errors, closer.closed
    _assert_alive_with_the_work(window, doc, path)


def test_every_tool_button_clicked_keeps_the_window(qtbot, window, closer):
    doc, path = window.doc, window.doc.path
    clicked = 0
    for action, button in _tool_buttons(window):
        if not button.isEnabled():
            continue
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        _settle(qtbot, window)
        clicked += 1
    assert clicked >= 8
    assert not closer.errors, closer.closed
    _assert_alive_with_the_work(window, doc, path)


@pytest.mark.parametrize(
    ("key", "modifier", "shows"),
    [
        (Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier, "ShortcutsDialog"),
        (Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier, "QFileDialog"),
        (Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier, "QMessageBox"),  # replace the file?
        (Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier, None),
        (Qt.Key.Key_E, Qt.KeyboardModifier.NoModifier, None),
        (Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier, None),
    ],
)
def test_shortcut_keys_keep_the_window(qtbot, window, closer, key, modifier, shows):
    doc, path = window.doc, window.doc.path
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClick(window.canvas, key, modifier)
    _settle(qtbot, window)
    if shows is not None:
        assert [kind for kind, _ in closer.closed] == [shows]
    assert not closer.errors, closer.errors
    _assert_alive_with_the_work(window, doc, path)


def test_settings_dialog_still_opens_on_a_named_tab(window, monkeypatch):
    shown = []
    monkeypatch.setattr(
        SettingsDialog, "exec", lambda d: shown.append(d.tabs.tabText(d.tabs.currentIndex()))
    )
    window.open_settings("Fine-tuning")
    window.open_settings()
    assert shown == ["Fine-tuning", "Inpainting"]
