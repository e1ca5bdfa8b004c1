"""The canvas driven with simulated mouse and keyboard: strokes, eraser, zoom, pan, compare."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QWheelEvent
from PyQt6.QtWidgets import QApplication

from scnn_plugin.app.canvas_view import CanvasView
from scnn_plugin.app.document import FILL, Document


@pytest.fixture
def canvas(qtbot, photo) -> CanvasView:
    widget = CanvasView()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.set_document(Document(photo, Path("photo.png")))
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _at(canvas: CanvasView, x: float, y: float) -> QPoint:
    """The widget point over image pixel (x, y)."""
    return canvas.to_widget(QPointF(x, y)).toPoint()


def _drag(qtbot, canvas: CanvasView, points, button=Qt.MouseButton.LeftButton) -> list[QPointF]:
    """Press at the first point, move through the rest, release; returns the image points hit."""
    widget_points = [_at(canvas, x, y) for x, y in points]
    qtbot.mousePress(canvas, button, pos=widget_points[0])
    for p in widget_points[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, button, pos=widget_points[-1])
    return [canvas.to_image(QPointF(p)) for p in widget_points]


def _distance_to_path(shape, path: list[QPointF]) -> np.ndarray:
    """Distance of every pixel centre to the polyline ``path`` (image coordinates)."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    best = np.full(shape, np.inf)
    for a, b in zip(path, path[1:] or path):
        ax, ay, dx, dy = a.x(), a.y(), b.x() - a.x(), b.y() - a.y()
        length2 = dx * dx + dy * dy
        t = 0 if length2 == 0 else np.clip(((xs - ax) * dx + (ys - ay) * dy) / length2, 0, 1)
        best = np.minimum(best, np.hypot(xs - (ax + t * dx), ys - (ay + t * dy)))
    return best


def test_fit_shows_the_whole_image_centred(canvas):
    top_left, bottom_right = _at(canvas, 0, 0), _at(canvas, 512, 512)
    assert top_left.x() >= 0 and top_left.y() >= 0
    assert bottom_right.x() <= canvas.width() and bottom_right.y() <= canvas.height()
    assert abs((top_left.x() + bottom_right.x()) / 2 - canvas.width() / 2) <= 1
    assert abs(min(canvas.width(), canvas.height()) - 512 * canvas.zoom) <= 2


def test_stroke_paints_mask_pixels_where_it_went(qtbot, canvas):
    canvas.brush_size = 20
    path = _drag(qtbot, canvas, [(100, 100), (200, 150), (300, 150), (350, 300)])
    distance = _distance_to_path(canvas.doc.mask.shape, path)
    mask = canvas.doc.mask
    assert (mask[distance <= 9] == FILL).all(), "every pixel under the brush is painted"
    assert not mask[distance > 11].any(), "nothing is painted away from the stroke"
    assert canvas.doc.undo_stack.count() == 1


def test_eraser_clears_where_it_went(qtbot, canvas):
    canvas.brush_size = 40
    _drag(qtbot, canvas, [(100, 256), (400, 256)])
    canvas.erasing = True
    canvas.brush_size = 10
    path = _drag(qtbot, canvas, [(250, 200), (250, 300)])
    distance = _distance_to_path(canvas.doc.mask.shape, path)
    mask = canvas.doc.mask
    assert not mask[distance <= 4].any()
    assert mask[256, 150] == FILL and mask[256, 350] == FILL
    assert canvas.doc.undo_stack.count() == 2


def test_overlay_shows_the_mask(qtbot, canvas):
    canvas.brush_size = 30
    _drag(qtbot, canvas, [(256, 256)])
    inside, outside = _at(canvas, 256, 256), _at(canvas, 256, 400)
    masked = canvas.grab().toImage()
    canvas.doc.clear_mask()
    clear = canvas.grab().toImage()
    a, b = masked.pixelColor(inside), clear.pixelColor(inside)
    assert abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) > 60
    assert masked.pixelColor(outside) == clear.pixelColor(outside)


