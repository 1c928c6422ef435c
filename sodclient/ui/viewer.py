"""A simple, non-diagnostic viewer so a recipient can look at what arrived (window/level for DICOM)."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QScrollArea, QSlider, QVBoxLayout,
                               QWidget)

from sodclient.library import Document
from sodclient.library.imaging import DicomFrame, ImagingError, load_dicom_frame, load_image


def pil_to_qimage(img: Image.Image) -> QImage:
    if img.mode == "L":
        data = img.tobytes()
        return QImage(data, img.width, img.height, img.width, QImage.Format_Grayscale8).copy()
    rgb = img.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format_RGB888).copy()


class ViewerDialog(QDialog):
    """Shows one image or DICOM frame; DICOM gets window centre/width sliders."""

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"View: {document.title}")
        self.resize(720, 680)
        self.frame: DicomFrame | None = None
        layout = QVBoxLayout(self)
        note = QLabel("Not for diagnosis: use your diagnostic viewer for reading.")
        note.setStyleSheet("color: #8a5a00;")
        layout.addWidget(note)
        self.image_label = QLabel(alignment=Qt.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidget(self.image_label)
        scroll.setWidgetResizable(True)
        layout.addWidget(scroll, 1)
        self.center_slider = QSlider(Qt.Horizontal)
        self.width_slider = QSlider(Qt.Horizontal)
        self.wl_label = QLabel()
        self.controls = QWidget()
        form = QFormLayout(self.controls)
        form.addRow("Window centre", self.center_slider)
        form.addRow("Window width", self.width_slider)
        form.addRow("", self.wl_label)
        layout.addWidget(self.controls)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        try:
            if document.is_dicom:
                self.frame = load_dicom_frame(document.path)
                self._setup_sliders()
            else:
                self._show(load_image(document.path))
        except ImagingError as exc:
            self.image_label.setText(str(exc))
        self.controls.setVisible(self.frame is not None and not self.frame.rgb)

    def _setup_sliders(self) -> None:
        f = self.frame
        lo, hi = int(f.pixels.min()), int(f.pixels.max())
        span = max(1, hi - lo)
        self.center_slider.setRange(lo - span, hi + span)
        self.width_slider.setRange(1, 4 * span + int(f.width))
        self.center_slider.setValue(int(f.center))
        self.width_slider.setValue(int(f.width))
        self.center_slider.valueChanged.connect(self._render)
        self.width_slider.valueChanged.connect(self._render)
        self._render()

    def _render(self) -> None:
        c, w = self.center_slider.value(), self.width_slider.value()
        self.wl_label.setText(f"C {c}  W {w}")
        self._show(self.frame.render(c, w))

    def _show(self, img: Image.Image) -> None:
        self.image_label.setPixmap(QPixmap.fromImage(pil_to_qimage(img)))
