"""Peer Review: turn a set of files into de-identified copies in `out_dir`, or leave them out and say why.

Flow: expand inputs -> clean each file into a hidden staging folder (optionally in worker processes) ->
build one residual scanner from every identifying value seen in the whole send -> scan every staged byte
and name -> move the clean files to neutral names in `out_dir`. Until the last step nothing is visible
in `out_dir`; on error or cancel the staging folder (and anything already moved) is removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from sodclient.deid import burned_in, documents
from sodclient.deid.dicom_clean import add_method_code, clean_dataset
from sodclient.deid.dicom_write import save_dicom
from sodclient.deid.identifiers import IdentifierSet
from sodclient.deid.keys import SendKeys
from sodclient.deid.options import PeerReviewOptions
from sodclient.deid.report import LeftOut, OutputChange, PeerReviewReport
from sodclient.deid.residual import ResidualScanner
from sodclient.errors import UserError
from sodclient.progress import CancelToken, ProgressSink, RateMeter, no_progress

STAGE = "deidentify"
_DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
_SR_PREFIX = "1.2.840.10008.5.1.4.1.1.88."
_ENCAPSULATED_PREFIX = "1.2.840.10008.5.1.4.1.1.104."
_DICOM_SUFFIXES = {".dcm", ".dicom", ".ima", ""}


@dataclass
class ItemResult:
    """What cleaning one input produced (picklable, so worker processes can return it)."""

    index: int
    size: int
    staged: str | None = None
    ext: str = ""
    kind: str = ""
    actions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reason: str | None = None                 # set when left out
    found: IdentifierSet = field(default_factory=IdentifierSet)


# Files the operating system drops into folders. Inside a chosen folder they are skipped (never sent) and
# counted in the report, rather than flagged one by one as "left out". Thumbs.db even holds thumbnails.
_SYSTEM_FILES = {".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", ".directory"}


def is_system_file(name: str) -> bool:
    return name.lower() in _SYSTEM_FILES or name.startswith("._")   # "._x": macOS AppleDouble metadata


def expand_inputs(paths: list[Path], exclude: Path | None = None,
                  skipped: list[Path] | None = None) -> list[Path]:
    """Files as given, folders recursively in a stable order; `exclude` (the output folder) is skipped,
    and so are operating-system files found inside folders (appended to `skipped`)."""
    files: list[Path] = []
    for number, path in enumerate(paths, 1):
        path = Path(path)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                root_path = Path(root)
                if exclude is not None and _is_within(root_path, exclude):
                    dirs.clear()
                    continue
                for name in sorted(names):
                    if is_system_file(name):
                        if skipped is not None:
                            skipped.append(root_path / name)
                        continue
                    files.append(root_path / name)
        elif path.is_file():
            files.append(path)
        else:
            raise UserError(f"input path {number} does not exist or is not a file or folder", exit_code=2)
    return files


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def run_peer_review(
    paths: list[Path],
    out_dir: Path,
    options: PeerReviewOptions = PeerReviewOptions(),
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> PeerReviewReport:
    """De-identify `paths` into `out_dir` (created if missing, must be empty). See the module docstring."""
    out_dir = Path(out_dir)
    skipped: list[Path] = []
    inputs = expand_inputs([Path(p) for p in paths], exclude=out_dir, skipped=skipped)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UserError("the output folder must be a new or empty folder", exit_code=2)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".peer-review-", dir=out_dir))
    moved: list[Path] = []
    try:
        try:
            report = _run(inputs, out_dir, staging, options, progress, cancel, moved)
            if skipped:
                report.notes.insert(0, f"{len(skipped)} operating-system file(s) in the folders (e.g. .DS_Store, "
                                       "Thumbs.db) were skipped and will not be sent")
        except StagingWriteError as exc:
            raise UserError(f"could not write the de-identified copies ({exc})") from exc
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return report


def _run(inputs, out_dir, staging, options, progress, cancel, moved) -> PeerReviewReport:
    keys = SendKeys()
    sizes = [_size(p) for p in inputs]
    meter = RateMeter(STAGE, sum(sizes) * 2 or None, progress)   # half for cleaning, half for the scan
    meter.update(0, "starting", force=True)
    results: list[ItemResult] = []
    done = 0
    jobs = [(i, str(p), sizes[i], str(staging), keys, options) for i, p in enumerate(inputs)]
    for result in _map(jobs, options.workers, cancel):
        results.append(result)
        done += result.size
        meter.update(done, f"cleaned {len(results)} of {len(inputs)} file(s)")
    results.sort(key=lambda r: r.index)

    found = IdentifierSet()
    for value in options.extra_identifiers:
        found.add_name(value)
    for result in results:
        found.merge(result.found)
    scanner = ResidualScanner.build(found, options.min_identifier_length)

    report = PeerReviewReport(inputs=len(inputs))
    released: list[tuple[ItemResult, Path]] = []
    for result in results:                       # the final check, on every staged byte and name
        _check_cancel(cancel)
        if result.reason is None and result.staged is not None:
            final = out_dir / f"{len(released) + 1:05d}{result.ext}"
            hit = scanner.scan_file(result.staged) or scanner.scan_name(final.name)
            if hit:
                result.reason = f"a {hit} of the patient was still found in the cleaned copy"
            else:
                released.append((result, final))
        done += result.size
        meter.update(done, f"checked {result.index + 1} of {len(inputs)} file(s)")
        if result.reason is not None:
            report.left_out.append(LeftOut(inputs[result.index], result.reason, f"input {result.index + 1}"))
    _check_cancel(cancel)
    for result, final in released:               # only now does anything appear in out_dir
        os.replace(result.staged, final)
        moved.append(final)
        report.outputs.append(final)
        report.changes.append(OutputChange(final, f"input {result.index + 1}", result.kind, result.actions,
                                           result.warnings))
    if scanner.skipped_short:
        report.notes.append(
            f"{scanner.skipped_short} identifying value(s) shorter than {options.min_identifier_length} "
            "characters (e.g. short name parts), or numbers under 6 digits, were not searched for by the final "
            "check: they would match almost anywhere. They were still removed wherever the profile removes them."
        )
    report.notes.append(f"final check searched every output byte and name for {scanner.searched} identifying value(s)")
    if options.keep_date_intervals:
        report.notes.append("dates were shifted by one secret offset per patient; intervals between dates are kept")
    else:
        report.notes.append("dates were removed or replaced")
    if options.keep_patient_characteristics:
        report.notes.append("sex, age, size and weight were kept as the sender asked (age capped at 90)")
    meter.update(done, "done", force=True)
    return report


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _check_cancel(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()


def _map(jobs, workers: int, cancel: CancelToken | None):
    if workers <= 1 or len(jobs) < 2:
        for job in jobs:
            _check_cancel(cancel)
            yield process_input(*job)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(process_input, *job) for job in jobs]
        try:
            for future in futures:
                _check_cancel(cancel)
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def process_input(index: int, path_str: str, size: int, staging: str, keys: SendKeys,
                  options: PeerReviewOptions) -> ItemResult:
    """Clean one input into the staging folder. Never raises for a bad input: it is left out instead."""
    path = Path(path_str)
    result = ItemResult(index=index, size=size)
    try:
        head = documents.read_head(path)
        kind = documents.sniff(head)
        if kind is None and path.suffix.lower() in _DICOM_SUFFIXES:
            kind = "dicom?"
        if kind in ("dicom", "dicom?"):
            _process_dicom(path, kind == "dicom", result, staging, keys, options)
        else:
            data = path.read_bytes()
            cleaned, info = documents.clean_document(kind or "", data)
            result.kind, result.ext, result.actions, result.warnings = info.kind, info.ext, info.actions, info.warnings
            result.staged = _stage(staging, index, cleaned)
    except StagingWriteError:
        raise                              # our own output failed (e.g. disk full): the whole run fails
    except documents.NotSafe as exc:
        result.reason = str(exc)
    except Exception as exc:  # any damaged or hostile input is left out, never half-processed
        result.reason = f"it could not be read or cleaned ({type(exc).__name__})"
        result.staged = None
    return result


class StagingWriteError(Exception):
    """Writing a cleaned copy into the staging folder failed; not the input's fault."""


