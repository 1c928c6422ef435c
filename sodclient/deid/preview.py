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


def frame_picture(path: Path, frame: int = 0) -> np.ndarray:
    """(rows, cols) or (rows, cols, 3) uint8 of one frame of a DICOM output, or of a JPEG/PNG/TIFF output."""
    return frame_and_count(path, frame)[0]


def frame_and_count(path: Path, frame: int = 0) -> tuple[np.ndarray, int]:
    """`frame_picture` and how many frames there are (1 for photos), from one reading of the file."""
    path = Path(path)
    if _is_dicom(path):
        import pydicom

        from sodclient.deid import pixels

        ds = pydicom.dcmread(path)
        frames = pixels.decoded_frames(ds)
        picture = frames[min(max(frame, 0), frames.shape[0] - 1)]
        photometric = str(ds.get("PhotometricInterpretation", ""))
        if picture.shape[-1] == 3 and photometric == "RGB":
            rgb = picture.astype(np.uint8) if picture.dtype == np.uint8 else picture / max(1, int(picture.max())) * 255
            return np.ascontiguousarray(rgb.astype(np.uint8)), frames.shape[0]
        return pixels.gray8(picture, photometric), frames.shape[0]
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")), 1
