"""The main window end to end: open, paint, inpaint in the worker, cancel, undo, save, close."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PyQt6.QtCore import QMimeData, QPointF, Qt, QUrl
from PyQt6.QtGui import QDropEvent
from PyQt6.QtWidgets import QApplication, QFileDialog, QMessageBox

from scnn_plugin.app import main as app_main
from scnn_plugin.app.document import FILL
from scnn_plugin.app.run_progress import RunState, describe_progress
from scnn_plugin.app.settings import AppSettings, SettingsStore
from scnn_plugin.app.settings_dialog import SettingsDialog
from scnn_plugin.app.shortcuts_dialog import ShortcutsDialog
from scnn_plugin.app.window import MainWindow
from scnn_plugin.options import InpaintOptions

RUN_TIMEOUT_MS = 120_000  # a CPU run on a busy 2-core machine


@pytest.fixture
def store(tmp_path, monkeypatch, default_weights) -> SettingsStore:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = SettingsStore()
    # Small tiles, one per batch: quick runs with many cancel points.
    options = InpaintOptions(tile=64, overlap=8, batch=1, device="cpu")
    store.save(AppSettings(options=options, weights=str(default_weights)))
    return store


@pytest.fixture
def window(qtbot, store, monkeypatch) -> MainWindow:
    win = MainWindow(store)
    win.show()
    qtbot.waitExposed(win)
    yield win
    # Closed here, not by qtbot (which closes before fixtures end), so unsaved changes are discarded.
    _answer(monkeypatch, QMessageBox.StandardButton.Discard)
    win.close()  # waits for a run still going
    win.deleteLater()


@pytest.fixture
def photo_file(tmp_path, photo) -> Path:
    path = tmp_path / "photo.png"
    photo.save(path)
    return path


@pytest.fixture(autouse=True)
def no_blocking_questions(monkeypatch):
    """Fail loudly if a test reaches a modal question it did not expect."""

    def unexpected(*args, **kwargs):
        raise AssertionError(f"unexpected question: {args[1:3]}")

    monkeypatch.setattr(QMessageBox, "question", unexpected)


def _answer(monkeypatch, button: QMessageBox.StandardButton) -> list[str]:
    asked: list[str] = []

    def question(parent, title, text, *args):
        asked.append(title)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def _paint(qtbot, window: MainWindow, points, size: int = 24) -> None:
    canvas = window.canvas
    window.set_brush_size(size)
    widget_points = [canvas.to_widget(QPointF(x, y)).toPoint() for x, y in points]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=widget_points[0])
    for p in widget_points[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=widget_points[-1])


def _inpaint(qtbot, window: MainWindow) -> None:
    assert window.inpaint_action.isEnabled()
    window.inpaint_action.trigger()
    assert window.running and window.progress.isVisible()
    qtbot.waitUntil(lambda: not window.running, timeout=RUN_TIMEOUT_MS)


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image).copy()


def test_open_shows_the_photo_and_remembers_it(window, photo_file, store, photo):
    assert window.open_path(photo_file)
    np.testing.assert_array_equal(_pixels(window.doc.image), _pixels(photo))
    assert window.windowTitle().startswith("photo.png")
    assert store.load()[0].recent_files[0] == str(photo_file.resolve())
    assert not window.inpaint_action.isEnabled(), "nothing to inpaint before a mask is painted"


def test_inpaint_through_the_worker_changes_only_masked_pixels(qtbot, window, photo_file):
    window.open_path(photo_file)
    before = _pixels(window.doc.image)
    _paint(qtbot, window, [(150, 200), (260, 230), (330, 320)])
    mask = window.doc.mask > 0
    assert mask.sum() > 1000
    progress = []
    window.progress.valueChanged.connect(progress.append)
    _inpaint(qtbot, window)
    after = _pixels(window.doc.image)
    np.testing.assert_array_equal(after[~mask], before[~mask])
    assert (after[mask] != before[mask]).any(axis=-1).mean() > 0.5
    assert not window.doc.has_mask, "the mask is used up, ready for the next one"
    assert window.doc.dirty and window.isWindowModified()
    assert progress and progress[-1] == window.progress.maximum()
    assert "last run" in window.info_label.text() and "CPU" in window.info_label.text()
    assert window.canvas.painting_enabled and not window.progress.isVisible()


def test_result_undo_redo_restore_exact_pixels(qtbot, window, photo_file):
    window.open_path(photo_file)
    original = _pixels(window.doc.image)
    _paint(qtbot, window, [(100, 100), (180, 120)])
    painted_mask = window.doc.mask.copy()
    _inpaint(qtbot, window)
    result = _pixels(window.doc.image)
    window.undo_action.trigger()
    np.testing.assert_array_equal(_pixels(window.doc.image), original)
    np.testing.assert_array_equal(window.doc.mask, painted_mask)
    assert not window.doc.dirty
    window.undo_action.trigger()  # the stroke
    assert not window.doc.has_mask
    window.redo_action.trigger()
    window.redo_action.trigger()
    np.testing.assert_array_equal(_pixels(window.doc.image), result)
    # Mask again and repeat: a second result on top of the first.
    _paint(qtbot, window, [(400, 400)])
    _inpaint(qtbot, window)
    assert window.doc.undo_stack.count() == 4


def test_cancel_leaves_the_image_untouched(qtbot, window, photo_file, tmp_path):
    window.open_path(photo_file)
    image = window.doc.image
    before = _pixels(image)
    # Dots all over the image: dozens of 64 px tiles, so there is a batch boundary to stop at.
    dots = np.zeros((512, 512), np.uint8)
    dots[16::48, 16::48] = 255
    Image.fromarray(dots).save(tmp_path / "dots.png")
    assert window.load_mask(tmp_path / "dots.png")
    steps = window.doc.undo_stack.count()
    window.inpaint_action.trigger()
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=RUN_TIMEOUT_MS)
    assert window.doc.image is image
    np.testing.assert_array_equal(_pixels(window.doc.image), before)
    np.testing.assert_array_equal(window.doc.mask > 0, dots > 0)
    assert window.doc.undo_stack.count() == steps and not window.doc.dirty
    assert "Cancelled" in window.statusBar().currentMessage()


def test_corrupt_image_shows_an_error_dialog(window, photo_file, tmp_path):
    window.open_path(photo_file)
    doc = window.doc
    truncated = tmp_path / "truncated.jpg"
    Image.open(photo_file).save(truncated, quality=90)
    truncated.write_bytes(truncated.read_bytes()[:3000])
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    for bad in (truncated, garbage):
        assert not window.open_path(bad)
        boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
        assert len(boxes) == 1 and bad.name in boxes[0].text()
        boxes[0].close()
        QApplication.processEvents()
    assert window.doc is doc and window.isVisible()


def test_mask_of_the_wrong_size_shows_an_error(window, photo_file, tmp_path):
    window.open_path(photo_file)
    Image.new("L", (20, 20), 255).save(tmp_path / "small.png")
    assert not window.load_mask(tmp_path / "small.png")
    assert any("must match" in b.text() for b in window.findChildren(QMessageBox))
    assert not window.doc.has_mask


def test_drop_a_file_opens_it(window, photo_file):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo_file))])
    event = QDropEvent(
        QPointF(200, 200),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert window.doc is not None and window.doc.path == photo_file


def test_bracket_keys_change_the_brush_size(qtbot, window, photo_file):
    window.open_path(photo_file)
    window.activateWindow()
    qtbot.waitActive(window)
    window.set_brush_size(40)
    qtbot.keyClick(window.canvas, Qt.Key.Key_BracketRight)
    assert window.canvas.brush_size == 46
    qtbot.keyClick(window.canvas, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(window.canvas, Qt.Key.Key_BracketLeft)
    assert window.canvas.brush_size < 46 and window.size_label.text().endswith("px")


def test_save_as_keeps_format_exif_and_icc(qtbot, window, tmp_path, photo, monkeypatch):
    src = tmp_path / "shot.jpg"
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    icc = b"\x00" * 128  # Pillow copies the profile bytes as they are
    photo.save(src, quality=95, exif=exif.tobytes(), icc_profile=icc)
    window.open_path(src)
    window.doc.apply_result(window.doc.image.point(lambda v: 255 - v))
    target = tmp_path / "shot-edited.jpg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    assert window.save_as()
    assert not window.doc.dirty and window.doc.path == target
    with Image.open(target) as saved:
        assert saved.format == "JPEG"
        assert saved.getexif().get(0x010F) == "TestCam"
        assert saved.info.get("icc_profile") == icc


def test_save_asks_before_replacing_the_original(qtbot, window, photo_file, monkeypatch):
    window.open_path(photo_file)
    original = photo_file.read_bytes()
    window.doc.apply_result(window.doc.image.point(lambda v: 255 - v))
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    assert not window.save()
    assert asked == ["Replace file?"] and photo_file.read_bytes() == original
    assert window.doc.dirty
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    assert window.save()
    with Image.open(photo_file) as saved:
        np.testing.assert_array_equal(np.asarray(saved), _pixels(window.doc.image))
    assert not window.doc.dirty
    window.doc.apply_result(window.doc.image.point(lambda v: 255 - v))
    asked.clear()
    assert window.save() and asked == [], "asked once per file"


def test_close_with_unsaved_changes_asks(qtbot, window, photo_file, monkeypatch):
    window.open_path(photo_file)
    original = photo_file.read_bytes()
    window.doc.apply_result(window.doc.image.point(lambda v: 255 - v))
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert not window.close() and window.isVisible() and asked == ["Unsaved changes"]
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Discard)
    assert window.close() and asked == ["Unsaved changes"]
    assert photo_file.read_bytes() == original


def test_close_without_changes_does_not_ask(window, photo_file):
    window.open_path(photo_file)
    assert window.close()


def test_brush_size_survives_a_restart(qtbot, window, store):
    window.set_brush_size(123)
    window.close()
    restarted = MainWindow(store)
    qtbot.addWidget(restarted)
    assert restarted.canvas.brush_size == 123 and restarted.size_label.text() == "123 px"


def test_command_line_argument_opens_the_image(qtbot, store, photo_file, monkeypatch):
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    assert app_main.main([str(photo_file)]) == 0
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    opened = [w for w in windows if w.doc is not None and w.doc.path == photo_file]
    assert len(opened) == 1
    qtbot.addWidget(opened[0])
    assert opened[0].doc.mask[0, 0] != FILL


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 / Wayland only")
def test_without_a_display_the_window_says_so_in_one_line_instead_of_a_qt_abort():
    """Issue 35: Qt aborted (exit 134), blaming a missing xcb-cursor0 that was installed."""
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    done = subprocess.run(
        [sys.executable, "-m", "scnn_plugin.app.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("scnn-inpaint-gui: error: no display found")
    assert "desktop session" in line and "QT_QPA_PLATFORM=offscreen" in line


@pytest.mark.parametrize(
    ("environ", "platform", "opens"),
    [
        ({}, "linux", False),
        ({"DISPLAY": ""}, "linux", False),  # set but empty names no display
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", True),
        ({}, "freebsd14", False),
        ({}, "darwin", True),
        ({}, "win32", True),
    ],
)
def test_a_display_is_needed_only_where_qt_looks_for_one(environ, platform, opens):
    assert (app_main.display_problem(environ, platform) is None) == opens


def test_zoom_keys_and_fit(qtbot, window, photo_file):
    window.open_path(photo_file)
    fitted = window.canvas.zoom
    window.actual_size_action.trigger()
    assert window.canvas.zoom == 1.0 and window.zoom_label.text() == "100 %"
    canvas = window.canvas
    span = canvas.to_widget(QPointF(512, 0)).x() - canvas.to_widget(QPointF(0, 0)).x()
    assert span * canvas.devicePixelRatioF() == pytest.approx(512)
    window.fit_action.trigger()
    assert canvas.zoom == pytest.approx(fitted) and fitted != pytest.approx(1.0)
    assert canvas.zoom * 512 == pytest.approx(canvas.height() * canvas.devicePixelRatioF(), abs=1)


def _focus_target(qtbot, window: MainWindow):
    """Where the keyboard goes now: the keys a user types reach this widget."""
    QApplication.processEvents()
    return QApplication.focusWidget() or window


def test_space_and_compare_reach_the_canvas_after_touching_the_brush_slider(
    qtbot, window, photo_file
):
    window.open_path(photo_file)
    window.activateWindow()
    qtbot.waitActive(window)
    canvas = window.canvas
    qtbot.mouseClick(window.size_slider, Qt.MouseButton.LeftButton)
    target = _focus_target(qtbot, window)
    before = canvas.to_image(QPointF(400, 300))
    qtbot.keyPress(target, Qt.Key.Key_Space)
    start = canvas.to_widget(before).toPoint()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, start + QPointF(60, 0).toPoint())
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=start + QPointF(60, 0).toPoint())
    qtbot.keyRelease(_focus_target(qtbot, window), Qt.Key.Key_Space)
    assert not window.doc.has_mask, "space+drag painted instead of panning"
    assert canvas.to_image(QPointF(400, 300)).x() < before.x() - 10
    qtbot.keyPress(_focus_target(qtbot, window), Qt.Key.Key_C)
    assert canvas.showing_before, "hold-C did nothing after the slider was used"
    qtbot.keyRelease(_focus_target(qtbot, window), Qt.Key.Key_C)
    assert not canvas.showing_before


def test_tool_buttons_stay_put_when_undo_names_a_step(qtbot, window, photo_file):
    window.open_path(photo_file)
    bar = window.tool_bar

    def positions() -> dict[str, tuple[int, int]]:
        QApplication.processEvents()
        return {
            a.text(): (bar.widgetForAction(a).x(), bar.widgetForAction(a).width())
            for a in bar.actions()
            if bar.widgetForAction(a) is not None and a.text()
        }

    window.resize(1000, 760)  # the README screenshot's size: no button may overflow into ">>"
    fresh = positions()
    hidden = [
        a.text() for a in bar.actions() if a.text() and not bar.widgetForAction(a).isVisible()
    ]
    assert not hidden, hidden
    _paint(qtbot, window, [(100, 100), (150, 120)])
    assert "Paint" in window.undo_action.toolTip()
    assert positions() == fresh
    window.undo_action.trigger()
    assert "Paint" in window.redo_action.toolTip()
    assert positions() == fresh
    assert not window.doc.has_mask, "the fixed-label Undo still undoes"


def test_opening_another_photo_asks_before_dropping_a_painted_mask(
    qtbot, window, photo_file, tmp_path, monkeypatch
):
    other = tmp_path / "other.png"
    Image.new("RGB", (64, 48), (10, 200, 30)).save(other)
    window.open_path(photo_file)
    _paint(qtbot, window, [(100, 100), (200, 150)])
    painted = window.doc.mask.copy()
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert not window.open_path(other)
    assert asked == ["Unsaved changes"] and window.doc.path == photo_file
    np.testing.assert_array_equal(window.doc.mask, painted)
    # Save: the mask goes to a file first, then the other photo opens.
    target = tmp_path / "photo-mask.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Save)
    assert window.open_path(other) and asked == ["Unsaved changes"]
    assert window.doc.path == other
    with Image.open(target) as saved:
        np.testing.assert_array_equal(np.asarray(saved) > 0, painted > 0)


def test_saved_mask_loads_back_and_is_not_asked_about(qtbot, window, photo_file, tmp_path):
    window.open_path(photo_file)
    _paint(qtbot, window, [(300, 300), (320, 380)])
    painted = window.doc.mask.copy()
    assert window.save_mask_action.isEnabled()
    assert window.save_mask(tmp_path / "m.png")
    window.doc.clear_mask()
    assert window.load_mask(tmp_path / "m.png")
    np.testing.assert_array_equal(window.doc.mask, painted)
    assert window.open_path(photo_file), "a mask that is in a file is not asked about"
    file_menu = window.menuBar().actions()[0].menu()
    assert window.save_mask_action in file_menu.actions()
    assert window.load_mask_action in file_menu.actions()


def test_brush_slider_gives_room_to_small_brushes(window):
    slider = window.size_slider
    slider.setValue(slider.minimum() + (slider.maximum() - slider.minimum()) // 4)
    assert window.brush_size <= 10, "a quarter along the slider should still be a fine brush"
    slider.setValue(slider.maximum())
    assert window.brush_size == 500
    for size in range(1, 21):  # every fine size can be set exactly ([ ], or the slider's rounding)
        window.set_brush_size(size)
        assert window.brush_size == size and window.size_label.text() == f"{size} px"


def test_ctrl_equals_zooms_in_and_shortcuts_are_listed(qtbot, window, photo_file, monkeypatch):
    window.open_path(photo_file)
    window.activateWindow()
    qtbot.waitActive(window)
    zoom = window.canvas.zoom
    qtbot.keyClick(window.canvas, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.zoom == pytest.approx(zoom * 1.25)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.shortcuts_action in help_menu.actions()
    window.shortcuts_action.trigger()
    dialog = window.findChild(ShortcutsDialog)
    table = dialog.table
    rows = {table.item(r, 1).text(): table.item(r, 0).text() for r in range(table.rowCount())}
    assert "Ctrl+=" in rows["Zoom in"] and "Hold C" in rows.values()
    assert "Ctrl+Z" in rows["Undo"]
    dialog.close()


def test_fine_tuning_is_reachable_from_a_menu(window, monkeypatch):
    shown = []

    def exec_(dialog):
        shown.append(dialog.tabs.tabText(dialog.tabs.currentIndex()))
        return 0

    monkeypatch.setattr(SettingsDialog, "exec", exec_)
    menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    assert any(window.finetune_action in m.actions() for m in menus)
    window.finetune_action.trigger()
    assert shown == ["Fine-tuning"]


def test_adapting_run_says_its_stage_and_time_left(qtbot, window, photo_file, store):
    options = replace(window.settings.options, adapt=3)
    window.apply_settings(replace(window.settings, options=options))
    window.open_path(photo_file)
    _paint(qtbot, window, [(200, 200), (230, 230)])
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    _inpaint(qtbot, window)
    assert any(m.startswith("Adapting to the photo: 1/3") for m in messages), messages
    assert any(m.startswith("Filling:") for m in messages), messages
    assert any("left" in m for m in messages), messages


def test_progress_text_names_the_stage_and_its_own_eta():
    assert describe_progress(5, 34, 30, 10.0) == "Adapting to the photo: 5/30 · about 50 s left"
    assert describe_progress(32, 34, 30, 4.0) == "Filling: 2/4 · about 4 s left"
    assert describe_progress(34, 34, 30, 8.0) == "Filling: 4/4"
    assert describe_progress(3, 10, 0, 150.0) == "Filling: 3/10 · about 5 min 50 s left"


def test_run_state_times_each_stage_and_keeps_the_cancel_line():
    """Issue 35: the window read its run state back from the status bar's text."""
    run = RunState(adapt_steps=2, stage_started=100.0)
    assert run.progress(1, 6, 110.0) == "Adapting to the photo: 1/2 · about 10 s left"
    assert run.progress(2, 6, 120.0) == "Adapting to the photo: 2/2"  # the fill's clock starts
    assert run.progress(3, 6, 124.0) == "Filling: 1/4 · about 12 s left"
    run.cancelling = True
    assert run.progress(4, 6, 125.0) is None  # "Cancelling…" stays on screen
