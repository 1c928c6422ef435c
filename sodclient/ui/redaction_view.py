"""An image with its blanked boxes; the sender drags to add a box, right-clicks one to remove it.

Feed it a picture (`services.peer_review.picture`) and the report's boxes for that image; boxes the sender
draws come back in image pixels through `boxAdded` and `added_boxes()`, ready for
`PeerReviewOptions.extra_boxes[label]`. Read-only, it only shows (opening a left-out document).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BLANKED_COLOUR = QColor(220, 40, 40)
ADDED_COLOUR = QColor(250, 200, 0)


class RedactionView(QWidget):
    boxAdded = Signal(int, int, int, int)  # x, y, width, height in image pixels
    boxesChanged = Signal()  # a box added or removed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image: QImage | None = None
        self._blanked: list[tuple[int, int, int, int]] = []
        self._added: list[tuple[int, int, int, int]] = []
        self._drag_start: QPoint | None = None
        self._drag_now: QPoint | None = None
        self.read_only = False
        self.setMouseTracking(False)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.set_read_only(False)

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.setCursor(Qt.ArrowCursor if read_only else Qt.CrossCursor)
        self.setToolTip("" if read_only else "Drag to blank an area of this image; right-click an area to remove it")

    # ---------------------------------------------------------------- content

    def set_picture(self, picture: np.ndarray, boxes=(), keep_added: bool = False) -> None:
        """`picture`: (rows, cols) or (rows, cols, 3) uint8; `boxes`: objects with x, y, w, h (blanked).
        `keep_added`: another frame of the same image, so the sender's boxes stay."""
        data = np.ascontiguousarray(picture)
        if data.ndim == 2:
            image = QImage(data.data, data.shape[1], data.shape[0], data.strides[0], QImage.Format_Grayscale8)
        else:
            image = QImage(data.data, data.shape[1], data.shape[0], data.strides[0], QImage.Format_RGB888)
        self._image = image.copy()  # own the pixels: the array may go away
        self._blanked = [(int(b.x), int(b.y), int(b.w), int(b.h)) for b in boxes]
        if not keep_added:
            self._added = []
        self.update()

    @property
    def has_picture(self) -> bool:
        return self._image is not None

    def added_boxes(self) -> list[tuple[int, int, int, int]]:
        return list(self._added)

    def set_added(self, boxes) -> None:
        """The sender's boxes from an earlier try, to change: (x, y, w, h) in image pixels."""
        self._added = [tuple(int(v) for v in box[:4]) for box in boxes]  # type: ignore[misc]
        self.update()
        self.boxesChanged.emit()

    def remove_box(self, index: int) -> None:
        if 0 <= index < len(self._added):
            del self._added[index]
            self.update()
            self.boxesChanged.emit()

    def clear_added(self) -> None:
        self._added = []
        self.update()
        self.boxesChanged.emit()

    def box_at(self, point: QPoint) -> int:
        """The index of the newest added box under a widget point, or -1."""
        if self._image is None:
            return -1
        for index in range(len(self._added) - 1, -1, -1):
            if self._to_widget(self._added[index]).adjusted(-3, -3, 3, 3).contains(point):
                return index
        return -1

    def sizeHint(self) -> QSize:
        return self._image.size() if self._image is not None else QSize(256, 256)

    # ---------------------------------------------------------------- geometry

    def _target(self) -> QRect:
        """Where the image is drawn: as large as fits, aspect kept, centred."""
        if self._image is None:
            return QRect()
        size = self._image.size().scaled(self.size(), Qt.KeepAspectRatio)
        return QRect(
            (self.width() - size.width()) // 2, (self.height() - size.height()) // 2, size.width(), size.height()
        )

    def _to_image(self, point: QPoint) -> tuple[int, int]:
        target = self._target()
        sx = self._image.width() / max(1, target.width())
        sy = self._image.height() / max(1, target.height())
        x = int((point.x() - target.x()) * sx)
        y = int((point.y() - target.y()) * sy)
        return min(max(x, 0), self._image.width()), min(max(y, 0), self._image.height())

    def _to_widget(self, box: tuple[int, int, int, int]) -> QRect:
        target = self._target()
        sx = target.width() / max(1, self._image.width())
        sy = target.height() / max(1, self._image.height())
        x, y, w, h = box
        return QRect(target.x() + round(x * sx), target.y() + round(y * sy), round(w * sx), round(h * sy))

    # ---------------------------------------------------------------- events

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.black)
        if self._image is None:
            return
        painter.drawImage(self._target(), self._image)
        for colour, boxes in ((BLANKED_COLOUR, self._blanked), (ADDED_COLOUR, self._added)):
            painter.setPen(QPen(colour, 2))
            for box in boxes:
                painter.drawRect(self._to_widget(box))
        if self._drag_start is not None and self._drag_now is not None:
            painter.setPen(QPen(ADDED_COLOUR, 1, Qt.DashLine))
            painter.drawRect(QRect(self._drag_start, self._drag_now).normalized())

    def mousePressEvent(self, event) -> None:
        if self._image is None or self.read_only:
            return
        if event.button() == Qt.RightButton:
            self.remove_box(self.box_at(event.position().toPoint()))
        elif event.button() == Qt.LeftButton:
            self._drag_start = self._drag_now = event.position().toPoint()

    def mouseMoveEvent(self, event) -> None:
        if self._drag_start is not None:
            self._drag_now = event.position().toPoint()
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._drag_start is None or event.button() != Qt.LeftButton:
            return
        x0, y0 = self._to_image(self._drag_start)
        x1, y1 = self._to_image(event.position().toPoint())
        self._drag_start = self._drag_now = None
        box = (min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))
        if box[2] >= 2 and box[3] >= 2:
            self._added.append(box)
            self.boxAdded.emit(*box)
            self.boxesChanged.emit()
        self.update()
