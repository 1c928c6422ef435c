"""Pixel access for burned-in text: decode frames, make 8-bit views for screening and OCR, blank boxes.

Uncompressed pixels are read straight from the Pixel Data bytes into a writable array, so a blanked image
differs from the original only inside its boxes (everything else stays bit-identical). Compressed pixels are
decoded for checking; only when something must be blanked are they decoded for good and then stored
uncompressed, or re-encoded losslessly as RLE when they came as RLE (the report says which).
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import RLELossless

from sodclient.deid import raw_values as rv
from sodclient.deid.boxes import Box

ROWS, COLUMNS, SAMPLES, BITS, PIXEL_REP, PLANAR, FRAMES, PHOTOMETRIC = (
    0x00280010,
    0x00280011,
    0x00280002,
    0x00280100,
    0x00280103,
    0x00280006,
    0x00280008,
    0x00280004,
)

UNCOMPRESSED = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}
_BLANKABLE_PHOTOMETRIC = {"MONOCHROME1", "MONOCHROME2", "RGB", "PALETTE COLOR", "YBR_FULL"}


class PixelError(Exception):
    """The pixels cannot be read or written here; the message is PHI-free."""


def frame_count(ds: Dataset) -> int:
    return max(1, rv.integer(ds, FRAMES, 1))


def photometric(ds: Dataset) -> str:
    return rv.text(ds, PHOTOMETRIC)


def is_native(ds: Dataset) -> bool:
    return str(ds.file_meta.get("TransferSyntaxUID", "")) in UNCOMPRESSED


def native_frames(ds: Dataset) -> np.ndarray:
    """A writable (frames, rows, cols, samples) array over a copy of uncompressed Pixel Data."""
    bits = rv.integer(ds, BITS)
    raw = rv.pixel_bytes(ds)
    if bits not in (8, 16, 32) or raw is None:
        raise PixelError("its pixel format (bits allocated) cannot be blanked")
    rows, cols = rv.integer(ds, ROWS), rv.integer(ds, COLUMNS)
    spp = rv.integer(ds, SAMPLES, 1) or 1
    frames = frame_count(ds)
    big = str(ds.file_meta.get("TransferSyntaxUID", "")) == "1.2.840.10008.1.2.2"
    signed = rv.integer(ds, PIXEL_REP) == 1
    dtype = (
        np.dtype((">" if big else "<") + ("i" if signed else "u") + str(bits // 8))
        if bits > 8
        else np.dtype(np.int8 if signed else np.uint8)
    )
    if photometric(ds) == "YBR_FULL_422":
        raise PixelError("its pixel format (YBR 4:2:2) cannot be blanked safely")
    count = rows * cols * spp * frames
    if len(raw) < count * dtype.itemsize:
        raise PixelError("its pixel data is shorter than its header says")
    flat = np.frombuffer(raw, dtype=dtype, count=count).copy()
    if spp > 1 and rv.integer(ds, PLANAR) == 1:
        return flat.reshape(frames, spp, rows, cols).transpose(0, 2, 3, 1)
    return flat.reshape(frames, rows, cols, spp)


def decoded_frames(ds: Dataset) -> np.ndarray:
    """(frames, rows, cols, samples) for any transfer syntax pydicom can decode (read-only use)."""
    if is_native(ds) and photometric(ds) != "YBR_FULL_422" and rv.integer(ds, BITS) in (8, 16, 32):
        return native_frames(ds)
    try:
        arr = ds.pixel_array
    except Exception as exc:  # missing decoder plugin or damaged stream: several exception types
        raise PixelError("its pixels cannot be decoded here") from exc
    frames, spp = frame_count(ds), rv.integer(ds, SAMPLES, 1) or 1
    return arr.reshape(frames, rv.integer(ds, ROWS), rv.integer(ds, COLUMNS), spp)


def gray8(frame: np.ndarray, photometric: str) -> np.ndarray:
    """An 8-bit grey view of one (rows, cols, samples) frame, stretched to its own range."""
    if frame.shape[-1] >= 3:
        f = frame[..., 0] * 0.299 + frame[..., 1] * 0.587 + frame[..., 2] * 0.114
    else:
        f = frame[..., 0].astype(np.float32)
    lo, hi = float(f.min()), float(f.max())
    if hi <= lo:
        return np.zeros(f.shape, np.uint8)
    g = ((f - lo) * (255.0 / (hi - lo))).astype(np.uint8)
    return 255 - g if photometric == "MONOCHROME1" else g


def blank_value(ds: Dataset, frames: np.ndarray) -> int:
    """The value that displays as black: the darkest stored value (MONOCHROME1: the brightest)."""
    if photometric(ds) == "MONOCHROME1":
        return int(frames.max())
    return int(frames.min()) if frames.dtype.kind == "i" else 0


def blank(ds: Dataset, frames: np.ndarray, boxes: list[Box]) -> list[Box]:
    """Fill each box with black in `frames` (in place); returns the boxes actually applied (clipped)."""
    rows, cols = frames.shape[1], frames.shape[2]
    value = blank_value(ds, frames)
    applied = []
    for box in boxes:
        clipped = box.clipped(rows, cols)
        if clipped is None:
            continue
        targets = range(frames.shape[0]) if clipped.frame is None else [clipped.frame]
        for f in targets:
            if 0 <= f < frames.shape[0]:
                frames[f, clipped.y : clipped.y + clipped.h, clipped.x : clipped.x + clipped.w, :] = value
        applied.append(clipped)
    return applied


def store(ds: Dataset, frames: np.ndarray, was_rle: bool) -> str:
    """Write blanked native frames back; returns a PHI-free note on the encoding used."""
    spp = frames.shape[-1]
    if spp > 1 and rv.integer(ds, PLANAR) == 1:
        data = np.ascontiguousarray(frames.transpose(0, 3, 1, 2)).tobytes()
    else:
        data = np.ascontiguousarray(frames).tobytes()
    if len(data) % 2:
        data += b"\x00"
    ds.PixelData = data
    if was_rle:
        try:
            ds.compress(RLELossless, generate_instance_uid=False)
            return "cleaned pixels re-encoded losslessly (RLE Lossless)"
        except Exception:  # the encoder refuses some layouts: stay uncompressed, which is lossless too
            return "cleaned pixels stored uncompressed (RLE re-encoding was not possible)"
    return "cleaned pixels stored uncompressed"


def make_native(ds: Dataset) -> str | None:
    """Decode compressed pixels for good (pydicom updates the encoding attributes). None on success."""
    if is_native(ds):
        return None
    try:
        ds.decompress(generate_instance_uid=False)
    except Exception:  # missing decoder plugin or damaged stream
        return "its compressed pixels cannot be decoded here"
    return None
