"""A cheap screen for rendered text, so OCR runs only on images (and parts of images) that may show some.

Rendered characters are made of thin strokes: a stroke pixel is much brighter (or darker) than the pixels two
to the left and right, or two above and below. Anatomy rarely does that densely, text always does. The image
is cut into 16x16 tiles; a text line makes at least two side-by-side tiles with many stroke pixels. Cost: about
1 ms for a 512x512 frame (numpy only). Measured on pydicom's sample CT, MR, RT dose and compressed images: none
of the plain CT/MR/dose frames passes, every frame with rendered text (DejaVu 9-14 px, light or dark) does; see
tests/deid/test_ocr.py and BENCHMARKS.md. What passes goes to OCR; what OCR reads decides what is blanked.

Strokes are "thin" at one scale only: bold 28 px text has strokes too wide for the full-size filter, so the
screen also runs on the image reduced 2x (images of 256+ pixels) and 4x (512+), as 2x2 block means, where such
strokes are thin again. `regions()` returns each region with the scale it was found at, and OCR
reads it at that scale.
"""

from __future__ import annotations

import numpy as np

from sodclient.deid.boxes import Box

TILE = 16
STROKE_CONTRAST = 48
MIN_STROKE_PIXELS = 12


def text_regions(gray: np.ndarray) -> list[Box]:
    """Boxes (whole tile rows, merged) that may hold text, in image pixels; [] when none."""
    if gray.shape[0] < 8 or gray.shape[1] < 8:
        return []
    g = gray.astype(np.int16)
    c = g[2:-2, 2:-2]
    left, right, up, down = g[2:-2, :-4], g[2:-2, 4:], g[:-4, 2:-2], g[4:, 2:-2]
    t = STROKE_CONTRAST
    strokes = (
        ((c - np.maximum(left, right)) > t)
        | ((c - np.maximum(up, down)) > t)
        | ((np.minimum(left, right) - c) > t)
        | ((np.minimum(up, down) - c) > t)
    )
    rows, cols = strokes.shape
    th, tw = (rows + TILE - 1) // TILE, (cols + TILE - 1) // TILE
    padded = np.zeros((th * TILE, tw * TILE), bool)
    padded[:rows, :cols] = strokes
    counts = padded.reshape(th, TILE, tw, TILE).sum(axis=(1, 3))
    hot = counts >= MIN_STROKE_PIXELS
    pairs = np.zeros_like(hot)
    pairs[:, 1:] |= hot[:, 1:] & hot[:, :-1]
    pairs[:, :-1] |= hot[:, 1:] & hot[:, :-1]
    if not pairs.any():
        return []
    boxes: list[Box] = []
    for ty in np.flatnonzero(pairs.any(axis=1)):
        xs = np.flatnonzero(pairs[ty])
        x0, x1 = int(xs.min()), int(xs.max()) + 1
        # +2: the stroke map is offset by the 2-pixel border; one tile of context on every side
        box = Box(x0 * TILE + 2 - TILE, int(ty) * TILE + 2 - TILE, (x1 - x0 + 2) * TILE, 3 * TILE)
        if (
            boxes
            and box.y <= boxes[-1].y + boxes[-1].h
            and box.x < boxes[-1].x + boxes[-1].w
            and boxes[-1].x < box.x + box.w
        ):
            last = boxes[-1]
            nx0, ny0 = min(last.x, box.x), min(last.y, box.y)
            nx1, ny1 = max(last.x + last.w, box.x + box.w), max(last.y + last.h, box.y + box.h)
            boxes[-1] = Box(nx0, ny0, nx1 - nx0, ny1 - ny0)
        else:
            boxes.append(box)
    return [b for b in (box.clipped(gray.shape[0], gray.shape[1]) for box in boxes) if b is not None]


def _half(gray: np.ndarray) -> np.ndarray:
    """2x2 block means (the last odd row/column dropped)."""
    g = gray[: gray.shape[0] // 2 * 2, : gray.shape[1] // 2 * 2].astype(np.uint16)
    return ((g[0::2, 0::2] + g[1::2, 0::2] + g[0::2, 1::2] + g[1::2, 1::2]) >> 2).astype(np.uint8)


def _reduce(gray: np.ndarray, factor: int) -> np.ndarray:
    """Block means over factor x factor (factor a power of two)."""
    while factor > 1:
        gray, factor = _half(gray), factor // 2
    return gray


def regions(gray: np.ndarray) -> list[tuple[Box, int]]:
    """(box in full-size pixels, scale) for every region that may hold text, at scales 1, 2 and 4.
    A coarser region mostly covered by finer ones is dropped (the finer reading covers that text)."""
    found: list[tuple[Box, int]] = [(box, 1) for box in text_regions(gray)]
    reduced = gray
    for factor in (2, 4):
        if min(gray.shape) < 128 * factor:  # large text is large for its image: 256+ / 512+ pixels
            break
        reduced = _half(reduced)
        for box in text_regions(reduced):
            full = Box(box.x * factor, box.y * factor, box.w * factor, box.h * factor)
            if _covered(full, [other for other, _ in found]) < 0.5:
                found.append((full, factor))
    return found


def _covered(box: Box, others: list[Box]) -> float:
    """The share of `box` that `others` cover (overlaps among them counted twice: an upper bound)."""
    area = 0
    for o in others:
        w = min(box.x + box.w, o.x + o.w) - max(box.x, o.x)
        h = min(box.y + box.h, o.y + o.h) - max(box.y, o.y)
        area += max(0, w) * max(0, h)
    return area / max(1, box.w * box.h)
