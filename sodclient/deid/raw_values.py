"""Read a few attribute values without converting the element (Peer Review's hot path).

pydicom converts an element the first time it is read, and a converted element is later written through its
slow generic path; reading the raw bytes of the handful of image attributes every file needs (Rows, Bits
Allocated, Photometric Interpretation, ...) keeps both the read and the write on the fast path.
"""

from __future__ import annotations

from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset


def vr(ds: Dataset, tag) -> str:
    """The element's VR without converting its value: as read, else the dictionary's, else 'UN'."""
    found = ds.get_item(tag).VR
    if found:
        return found
    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"


def _raw(ds: Dataset, tag: int):
    elem = ds.get_item(tag)
    if elem is None:
        return None, None
    if getattr(elem, "is_raw", False) and isinstance(elem.value, bytes):
        return elem, elem.value
    return elem, None


def text(ds: Dataset, tag: int, default: str = "") -> str:
    """A short ASCII value (CS, UI, IS, DS, LO of plain text) as text; multi-values joined with '\\'."""
    elem, raw = _raw(ds, tag)
    if elem is None:
        return default
    if raw is not None and raw.isascii():
        return raw.decode("ascii").strip(" \x00") or default
    value = ds[tag].value
    if value is None or value == "":
        return default
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "\\".join(map(str, value))
    return str(value)


def integer(ds: Dataset, tag: int, default: int = 0) -> int:
    """A single US/SS/UL/IS value as int; `default` when absent, empty or not a number."""
    elem, raw = _raw(ds, tag)
    if elem is None:
        return default
    if raw is not None:
        kind = vr(ds, tag)
        little = ds.original_encoding[1] if ds.original_encoding[1] is not None else True
        if kind in ("US", "SS", "UL", "SL") and len(raw) in (2, 4):
            return int.from_bytes(raw, "little" if little else "big", signed=kind in ("SS", "SL"))
        if kind == "IS":
            try:
                return int(raw.strip(b" \x00").split(b"\\")[0] or default)
            except ValueError:
                return default
    try:
        value = ds[tag].value
        return default if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return default


def pixel_bytes(ds: Dataset) -> bytes | None:
    elem, raw = _raw(ds, 0x7FE00010)
    if elem is None:
        return None
    return raw if raw is not None else ds.PixelData
