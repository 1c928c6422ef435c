"""Finds text a person cannot read in full: a label, button or check box smaller than its text needs.

Used by tests/ux/test_layout_scaling.py (every dialog at 100 % and 150 %) and scripts/take_screenshots.py."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QWidget


def _name(w: QWidget) -> str:
    text = w.text() if hasattr(w, "text") else (w.title() if isinstance(w, QGroupBox) else "")
    return f"{type(w).__name__} {text[:50]!r}"


def clipped_widgets(top: QWidget) -> list[str]:
    problems = []
    for w in [top, *top.findChildren(QWidget)]:
        if not w.isVisibleTo(top) or w.width() <= 0:
            continue
        if isinstance(w, QLabel):
            if not w.text() or (w.pixmap() is not None and not w.pixmap().isNull()):
                continue
            if w.wordWrap():
                need = w.heightForWidth(w.width())
                if need > 0 and w.height() + 1 < need:
                    problems.append(f"{_name(w)} needs {need} px of height, has {w.height()}")
                continue
            hint = w.sizeHint()
        elif (isinstance(w, QAbstractButton) and w.text()) or (isinstance(w, QGroupBox) and w.title()):
            hint = w.minimumSizeHint()
        else:
            continue
        if w.width() + 1 < hint.width() or w.height() + 1 < hint.height():
            problems.append(f"{_name(w)} is {w.width()}x{w.height()}, needs {hint.width()}x{hint.height()}")
    return problems
