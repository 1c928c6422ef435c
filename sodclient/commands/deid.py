"""`sodclient deid -o OUT_DIR PATH...`: Peer Review from the command line.

Exit 0 when every input was made safe, 5 when some were left out (each listed on stderr with the reason).
The report goes to stdout; it names inputs by number, and the original paths appear only on this terminal.
`--blank N:X,Y,W,H` is the app's Clean by Hand… for the command line: an area of input N to blank.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from sodclient.deid.options import PeerReviewOptions
from sodclient.errors import InputError, UserError
from sodclient.exit_codes import Exit
from sodclient.progress import CancelToken, ProgressReport
from sodclient.services.peer_review import review_into


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "deid",
        help="de-identify files for Peer Review (DICOM, JPEG, PNG, TIFF, PDF)",
        description="Write de-identified copies of PATH (files and folders) into OUT_DIR with neutral names. "
        "Anything that cannot be made safe is left out and listed on stderr.",
    )
    parser.add_argument(
        "-o",
        "--out",
        dest="out_dir",
        required=True,
        type=Path,
        metavar="OUT_DIR",
        help="new or empty folder for the de-identified files",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="DICOM files, documents and folders")
    parser.add_argument(
        "--keep-date-intervals",
        action="store_true",
        help="shift dates by one secret offset per patient instead of removing them",
    )
    parser.add_argument(
        "--keep-patient-characteristics",
        action="store_true",
        help="keep sex, age (computed if missing, capped at 90), size and weight",
    )
    parser.add_argument(
        "--identifier",
        action="append",
        default=[],
        metavar="TEXT",
        help="an extra value that identifies the patient, for the final check (repeatable)",
    )
    parser.add_argument(
        "--clean-descriptors",
        action="store_true",
        help="keep descriptions (study, series, protocol) in which the final check finds no "
        "identifying value (DICOM Clean Descriptors option)",
    )
    parser.add_argument(
        "--no-ultrasound-blanking",
        action="store_true",
        help="leave ultrasound images out instead of blanking their header area",
    )
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N", help="worker processes for DICOM cleaning (default 1)"
    )
    add_blank_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(handler=run)


def add_blank_option(parser) -> None:
    parser.add_argument(
        "--blank",
        action="append",
        default=[],
        metavar="N:X,Y,W,H",
        help="also blank this area (pixels: left, top, width, height, on every frame) of input N as the report "
        "numbers it, e.g. text Peer Review could not locate; repeatable",
    )


_BLANK = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*$")


def blank_boxes(values: list[str]) -> dict[str, tuple[tuple[int, int, int, int], ...]]:
    """--blank values as `PeerReviewOptions.extra_boxes` ({"input N": boxes})."""
    boxes: dict[str, tuple[tuple[int, int, int, int], ...]] = {}
    for value in values:
        match = _BLANK.match(value)
        if match is None or int(match.group(1)) < 1 or not int(match.group(4)) or not int(match.group(5)):
            raise InputError(f"--blank {value}: write it as N:X,Y,W,H (input number, then the area in pixels)")
        n, x, y, w, h = (int(g) for g in match.groups())
        boxes[f"input {n}"] = (*boxes.get(f"input {n}", ()), (x, y, w, h))
    return boxes


def _stderr_progress(report: ProgressReport) -> None:
    if report.total:
        pct = 100 * report.done / report.total
        print(f"\rde-identifying: {pct:5.1f}% {report.detail:<40}", end="", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, profile) -> int:
    if args.workers < 1:
        raise InputError("--workers must be at least 1")
    options = PeerReviewOptions(
        keep_date_intervals=args.keep_date_intervals,
        keep_patient_characteristics=args.keep_patient_characteristics,
        extra_identifiers=tuple(args.identifier),
        blank_ultrasound_text=not args.no_ultrasound_blanking,
        clean_descriptors=args.clean_descriptors,
        workers=args.workers,
        extra_boxes=blank_boxes(args.blank),
    )
    progress = (lambda _r: None) if args.quiet or not sys.stderr.isatty() else _stderr_progress
    try:
        report = review_into(profile, args.paths, args.out_dir, options, progress, CancelToken())
    except OSError as exc:
        raise UserError(f"could not write the output folder ({exc.strerror or type(exc).__name__})") from exc
    finally:
        if progress is _stderr_progress:
            print(file=sys.stderr)
    sys.stdout.write(report.to_text())
    for item in report.left_out:
        print(f"left out: {item.label} ({item.source}): {item.reason}", file=sys.stderr)
    return Exit.OK if report.all_safe else Exit.LEFT_OUT
