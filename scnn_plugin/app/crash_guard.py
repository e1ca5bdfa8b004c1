"""A bug in a slot shows one error dialog; the window, the document and its unsaved result stay.

PyQt6 aborts the process (``qFatal``, exit 134) when an exception escapes a slot while
``sys.excepthook`` is still Python's own. With a hook of ours installed, PyQt calls it instead and
the event loop carries on: the hook logs the traceback and shows it in a dialog, one line on top
and the traceback behind "Show Details…". The user can then save their work.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget

log = logging.getLogger("scnn_plugin.app")

TITLE = "Unexpected error"
KEPT = "Your image and its unsaved changes are kept: save them, and please report the details."

ExceptHook = type(sys.excepthook)


class CrashGuard(QObject):
    """The ``sys.excepthook`` of the window; ``install()`` creates and sets it."""

    # (one line, traceback): emitted where the exception happened, shown on the GUI thread
    _caught = pyqtSignal(str, str)

    def __init__(self, previous: ExceptHook) -> None:
        super().__init__()
        self.previous = previous
        self.box: QMessageBox | None = None  # the dialog on screen, if any
        self.count = 0  # errors the dialog on screen reports
        # Queued when raised on another thread: widgets are made on the GUI thread only.
        self._caught.connect(self._show)

    def excepthook(
        self, kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if not issubclass(kind, Exception) or QApplication.instance() is None:
            self.previous(kind, value, tb)  # Ctrl+C, exit, or no window to show it in
            return
        details = "".join(traceback.format_exception(kind, value, tb))
        log.error("unexpected error in the window, carrying on:\n%s", details.rstrip())
        self._caught.emit(f"{kind.__name__}: {value}", details)

    def _show(self, line: str, details: str) -> None:
        if self.box is not None:  # one dialog: a second error joins the first one's details
            self.count += 1
            self.box.setText(f"{self.count} errors, the last one: {line}")
            self.box.setDetailedText(f"{self.box.detailedText()}\n{details}")
            return
        ok = QMessageBox.StandardButton.Ok
        parent = _dialog_parent()
        box = QMessageBox(QMessageBox.Icon.Critical, TITLE, line, ok, parent)
        box.setInformativeText(KEPT)
        box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._forget)
        self.box, self.count = box, 1
        box.open()  # does not block: the event loop, and the run in progress, go on

    def _forget(self) -> None:
        self.box = None

    def uninstall(self) -> None:
        """Put back the hook that was there before ``install()``."""
        if sys.excepthook == self.excepthook:
            sys.excepthook = self.previous


def _dialog_parent() -> QWidget | None:
    """The dialog in front, else the main window: a box without a parent outlives the window
    and keeps the app running after it closes (seen under X without a window manager, where no
    window is active)."""
    windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    main = next((w for w in windows if isinstance(w, QMainWindow)), None)
    return QApplication.activeModalWidget() or main or QApplication.activeWindow()


def install() -> CrashGuard:
    """Report unexpected exceptions in a dialog and carry on; call once a ``QApplication`` exists."""
    guard = CrashGuard(sys.excepthook)
    sys.excepthook = guard.excepthook
    return guard
