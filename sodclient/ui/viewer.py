"""A simple, non-diagnostic viewer so a clinician can look at what arrived or what they will send.

Fit, zoom (Ctrl+wheel, buttons) and pan (drag); window/level with the right mouse button (left-right: width,
up-down: centre) or the modality's presets; the wheel scrolls a series' images, or a multi-frame object's
frames; cine plays them; a tag panel lists the DICOM elements. Colour (RGB, YBR) is converted once, by
pydicom (`sodclient.library.imaging`). It says on every view that it is not for diagnosis.
"""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sodclient.library import Document
from sodclient.library.imaging import DicomImage, ImagingError, load_dicom_image, load_image, presets_for, tag_rows

NOT_DIAGNOSTIC = "Not for diagnosis: a simple viewer for checking documents. Use your diagnostic viewer for reading."


def pil_to_qimage(img: Image.Image) -> QImage:
    if img.mode == "L":
        data = img.tobytes()
        return QImage(data, img.width, img.height, img.width, QImage.Format_Grayscale8).copy()
    rgb = img.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format_RGB888).copy()


class ImageView(QGraphicsView):
    """The picture: fit or zoom, drag to pan; the right button drags window/level, the wheel steps images."""

    window_dragged = Signal(int, int)  # dx, dy in screen pixels since the last event
    stepped = Signal(int)  # +1 / -1 from the wheel
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setRenderHint(QPainter.SmoothPixmapTransform)
        self.setBackgroundBrush(Qt.black)
        self.fitting = True
        self._right: QPoint | None = None

    def set_image(self, image: QImage) -> None:
        first = self.item.pixmap().isNull() or self.item.pixmap().size() != image.size()
        self.item.setPixmap(QPixmap.fromImage(image))
        if first:
            self.scene().setSceneRect(self.item.boundingRect())
            if self.fitting:
                self.fit()

    def image(self) -> QImage:
        return self.item.pixmap().toImage()

    def scale_factor(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        self.fitting = True
        if not self.item.pixmap().isNull():
            self.fitInView(self.item, Qt.KeepAspectRatio)
        self.zoom_changed.emit(self.scale_factor())

    def zoom(self, factor: float) -> None:
        self.fitting = False
        current = self.scale_factor()
        factor = max(0.05, min(32.0, current * factor)) / current
        self.scale(factor, factor)
        self.zoom_changed.emit(self.scale_factor())

    def actual_size(self) -> None:
        self.fitting = False
        self.resetTransform()
        self.zoom_changed.emit(1.0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.fitting:
            self.fit()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if not delta:
            return
        if event.modifiers() & Qt.ControlModifier:
            self.zoom(1.25 if delta > 0 else 0.8)
        else:
            self.stepped.emit(-1 if delta > 0 else 1)
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.RightButton:
            self._right = event.position().toPoint()
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._right is not None:
            pos = event.position().toPoint()
            self.window_dragged.emit(pos.x() - self._right.x(), pos.y() - self._right.y())
            self._right = pos
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.RightButton:
            self._right = None
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.fit()


class ViewerDialog(QDialog):
    """One document, or a series of them (`series`, in order, containing `document`)."""

    def __init__(self, document: Document, parent: QWidget | None = None, series: list[Document] | None = None):
        super().__init__(parent)
        self.series = series if series and document in series else [document]
        self.index = self.series.index(document)
        self.image: DicomImage | None = None
        self.frame_index = 0
        self.resize(900, 720)
        layout = QVBoxLayout(self)
        note = QLabel(NOT_DIAGNOSTIC, wordWrap=True)
        note.setStyleSheet("color: #8a5a00; font-weight: bold;")
        layout.addWidget(note)

        tools = QHBoxLayout()
        self.fit_button, self.actual_button = QPushButton("Fit"), QPushButton("1:1")
        self.zoom_in_button, self.zoom_out_button = QPushButton("Zoom in"), QPushButton("Zoom out")
        self.preset = QComboBox()
        self.preset.setToolTip("Window presets (right mouse button: drag to adjust)")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.fps = QSpinBox(minimum=1, maximum=60, value=10, suffix=" images/s")
        self.tags_box = QCheckBox("Tags")
        for w in (self.fit_button, self.actual_button, self.zoom_in_button, self.zoom_out_button):
            tools.addWidget(w)
        tools.addWidget(self.preset, 1)
        for w in (self.play_button, self.fps, self.tags_box):
            tools.addWidget(w)
        layout.addLayout(tools)

        self.view = ImageView()
        self.tags = QTreeWidget()
        self.tags.setHeaderLabels(["Tag", "Name", "Value"])
        self.tags.header().setSectionResizeMode(2, QHeaderView.Stretch)
        self.tags.setRootIsDecorated(False)
        self.tags.setVisible(False)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.view)
        split.addWidget(self.tags)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)
        self.message = QLabel(alignment=Qt.AlignCenter, wordWrap=True)
        layout.addWidget(self.message)

        self.image_slider, self.frame_slider = QSlider(Qt.Horizontal), QSlider(Qt.Horizontal)
        self.image_label, self.frame_label = QLabel(), QLabel()
        self.center_slider, self.width_slider = QSlider(Qt.Horizontal), QSlider(Qt.Horizontal)
        self.wl_label = QLabel()
        self.controls = QWidget()
        form = QFormLayout(self.controls)
        form.setContentsMargins(0, 0, 0, 0)
        self.image_row = self._row(self.image_slider, self.image_label)
        self.frame_row = self._row(self.frame_slider, self.frame_label)
        form.addRow("Image", self.image_row)
        form.addRow("Frame", self.frame_row)
        self.wl_row = QWidget()
        wl = QFormLayout(self.wl_row)
        wl.setContentsMargins(0, 0, 0, 0)
        wl.addRow("Window centre", self.center_slider)
        wl.addRow("Window width", self.width_slider)
        wl.addRow("", self.wl_label)
        layout.addWidget(self.controls)
        layout.addWidget(self.wl_row)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.cine = QTimer(self)
        self.cine.timeout.connect(lambda: self.step(1, wrap=True))
        self.fit_button.clicked.connect(self.view.fit)
        self.actual_button.clicked.connect(self.view.actual_size)
        self.zoom_in_button.clicked.connect(lambda: self.view.zoom(1.25))
        self.zoom_out_button.clicked.connect(lambda: self.view.zoom(0.8))
        self.view.stepped.connect(self.step)
        self.view.window_dragged.connect(self._drag_window)
        self.preset.activated.connect(self._apply_preset)
        self.play_button.toggled.connect(self.play)
        self.fps.valueChanged.connect(lambda v: self.cine.setInterval(int(1000 / v)))
        self.tags_box.toggled.connect(self._show_tags)
        self.image_slider.setRange(0, len(self.series) - 1)
        self.image_slider.setValue(self.index)
        self.image_slider.valueChanged.connect(self.show_image)
        self.frame_slider.valueChanged.connect(self.show_frame)
        self.center_slider.valueChanged.connect(self._render)
        self.width_slider.valueChanged.connect(self._render)
        self.show_image(self.index)

    @staticmethod
    def _row(slider: QSlider, label: QLabel) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(slider, 1)
        h.addWidget(label)
        return w

    # -- which image ------------------------------------------------------------------------------------------
    def document(self) -> Document:
        return self.series[self.index]

    def show_image(self, index: int) -> None:
        self.index = max(0, min(len(self.series) - 1, index))
        doc = self.document()
        self.setWindowTitle(f"View: {doc.title}")
        self.image_label.setText(f"{self.index + 1} of {len(self.series)}")
        self.image_row.setEnabled(len(self.series) > 1)
        self.message.setText("")
        previous = self.image
        self.image = None
        try:
            if doc.is_dicom:
                self.image = load_dicom_image(doc.path)
            else:
                self.view.set_image(pil_to_qimage(load_image(doc.path)))
        except ImagingError as exc:
            self.message.setText(str(exc))
            self.view.set_image(QImage())
        if self.tags_box.isChecked():
            self._show_tags(True)
        self._setup_window(keep=previous is not None and self.image is not None and not self.image.rgb)
        count = self.image.count if self.image else 1
        self.frame_slider.blockSignals(True)
        self.frame_slider.setRange(0, count - 1)
        self.frame_slider.setValue(min(self.frame_index, count - 1) if count > 1 else 0)
        self.frame_slider.blockSignals(False)
        self.frame_row.setEnabled(count > 1)
        self.show_frame(self.frame_slider.value())

    def show_frame(self, index: int) -> None:
        count = self.image.count if self.image else 1
        self.frame_index = max(0, min(count - 1, index))
        self.frame_label.setText(f"{self.frame_index + 1} of {count}")
        self._render()

    def step(self, delta: int, wrap: bool = False) -> None:
        """The wheel and cine: frames of a multi-frame object, else the series' images."""
        if self.image is not None and self.image.count > 1:
            count, now, move = self.image.count, self.frame_index, self.frame_slider.setValue
        else:
            count, now, move = len(self.series), self.index, self.image_slider.setValue
        target = (now + delta) % count if wrap else max(0, min(count - 1, now + delta))
        move(target)

    def play(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on:
            self.cine.start(int(1000 / self.fps.value()))
        else:
            self.cine.stop()

    # -- window / level ---------------------------------------------------------------------------------------
    def _setup_window(self, keep: bool) -> None:
        grey = self.image is not None and not self.image.rgb
        self.wl_row.setVisible(grey)
        self.preset.setVisible(grey)
        if not grey:
            return
        pixels = self.image.frames
        lo, hi = int(pixels.min()), int(pixels.max())
        span = max(1, hi - lo)
        c, w = self.center_slider.value(), self.width_slider.value()
        for s in (self.center_slider, self.width_slider):
            s.blockSignals(True)
        self.center_slider.setRange(min(lo - span, -1024), max(hi + span, 3071))
        self.width_slider.setRange(1, max(4 * span + int(self.image.width), 4000))
        if not keep:
            c, w = int(self.image.center), int(self.image.width)
        self.center_slider.setValue(c)
        self.width_slider.setValue(w)
        for s in (self.center_slider, self.width_slider):
            s.blockSignals(False)
        self.preset.clear()
        for name, pc, pw in presets_for(self.image):
            self.preset.addItem(f"{name} (C {pc:.0f}, W {pw:.0f})", (pc, pw))

    def _apply_preset(self, index: int) -> None:
        c, w = self.preset.itemData(index)
        self.set_window(c, w)

    def set_window(self, center: float, width: float) -> None:
        self.center_slider.blockSignals(True)
        self.center_slider.setValue(round(center))
        self.center_slider.blockSignals(False)
        self.width_slider.setValue(round(width))
        self._render()

    def _drag_window(self, dx: int, dy: int) -> None:
        if self.image is None or self.image.rgb:
            return
        per_pixel = max(1.0, self.width_slider.maximum() / 1000.0)
        self.set_window(self.center_slider.value() + dy * per_pixel, self.width_slider.value() + dx * per_pixel)

    def _render(self) -> None:
        if self.image is None:
            return
        c, w = self.center_slider.value(), self.width_slider.value()
        self.wl_label.setText(f"C {c}  W {w}")
        frame = self.image.frame(self.frame_index)
        self.view.set_image(pil_to_qimage(frame.render(c, w) if not frame.rgb else frame.render()))

    # -- tags -------------------------------------------------------------------------------------------------
    def _show_tags(self, on: bool) -> None:
        self.tags.setVisible(on)
        if not on:
            return
        self.tags.clear()
        doc = self.document()
        rows = tag_rows(doc.path) if doc.is_dicom else []
        self.tags.addTopLevelItems(
            [QTreeWidgetItem(list(r)) for r in rows] or [QTreeWidgetItem(["", "(no DICOM tags)", ""])]
        )
        self.tags.resizeColumnToContents(0)

    def current_qimage(self) -> QImage:
        return self.view.image()

    def closeEvent(self, event) -> None:
        self.cine.stop()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self.cine.stop()
        super().done(result)
