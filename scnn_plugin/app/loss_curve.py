"""The fine-tuning panel's loss curve: a small widget that draws the training loss against steps.

It keeps only the points it was given; the panel adds one per progress report and clears it when a
run starts.
"""

from __future__ import annotations

from PyQt6.QtCore import QPointF, Qt
from PyQt6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PyQt6.QtWidgets import QWidget


class LossCurve(QWidget):
    """The training loss against steps as a polyline, rescaled to fit as points arrive."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[tuple[int, float]] = []
        self.setMinimumHeight(90)

    def add(self, step: int, loss: float) -> None:
        self.points.append((step, loss))
        self.update()

    def clear(self) -> None:
        self.points = []
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(36, 36, 36))
        if len(self.points) < 2:
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "loss")
            return
        steps = [s for s, _ in self.points]
        losses = [v for _, v in self.points]
        x0, x1 = steps[0], max(steps[-1], steps[0] + 1)
        lo, hi = min(losses), max(losses)
        span = (hi - lo) or 1.0
        pad = 6
        w, h = self.width() - 2 * pad, self.height() - 2 * pad
        line = QPolygonF(
            QPointF(pad + w * (s - x0) / (x1 - x0), pad + h * (1 - (v - lo) / span))
            for s, v in self.points
        )
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(90, 170, 255), 1.5))
        painter.drawPolyline(line)
        painter.setPen(QColor(170, 170, 170))
        painter.drawText(pad, pad + 10, f"loss {hi:.4f}")
        painter.drawText(pad, self.height() - pad, f"{lo:.4f}")