def _stage(staging: str, index: int, data: bytes) -> str:
    path = Path(staging) / f"{index:06d}.part"
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise StagingWriteError(exc.strerror or type(exc).__name__) from exc
    return str(path)


def _process_dicom(path: Path, has_preamble: bool, result: ItemResult, staging: str, keys: SendKeys,
                   options: PeerReviewOptions) -> None:
    try:
        ds = pydicom.dcmread(path, force=not has_preamble)
    except InvalidDicomError:
        raise documents.NotSafe("this kind of file is not supported by Peer Review and may contain patient data")
    if not has_preamble and "SOPClassUID" not in ds:
        raise documents.NotSafe("this kind of file is not supported by Peer Review and may contain patient data")
    meta = ds.file_meta
    sop_class = str(ds.get("SOPClassUID", meta.get("MediaStorageSOPClassUID", "")))
    transfer_syntax = str(meta.get("TransferSyntaxUID", ""))
    if not sop_class:
        raise documents.NotSafe("it is not a complete DICOM object (no SOP Class)")
    if _cut_short(ds, path) or _truncated_image(ds, sop_class, transfer_syntax):
        raise documents.NotSafe("the file is incomplete (its image data is missing or cut short)")
    if _embedded_overlay(ds):
        raise documents.NotSafe("it has an overlay stored inside the pixel data (a retired encoding that can "
                                "carry text), which cannot be removed without changing the pixels")
    stats, _pseudonym = clean_dataset(ds, keys, options.keep_date_intervals, result.found,
                                      options.keep_patient_characteristics)
    if sop_class == _DICOMDIR_CLASS:
        raise documents.NotSafe("a DICOMDIR index lists patients; the recipient's viewer rebuilds it")
    if sop_class.startswith(_SR_PREFIX):
        raise documents.NotSafe("structured reports hold free text that may name the patient")
    if sop_class.startswith(_ENCAPSULATED_PREFIX) or "EncapsulatedDocument" in ds:
        raise documents.NotSafe("an encapsulated document (PDF/CDA) may name the patient in its content")
    modality = str(ds.get("Modality", "")) or "DICOM"
    result.kind = f"DICOM {modality} object"
    result.ext = ".dcm"
    result.actions = ["patient name and ID replaced by a neutral pseudonym (the same for one patient in this send)",
                      *stats.summary()]
    risk = burned_in.burned_in_reason(ds)
    if risk is not None:
        if not (options.blank_ultrasound_text and burned_in.is_ultrasound(ds)):
            raise documents.NotSafe(f"left out because {risk}; it cannot be cleaned automatically")
        why_not = burned_in.blank_outside_ultrasound_regions(ds, transfer_syntax)
        if why_not is not None:
            raise documents.NotSafe(f"left out because {risk} and {why_not}")
        add_method_code(ds, "113101", "Clean Pixel Data Option")
        result.actions.append("pixels outside the ultrasound image regions blanked (patient header area)")
        result.warnings.append("text inside the ultrasound image area (e.g. annotations) was not checked")
    else:
        result.actions.append("pixel data unchanged (bit-identical)")
    _ensure_file_meta(ds, transfer_syntax)
    ds.preamble = b"\x00" * 128          # the preamble can hide another file format (e.g. TIFF)
    staged = Path(staging) / f"{result.index:06d}.part"
    try:
        save_dicom(ds, staged)
    except OSError as exc:
        raise StagingWriteError(exc.strerror or type(exc).__name__) from exc
    result.staged = str(staged)


