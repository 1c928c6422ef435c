"""An 8-bit picture of one frame of a cleaned output, for the review dialog (Qt-free, no PHI involved).

The dialog shows each cleaned image with its blanked boxes and lets the sender draw more; the boxes it
collects go back into `PeerReviewOptions.extra_boxes` (keyed by the input's label) for a second run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _is_dicom(path: Path) -> bool:
    if path.suffix.lower() == ".dcm":
        return True
    try:
        with open(path, "rb") as f:
            return f.read(132)[128:] == b"DICM"
    except OSError:
        return False


def hand_cleanable(path: Path) -> bool:
    """Whether sender-drawn boxes can apply: a DICOM image (pixels the engine blanks). Photos are never
    blanked (their compressed picture is kept byte for byte), and documents have no pixels."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not _is_dicom(Path(path)):
        return False
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["Rows", "Columns", "SOPClassUID"])
    except (InvalidDicomError, OSError, ValueError, TypeError, AttributeError, KeyError):
        return False
    return "Rows" in ds and "Columns" in ds


def frame_count(path: Path) -> int:
    """How many frames `frame_picture` can show (1 for photos and single-frame images)."""
    if not _is_dicom(Path(path)):
        return 1
    import pydicom

    ds = pydicom.dcmread(path, stop_before_pixels=True)
    try:
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except (TypeError, ValueError):
        return 1


def frame_picture(path: Path, frame: int = 0) -> np.ndarray:
    """(rows, cols) or (rows, cols, 3) uint8 of one frame of a DICOM output, or of a JPEG/PNG/TIFF output."""
    path = Path(path)
    if _is_dicom(path):
        import pydicom

        from sodclient.deid import pixels

        ds = pydicom.dcmread(path)
        frames = pixels.decoded_frames(ds)
        picture = frames[min(max(frame, 0), frames.shape[0] - 1)]
        photometric = str(ds.get("PhotometricInterpretation", ""))
        if picture.shape[-1] == 3 and photometric == "RGB":
            return np.ascontiguousarray(
                picture.astype(np.uint8)
                if picture.dtype == np.uint8
                else (picture / max(1, int(picture.max())) * 255).astype(np.uint8)
            )
        return pixels.gray8(picture, photometric)
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))
