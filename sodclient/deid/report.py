"""The Peer Review report: what was changed, removed and left out, for the sender to review before sending.

The report itself must not leak: inputs are referred to by a neutral label ("input 3"); the original path is
kept in `source`, a field only the local UI shows and nothing logs. No patient value ever enters it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sodclient.deid.boxes import Box


@dataclass(frozen=True)
class LeftOut:
    source: Path  # original path: show locally only, never log or send
    reason: str  # PHI-free
    label: str = ""  # neutral, e.g. "input 3"
    # A DICOM image, whose pixels the engine blanks: boxes drawn by hand can make it safe (photos are kept byte
    # for byte, documents have no pixels). Found where Peer Review runs, not by the dialog on the GUI thread.
    hand_cleanable: bool = False


@dataclass
class OutputChange:
    """What Peer Review did to one input that is released as `output`."""

    output: Path
    label: str  # neutral input label, e.g. "input 3"
    kind: str  # e.g. "DICOM CT image", "JPEG image"
    actions: list[str] = field(default_factory=list)  # PHI-free summaries of changes
    warnings: list[str] = field(default_factory=list)  # things the sender should still look at
    boxes: list[Box] = field(default_factory=list)  # pixel areas blanked, for the review dialog
    source: Path | None = None  # original path: show locally only, never log or send

    @property
    def pixels_changed(self) -> bool:
        return bool(self.boxes)


@dataclass
class PeerReviewReport:
    outputs: list[Path] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    changes: list[OutputChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # run-wide, PHI-free (e.g. short values not scanned)
    inputs: int = 0
    ocr_images: int = 0  # frames that went to OCR after the cheap screen
    screened_images: int = 0  # frames the screen looked at

    @property
    def cleaned_images(self) -> list[OutputChange]:
        """Outputs whose pixels were blanked somewhere (shown first in the review dialog)."""
        return [c for c in self.changes if c.boxes]

    @property
    def all_safe(self) -> bool:
        """True when every input was made safe and released; False when anything was left out."""
        return not self.left_out

    def to_text(self) -> str:
        """A human summary for the review dialog and the terminal. Contains no path and no patient value."""
        lines = [
            f"Peer Review: {self.inputs} input(s), {len(self.outputs)} de-identified output(s), "
            f"{len(self.left_out)} left out."
        ]
        if self.screened_images:
            lines.append(
                f"Burned-in text: {self.screened_images} frame(s) screened, {self.ocr_images} read by OCR, "
                f"{len(self.cleaned_images)} image(s) with blanked areas."
            )
        if self.left_out:
            lines.append("")
            lines.append("Left out (not safe to send):")
            for item in self.left_out:
                lines.append(f"  - {item.label}: {item.reason}")
        if self.changes:
            lines.append("")
            lines.append("Changed:")
            for change in self.changes:
                lines.append(f"  - {change.label} -> {change.output.name} ({change.kind})")
                for action in change.actions:
                    lines.append(f"      {action}")
                for box in change.boxes:
                    where = "every frame" if box.frame is None else f"frame {box.frame + 1}"
                    lines.append(f"      blanked {box.w}x{box.h} at ({box.x},{box.y}), {where}: {box.why}")
                for warning in change.warnings:
                    lines.append(f"      CHECK: {warning}")
        if self.notes:
            lines.append("")
            lines.append("Notes:")
            lines.extend(f"  - {note}" for note in self.notes)
        return "\n".join(lines) + "\n"
