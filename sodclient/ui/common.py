"""Small helpers shared by the windows: plain-language errors, sizes, durations, the app icon."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QDialog

from sodclient import wording
from sodformat.errors import CancelledError


def icon_pixmap(size: int = 256) -> QPixmap:
    """The app icon, drawn rather than shipped so an installed wheel needs no data files.

    resources/sodsend.svg holds the same design for installers and desktop files.
    """
    pm = QPixmap(size, size)
    pm.fill(Qt.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.Antialiasing)
    s = size / 256.0
    p.setPen(Qt.NoPen)
    p.setBrush(QColor("#1f5fa8"))
    p.drawRoundedRect(QRectF(8 * s, 8 * s, 240 * s, 240 * s), 40 * s, 40 * s)
    p.setBrush(QColor("#ffffff"))
    p.drawRoundedRect(QRectF(64 * s, 116 * s, 128 * s, 92 * s), 14 * s, 14 * s)
    pen = p.pen()
    pen.setColor(QColor("#ffffff"))
    pen.setWidthF(18 * s)
    p.setPen(pen)
    p.setBrush(Qt.NoBrush)
    p.drawArc(QRectF(86 * s, 56 * s, 84 * s, 110 * s), 0, 180 * 16)
    p.drawLine(int(86 * s), int(111 * s), int(86 * s), int(120 * s))
    p.drawLine(int(170 * s), int(111 * s), int(170 * s), int(120 * s))
    p.setPen(QColor("#1f5fa8"))
    font = QFont("Sans", max(6, int(30 * s)), QFont.Bold)
    p.setFont(font)
    p.drawText(QRectF(64 * s, 116 * s, 128 * s, 92 * s), Qt.AlignCenter, "SOD")
    p.end()
    return pm


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 32, 64, 256):
        icon.addPixmap(icon_pixmap(size))
    return icon


def plain_error(exc: BaseException, nothing_lost: str = "") -> str:
    """One sentence for the user; the core's errors already are one plain line."""
    if isinstance(exc, CancelledError):
        text = "Cancelled."
    else:
        text = str(exc).strip() or type(exc).__name__
        text = text[0].upper() + text[1:]
        if not text.endswith((".", "!", "?")):
            text += "."
    return f"{text} {nothing_lost}".strip()


def human_size(n: float | None) -> str:
    """Decimal units, as in the mail and on the command line (sodclient.wording)."""
    return "" if n is None else wording.human_size(n)


def human_duration(seconds: float | None) -> str:
    return "" if seconds is None else wording.human_duration(seconds)


class KeepContentVisible(QObject):
    """Installed on the application: when a dialog is first shown, it may not be made smaller than its content
    needs (Qt's minimum ignores that wrapped text needs more lines when narrow, so labels and buttons were
    clipped, worst at 150 % scaling), but never larger than 90 % of the screen it is on."""

    def eventFilter(self, obj, event) -> bool:
        if (
            event.type() == QEvent.Show
            and isinstance(obj, QDialog)
            and obj.isWindow()
            and not obj.property("sod_min_set")
        ):
            obj.setProperty("sod_min_set", True)
            need = obj.sizeHint()
            screen = obj.screen()
            if screen is not None:
                room = screen.availableGeometry().size() * 0.9
                need = need.boundedTo(QSize(int(room.width()), int(room.height())))
            obj.setMinimumSize(obj.minimumSize().expandedTo(need))
        return False
