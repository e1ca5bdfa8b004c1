"""The canvas view: shows a document, zooms and pans, and turns mouse drags into mask strokes.

Zoom counts image pixels per *device* pixel, so "100 %" is one image pixel per screen pixel on a HiDPI
display too, drawn without smoothing: the user sees exactly the pixels that will be saved.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PyQt6.QtWidgets import QWidget

from .display import MaskOverlay, image_to_qimage
from .document import Document

ZOOM_RANGE = (1 / 64, 32.0)
WHEEL_STEP = 1.25  # zoom factor per wheel notch
COMPARE_KEY = Qt.Key.Key_C  # hold to see the image as it was before the last inpaint


class CanvasView(QWidget):
    """Draws image + mask overlay + brush outline; left drag paints, space-drag or middle drag pans.

    Named "view" so it is never confused with ``scnn_plugin.imaging.Canvas``, the engine's padded
    working copy of an image.
    """

    zoom_changed = pyqtSignal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)  # the brush outline follows the pointer without a button down
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 240)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.doc: Document | None = None
        self.brush_size = 40  # diameter in image pixels
        self.erasing = False
        self.painting_enabled = True
        self._zoom = 1.0
        self._offset = QPointF(0, 0)  # widget position of the image's top-left corner
        self._pixmap = QPixmap()
        self._before = QPixmap()
        self._overlay: MaskOverlay | None = None
        self._showing_before = False
        self._space_down = False
        self._pan_from: QPointF | None = None
        self._stroke_at: tuple[float, float] | None = None
        self._pointer: QPointF | None = None
        self._fitting = True  # refit on resize until the user zooms or pans

    # --- document -----------------------------------------------------------------------------

    def set_document(self, doc: Document) -> None:
        if self.doc is not None:
            self.doc.image_changed.disconnect(self._on_image_changed)
            self.doc.mask_changed.disconnect(self._on_mask_changed)
        self.doc = doc
        doc.image_changed.connect(self._on_image_changed)
        doc.mask_changed.connect(self._on_mask_changed)
        self._before = QPixmap()
        self._overlay = MaskOverlay(doc.image.width, doc.image.height)
        self._overlay.update(doc.mask, 0, 0, doc.image.width, doc.image.height)
        self._on_image_changed()
        self.fit()

    def _on_image_changed(self) -> None:
        assert self.doc is not None
        self._pixmap = QPixmap.fromImage(image_to_qimage(self.doc.image))
        self.update()

    def _on_mask_changed(self, region: QRect) -> None:
        assert self.doc is not None and self._overlay is not None
        self._overlay.update(self.doc.mask, region.left(), region.top(), *_ends(region))
        self.update(self._view_rect(QRectF(region)).toAlignedRect().adjusted(-2, -2, 2, 2))

    # --- view ---------------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        """Image pixels per device pixel: 1.0 is 100 %."""
        return self._zoom

    @property
    def showing_before(self) -> bool:
        return self._showing_before

    def set_showing_before(self, on: bool) -> None:
        """Show the image as it was before the last inpaint (no mask overlay), or the current one."""
        if on and self.doc is not None:
            # Built on each press: the "before" moves with every result, undo and redo.
            self._before = QPixmap.fromImage(image_to_qimage(self.doc.before_last_inpaint))
        self._showing_before = on
        self.update()

    def view_label(self) -> str | None:
        """The tag drawn in the corner: which state the user is looking at, once there is a choice."""
        if self.doc is None:
            return None
        if self._showing_before:
            return "Before"
        if self.doc.before_last_inpaint is not self.doc.image:
            return "After"
        return None

    def fit(self) -> None:
        """Zoom so the whole image fits the widget, centred."""
        self._fitting = True
        if self.doc is None:
            return
        ratio = self.devicePixelRatioF()
        width, height = self.doc.image.size
        zoom = min(self.width() * ratio / width, self.height() * ratio / height)
        self._set_zoom(zoom, QPointF(self.width() / 2, self.height() / 2), centre=True)

    def actual_size(self) -> None:
        """100 %: one image pixel per device pixel, centred."""
        self._fitting = False
        self._set_zoom(1.0, QPointF(self.width() / 2, self.height() / 2), centre=True)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Multiply the zoom by ``factor`` keeping the image point under ``anchor`` in place."""
        self._fitting = False
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        self._set_zoom(self._zoom * factor, anchor)

    def _set_zoom(self, zoom: float, anchor: QPointF, centre: bool = False) -> None:
        zoom = min(max(zoom, ZOOM_RANGE[0]), ZOOM_RANGE[1])
        if centre and self.doc is not None:
            scale = zoom / self.devicePixelRatioF()
            width, height = self.doc.image.size
            self._offset = QPointF(
                (self.width() - width * scale) / 2, (self.height() - height * scale) / 2
            )
        else:
            image_point = self.to_image(anchor)
            self._offset = anchor - image_point * (zoom / self.devicePixelRatioF())
        self._zoom = zoom
        self.zoom_changed.emit(zoom)
        self.update()

    def to_image(self, point: QPointF) -> QPointF:
        """Widget (logical) coordinates -> image pixel coordinates."""
        return (point - self._offset) / self._scale()

    def to_widget(self, point: QPointF) -> QPointF:
        """Image pixel coordinates -> widget (logical) coordinates."""
        return self._offset + point * self._scale()

    def _scale(self) -> float:
        return self._zoom / self.devicePixelRatioF()

    def _view_rect(self, image_rect: QRectF) -> QRectF:
        scale = self._scale()
        return QRectF(self.to_widget(image_rect.topLeft()), image_rect.size() * scale)

    # --- painting -----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(46, 46, 46))
        if self.doc is None or self._overlay is None:
            painter.setPen(QColor(170, 170, 170))
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "Open or drop a photo to begin"
            )
            return
        # Nearest-neighbour from 100 % up shows true pixels; smoothing below avoids aliasing.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._zoom < 1)
        width, height = self.doc.image.size
        target = self._view_rect(QRectF(0, 0, width, height))
        if self._showing_before:
            painter.drawPixmap(target, self._before, QRectF(self._before.rect()))
        else:
            painter.drawPixmap(target, self._pixmap, QRectF(self._pixmap.rect()))
            painter.drawImage(target, self._overlay.qimage, QRectF(0, 0, width, height))
            self._draw_brush_outline(painter)
        self._draw_view_label(painter)

    def _draw_view_label(self, painter: QPainter) -> None:
        text = self.view_label()
        if text is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        box = QRectF(8, 8, metrics.horizontalAdvance(text) + 16, metrics.height() + 8)
        strong = self._showing_before
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(200, 120, 0, 230) if strong else QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _draw_brush_outline(self, painter: QPainter) -> None:
        if self._pointer is None or self._panning() or not self.painting_enabled:
            return
        radius = max(self.brush_size * self._scale() / 2, 1.5)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        # Dark ring inside a light one: visible on any photo.
        for colour, grow in ((QColor(0, 0, 0, 200), 0.0), (QColor(255, 255, 255, 220), 1.0)):
            painter.setPen(QPen(colour, 1))
            painter.drawEllipse(self._pointer, radius + grow, radius + grow)

    def _outline_rect(self, point: QPointF) -> QRect:
        radius = self.brush_size * self._scale() / 2 + 4
        return QRectF(
            point.x() - radius, point.y() - radius, 2 * radius, 2 * radius
        ).toAlignedRect()

    # --- input --------------------------------------------------------------------------------

    def _panning(self) -> bool:
        return self._space_down or self._pan_from is not None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space_down
        ):
            self._pan_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif button == Qt.MouseButton.LeftButton and self._can_paint():
            assert self.doc is not None
            point = self.to_image(event.position())
            self._stroke_at = (point.x(), point.y())
            self.doc.begin_stroke()
            self.doc.paint_segment(self._stroke_at, self._stroke_at, self.brush_size, self.erasing)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        if self._pointer is not None:
            self.update(self._outline_rect(self._pointer))
        self._pointer = position
        self.update(self._outline_rect(position))
        if self._pan_from is not None:
            self._offset += position - self._pan_from
            self._fitting = False
            self._pan_from = position
            self.update()
        elif self._stroke_at is not None and self.doc is not None:
            point = self.to_image(position)
            end = (point.x(), point.y())
            self.doc.paint_segment(self._stroke_at, end, self.brush_size, self.erasing)
            self._stroke_at = end

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_from = None
            self._restore_cursor()
        elif self._stroke_at is not None and event.button() == Qt.MouseButton.LeftButton:
            self._stroke_at = None
            if self.doc is not None:
                self.doc.end_stroke(self.erasing)

    def leaveEvent(self, event: QEvent) -> None:
        if self._pointer is not None:
            self.update(self._outline_rect(self._pointer))
        self._pointer = None

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if notches:
            self.zoom_by(WHEEL_STEP**notches, event.position())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.isAutoRepeat():
            return
        if event.key() == Qt.Key.Key_Space:
            self._space_down = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif event.key() == COMPARE_KEY:
            self.set_showing_before(True)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.isAutoRepeat():
            return
        if event.key() == Qt.Key.Key_Space:
            self._space_down = False
            self._restore_cursor()
        elif event.key() == COMPARE_KEY:
            self.set_showing_before(False)
        else:
            super().keyReleaseEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        if self._fitting:
            self.fit()

    def _can_paint(self) -> bool:
        return self.doc is not None and self.painting_enabled and not self._showing_before

    def _restore_cursor(self) -> None:
        shape = Qt.CursorShape.OpenHandCursor if self._space_down else Qt.CursorShape.CrossCursor
        self.setCursor(shape)


def _ends(region: QRect) -> tuple[int, int]:
    """QRect's exclusive right/bottom edges (its ``right()`` is inclusive)."""
    return region.left() + region.width(), region.top() + region.height()