def test_wheel_zooms_around_the_pointer(canvas):
    anchor = QPointF(300, 200)
    under = canvas.to_image(anchor)
    zoom = canvas.zoom
    event = QWheelEvent(
        anchor,
        canvas.mapToGlobal(anchor),
        QPoint(),
        QPoint(0, 240),  # two notches up
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas, event)
    assert canvas.zoom == pytest.approx(zoom * 1.25**2)
    after = canvas.to_image(anchor)
    assert (after.x(), after.y()) == pytest.approx((under.x(), under.y()))


def test_actual_size_is_one_image_pixel_per_device_pixel(canvas):
    canvas.actual_size()
    a, b = canvas.to_widget(QPointF(0, 0)), canvas.to_widget(QPointF(100, 0))
    assert (b.x() - a.x()) * canvas.devicePixelRatioF() == pytest.approx(100)


def test_middle_drag_pans_without_painting(qtbot, canvas):
    before = canvas.to_image(QPointF(400, 300))
    qtbot.mousePress(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(400, 300))
    qtbot.mouseMove(canvas, QPoint(450, 330))
    qtbot.mouseRelease(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(450, 330))
    after = canvas.to_image(QPointF(450, 330))
    assert (after.x(), after.y()) == pytest.approx((before.x(), before.y()))
    assert not canvas.doc.mask.any()


def test_space_drag_pans_instead_of_painting(qtbot, canvas):
    before = canvas.to_image(QPointF(400, 300))
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    _drag(qtbot, canvas, [(before.x(), before.y()), (before.x() + 40, before.y())])
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    assert not canvas.doc.mask.any()
    assert canvas.to_image(QPointF(400, 300)).x() < before.x() - 10


def test_holding_compare_key_shows_the_original_and_blocks_painting(qtbot, canvas):
    canvas.doc.apply_result(canvas.doc.image.point(lambda v: 255 - v))
    centre = _at(canvas, 256, 256)
    edited = canvas.grab().toImage().pixelColor(centre)
    qtbot.keyPress(canvas, Qt.Key.Key_C)
    assert canvas.showing_before
    original = canvas.grab().toImage().pixelColor(centre)
    _drag(qtbot, canvas, [(256, 256)])
    qtbot.keyRelease(canvas, Qt.Key.Key_C)
    assert not canvas.showing_before
    assert not canvas.doc.mask.any()
    expected = canvas.doc.original.getpixel((256, 256))
    assert abs(original.red() - expected[0]) <= 12
    assert abs(edited.red() - (255 - expected[0])) <= 12


def test_compare_shows_the_state_before_the_last_inpaint_with_a_label(qtbot, canvas):
    doc = canvas.doc
    first = doc.image.point(lambda v: 255 - v)
    doc.apply_result(first)
    doc.apply_result(first.point(lambda v: v // 2))  # a second inpaint on top of the first
    centre = _at(canvas, 256, 256)
    assert canvas.view_label() == "After"
    qtbot.keyPress(canvas, Qt.Key.Key_C)
    assert canvas.view_label() == "Before"
    shown = canvas.grab().toImage().pixelColor(centre)
    qtbot.keyRelease(canvas, Qt.Key.Key_C)
    expected = first.getpixel((256, 256))
    assert abs(shown.red() - expected[0]) <= 12, "compare must show the result of the first run"
    doc.undo_stack.undo()  # back to the first result: its "before" is the photo as opened
    assert doc.before_last_inpaint is doc.original
    doc.undo_stack.undo()
    assert canvas.view_label() is None, "nothing to compare with before any inpaint"


def test_compare_label_is_drawn_on_the_view(qtbot, canvas):
    corner = QPoint(14, 14)
    plain = canvas.grab().toImage().pixelColor(corner)
    canvas.doc.apply_result(canvas.doc.image.point(lambda v: 255 - v))
    qtbot.keyPress(canvas, Qt.Key.Key_C)
    tagged = canvas.grab().toImage().pixelColor(corner)
    qtbot.keyRelease(canvas, Qt.Key.Key_C)
    assert tagged != plain
