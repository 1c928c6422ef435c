"""An 8-bit picture of one frame of a cleaned output, for the review dialog (Qt-free, no PHI involved).

The dialog shows each cleaned image with its blanked boxes and lets the sender draw more; the boxes it
collects go back into `PeerReviewOptions.extra_boxes` (keyed by the input's label) for a second run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def frame_picture(path: Path, frame: int = 0) -> np.ndarray:
    """(rows, cols) or (rows, cols, 3) uint8 of one frame of a DICOM output, or of a JPEG/PNG/TIFF output."""
    path = Path(path)
    if path.suffix.lower() == ".dcm":
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