def _embedded_overlay(ds) -> bool:
    """Retired encoding: overlay planes in the unused high bits of Pixel Data (Overlay Bits Allocated > 1).
    Removing the 60xx group would leave those bits, and the text they may draw, in the pixels."""
    for group in range(0x6000, 0x6020, 2):
        elem = ds.get((group << 16) | 0x0100)
        if elem is not None and elem.value not in (None, b"", 1):
            return True
    return False


def _cut_short(ds, path: Path) -> bool:
    """pydicom stops quietly at a cut-off element; the last element must end where the file ends."""
    if str(ds.file_meta.get("TransferSyntaxUID", "")) == "1.2.840.10008.1.2.1.99":
        return False                      # deflated: positions refer to the inflated stream
    keys = list(ds.keys())
    if not keys:
        return True
    last = ds.get_item(max(keys))
    if not getattr(last, "is_raw", False) or last.length == 0xFFFFFFFF or last.value_tell is None:
        return False
    return last.value_tell + last.length != path.stat().st_size


def _truncated_image(ds, sop_class: str, transfer_syntax: str) -> bool:
    """An image whose pixel data is absent or shorter than its header says: a cut-off copy."""
    is_image_class = "Image Storage" in UID(sop_class).name
    pixel_tags = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
    if is_image_class and not any(t in ds for t in pixel_tags):
        return True
    if "Rows" not in ds or "Columns" not in ds:
        return False
    if not any(t in ds for t in pixel_tags):
        return True
    if "PixelData" not in ds or transfer_syntax not in burned_in.UNCOMPRESSED:
        return False
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if str(ds.get("PhotometricInterpretation", "")) == "YBR_FULL_422":
        samples = 2                       # chroma shared by two pixels: 2 values per pixel on average
    try:
        expected = (int(ds.Rows) * int(ds.Columns) * samples
                    * int(ds.get("NumberOfFrames", 1) or 1) * int(ds.get("BitsAllocated", 8) or 8) + 7) // 8
    except (TypeError, ValueError):
        return True
    return len(ds.get_item("PixelData").value or b"") < expected


def _ensure_file_meta(ds, transfer_syntax: str) -> None:
    meta = ds.file_meta
    if not transfer_syntax:
        if ds.original_encoding[0]:
            meta.TransferSyntaxUID = ImplicitVRLittleEndian
        else:
            meta.TransferSyntaxUID = ExplicitVRLittleEndian if ds.original_encoding[1] else ExplicitVRBigEndian
    if "SOPClassUID" in ds:
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
    if "SOPInstanceUID" in ds:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
