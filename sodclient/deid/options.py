"""What the sender can choose for Peer Review; everything else is fixed on the safe side."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

# A box the sender drew in the review dialog: (x, y, width, height) on every frame, or with a 0-based frame.
BoxSpec = tuple[int, int, int, int] | tuple[int, int, int, int, int]


@dataclass(frozen=True)
class PeerReviewOptions:
    # Shift every date of a patient by one secret offset instead of removing dates, so a reviewer still sees
    # the intervals between exams (DICOM "Retain Longitudinal Temporal Information with Modified Dates").
    keep_date_intervals: bool = False
    # Keep sex, age, size, weight and the like (DICOM "Retain Patient Characteristics Option"): reviewers often
    # need them. The age is computed from the birth date when missing (capped at 90, as HIPAA asks), and the
    # birth date itself is still removed.
    keep_patient_characteristics: bool = False
    # Extra values the sender knows identify the patient (e.g. the name as typed on a referral). They are
    # added to the residual scan; useful for photos and PDFs, which carry no DICOM patient module.
    extra_identifiers: tuple[str, ...] = ()
    # Ultrasound images: blank everything outside the declared ultrasound image regions (where the scanner
    # prints the patient header), then OCR inside them. When False, every ultrasound image is left out instead.
    blank_ultrasound_text: bool = True
    # Identifying values shorter than this are not searched for by the residual scan: a 2- or 3-letter
    # name part would match random bytes in every image. The report says how many were skipped.
    min_identifier_length: int = 4
    # Worker processes for DICOM cleaning (1 = in this process). The residual scan always runs on all outputs.
    workers: int = 1
    # DICOM "Clean Descriptors Option": keep descriptions (study, series, protocol...) that the final scan finds
    # free of identifying values; a description that names the patient is still removed.
    clean_descriptors: bool = False
    # Read burned-in text with OCR (after a cheap screen) and blank identifying words. Off only for
    # measurements: images that are likely to show text are then left out.
    ocr: bool = True
    # Boxes the sender drew in the review dialog, to blank as well: keyed by the input's path (as given)
    # or its neutral label ("input 3").
    extra_boxes: Mapping[str, tuple[BoxSpec, ...]] = field(default_factory=dict)

    def boxes_for(self, path: str, label: str) -> tuple[BoxSpec, ...]:
        return tuple(self.extra_boxes.get(path, ())) + tuple(self.extra_boxes.get(label, ()))

    def with_boxes(self, label: str, boxes) -> PeerReviewOptions:
        """These options with `boxes` as the sender's boxes for one input (none: that input's boxes removed)."""
        extra = {key: value for key, value in self.extra_boxes.items() if key != label}
        if boxes:
            extra[label] = tuple(tuple(int(v) for v in box) for box in boxes)  # type: ignore[misc]
        return replace(self, extra_boxes=extra)

    def __hash__(self) -> int:  # extra_boxes is a mapping; options are compared, rarely hashed
        return hash(
            (
                self.keep_date_intervals,
                self.keep_patient_characteristics,
                self.extra_identifiers,
                self.workers,
                self.clean_descriptors,
                self.ocr,
            )
        )
