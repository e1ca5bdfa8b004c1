"""A bug in any slot shows one error dialog; the window and the user's unsaved work carry on.

PyQt6 aborts the process when an exception escapes a slot and ``sys.excepthook`` is Python's own.
pytest-qt replaces that hook during each test to report such exceptions as failures, which would
hide both the abort and our hook; these tests switch it off (``qt_no_exception_capture``) and
start from Python's own hook, as the app does.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PyQt6.QtCore import QThread
from PyQt6.QtWidgets import QApplication, QMessageBox

from scnn_plugin.app import crash_guard
from scnn_plugin.app import main as app_main
from scnn_plugin.app.document import Document
from scnn_plugin.app.window import MainWindow

pytestmark = pytest.mark.qt_no_exception_capture


class Bug(RuntimeError):
    """The stand-in for a mistake of ours deep inside a slot."""


@pytest.fixture
def python_hook(monkeypatch) -> None:
    """Python's own ``sys.excepthook``, the one PyQt6 aborts the process on; restored after."""
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)


@pytest.fixture
def started(qtbot, tmp_path, monkeypatch, python_hook) -> Iterator[MainWindow]:
    """The app as ``scnn-inpaint-gui photo.png`` starts it, with an inpainted result not saved."""
    photo = tmp_path / "photo.png"
    Image.new("RGB", (80, 60), (200, 90, 30)).save(photo)
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    assert app_main.main([str(photo)]) == 0
    [window] = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, MainWindow) and w.doc is not None and w.doc.path == photo
    ]
    window.doc.apply_result(window.doc.image.point(lambda v: 255 - v))
    yield window
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    window.close()
    window.deleteLater()


def _error_boxes() -> list[QMessageBox]:
    return [
        w
        for w in QApplication.topLevelWidgets() + QApplication.allWidgets()
        if isinstance(w, QMessageBox) and w.isVisible() and w.windowTitle() == crash_guard.TITLE
    ]


def _unique(boxes: list[QMessageBox]) -> list[QMessageBox]:
    return list({id(b): b for b in boxes}.values())


def _break_invert_mask(monkeypatch) -> None:
    def invert_mask(doc: Document) -> None:
        raise Bug("the mask could not be inverted")

    monkeypatch.setattr(Document, "invert_mask", invert_mask)


def test_a_slot_that_raises_shows_one_dialog_and_the_unsaved_result_stays(
    qtbot, started, monkeypatch, caplog
):
    window, doc = started, started.doc
    if sys.excepthook is sys.__excepthook__:
        pytest.fail("no exception hook installed: PyQt6 aborts the process on the next line")
    result = np.asarray(doc.image).copy()
    _break_invert_mask(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="scnn_plugin.app"):
        window.invert_mask_action.trigger()  # through Qt: the exception escapes the slot
        window.invert_mask_action.trigger()  # again, while the first dialog is still open
    qtbot.waitUntil(lambda: bool(_error_boxes()))
    [box] = _unique(_error_boxes())
    assert box.text() == "2 errors, the last one: Bug: the mask could not be inverted"
    assert "unsaved changes are kept" in box.informativeText()
    assert box.detailedText().count("Traceback") == 2 and "invert_mask" in box.detailedText()
    assert [r.levelname for r in caplog.records] == ["ERROR", "ERROR"]
    # The window and the work are as they were, and the window still does what it is asked.
    assert window.isVisible() and window.doc is doc
    assert doc.dirty and window.isWindowModified()
    np.testing.assert_array_equal(np.asarray(doc.image), result)
    box.accept()
    qtbot.waitUntil(lambda: not _error_boxes())
    window.undo_action.trigger()
    assert not doc.dirty, "undo still works after the error"
    window.invert_mask_action.trigger()
    qtbot.waitUntil(lambda: bool(_error_boxes()))
    [box] = _unique(_error_boxes())
    assert box.text() == "Bug: the mask could not be inverted", "a new error, a new dialog"
    box.accept()


# The app as a user runs it, with a planted bug: Invert mask raises, then the user quits.
QUIT_AFTER_AN_ERROR = """
import sys
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QMessageBox
from scnn_plugin.app import document, main as app_main
from scnn_plugin.app.window import MainWindow

def invert_mask(doc):
    raise RuntimeError("planted bug")

def quit_after_an_error():
    [window] = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    window.invert_mask_action.trigger()
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    print("error dialogs:", sum(w.isVisible() for w in shown), flush=True)
    window.quit_action.trigger()

document.Document.invert_mask = invert_mask
QMessageBox.question = lambda *args: QMessageBox.StandardButton.Discard
app = QApplication(sys.argv[:1])
QTimer.singleShot(0, quit_after_an_error)
print("exit code:", app_main.main([sys.argv[1]]), flush=True)
"""


def test_the_app_still_quits_after_an_error_dialog(tmp_path):
    """Under X without a window manager no window is active: the error box got no parent, stayed
    on screen after File > Quit, and kept the app running."""
    photo = tmp_path / "photo.png"
    Image.new("RGB", (80, 60), (200, 90, 30)).save(photo)
    done = subprocess.run(
        [sys.executable, "-c", QUIT_AFTER_AN_ERROR, str(photo)],
        capture_output=True,
        text=True,
        timeout=60,  # seconds; it takes a few, and hangs for good when the box outlives the window
        check=False,
    )
    assert done.stdout.splitlines() == ["error dialogs: 1", "exit code: 0"], done.stderr
    assert "RuntimeError: planted bug" in done.stderr  # the traceback is logged too


class _RaisingThread(QThread):
    def run(self) -> None:
        raise Bug("raised off the GUI thread")


def test_an_error_on_another_thread_is_shown_on_the_gui_thread(qtbot, python_hook):
    guard = crash_guard.install()
    try:
        thread = _RaisingThread()
        with qtbot.waitSignal(thread.finished):
            thread.start()
        qtbot.waitUntil(lambda: bool(_error_boxes()))
        [box] = _unique(_error_boxes())
        assert box.text() == "Bug: raised off the GUI thread"
        assert box.thread() is QApplication.instance().thread()
        box.accept()
    finally:
        guard.uninstall()
    assert sys.excepthook is sys.__excepthook__


def test_ctrl_c_and_exit_are_not_reported_as_bugs(python_hook):
    seen = []
    guard = crash_guard.CrashGuard(lambda kind, value, tb: seen.append(kind))
    guard.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    guard.excepthook(SystemExit, SystemExit(1), None)
    assert seen == [KeyboardInterrupt, SystemExit] and guard.box is None


def test_the_hook_is_set_when_the_app_starts(tmp_path: Path, monkeypatch, python_hook, qtbot):
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    assert app_main.main([]) == 0
    assert getattr(sys.excepthook, "__self__", None).__class__ is crash_guard.CrashGuard
    for w in QApplication.topLevelWidgets():
        if isinstance(w, MainWindow):
            qtbot.addWidget(w)
