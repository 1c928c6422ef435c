"""A blanked (or to-be-blanked) rectangle of an image; shared by the pixel code, the report and the UI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """A rectangle in image pixels, on one frame (0-based) or on every frame when frame is None."""

    x: int
    y: int
    w: int
    h: int
    frame: int | None = None
    why: str = ""  # PHI-free: "OCR: identifying value", "template: GE LOGIQ9 US", "sender", ...

    def clipped(self, rows: int, cols: int) -> Box | None:
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(cols, self.x + self.w), min(rows, self.y + self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        return Box(x0, y0, x1 - x0, y1 - y0, self.frame, self.why)

    @classmethod
    def from_spec(cls, spec, why: str = "sender") -> Box:
        """(x, y, w, h) or (x, y, w, h, frame), as the review dialog hands them over."""
        x, y, w, h, *rest = spec
        frame = int(rest[0]) if rest and rest[0] is not None else None
        return cls(int(x), int(y), int(w), int(h), frame, why)
