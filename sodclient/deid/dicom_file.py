"""One DICOM file through Peer Review: read, refuse what cannot be made safe, clean, write.

Left out, with the reason: DICOMDIRs and encapsulated documents (PDF/CDA), cut-off files, images with overlays
inside the pixel data, images whose identifying burned-in text cannot be blanked, and structured reports whose
text still names the patient after redaction. Everything else gets the profile, its pixels checked by OCR.
Key Object Selection documents are kept: their references carry the same replaced UIDs as the images.
"""

from __future__ import annotations

import io
from pathlib import Path

import pydicom
import pydicom.config
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from sodclient.deid import burned_in, pixels, templates
from sodclient.deid import raw_values as rv
from sodclient.deid.boxes import Box
from sodclient.deid.deny_list import DenyList
from sodclient.deid.dicom_clean import TEXT_VALUE, add_method_code, clean_dataset
from sodclient.deid.dicom_write import save_dicom
from sodclient.deid.errors import NotSafe, StagingWriteError
from sodclient.deid.identifiers import IdentifierSet
from sodclient.deid.keys import SendKeys
from sodclient.deid.options import PeerReviewOptions
from sodclient.deid.residual import TextScanner

_DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
_SR_PREFIX = "1.2.840.10008.5.1.4.1.1.88."
_KOS_CLASS = "1.2.840.10008.5.1.4.1.1.88.59"
_ENCAPSULATED_PREFIX = "1.2.840.10008.5.1.4.1.1.104."
UNCOMPRESSED = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}
# VRs whose values are decoded with the Specific Character Set (PS3.5 6.1.2.3): the final scan reads these.
CHARSET_VRS = frozenset({"LO", "LT", "PN", "SH", "ST", "UC", "UT"})


def process_dicom(
    path: Path, has_preamble: bool, result, staging: str, keys: SendKeys, options: PeerReviewOptions, extra_boxes=()
) -> None:
    # The values set here are ours (UIDs, codes, pseudonyms, dummies) and valid by construction: skipping
    # pydicom's per-assignment validation saves a tenth of the time of a file.
    with pydicom.config.disable_value_validation():
        _process(path, has_preamble, result, staging, keys, options, extra_boxes)


def _process(
    path: Path, has_preamble: bool, result, staging: str, keys: SendKeys, options: PeerReviewOptions, extra_boxes
) -> None:
    try:
        # read whole, then parse from memory: pydicom reads element by element, and a few hundred small
        # reads from a BytesIO cost a fraction of the same reads through a file object
        ds = pydicom.dcmread(io.BytesIO(path.read_bytes()), force=not has_preamble)
    except InvalidDicomError:
        raise NotSafe("this kind of file is not supported by Peer Review and may contain patient data") from None
    if not has_preamble and "SOPClassUID" not in ds:
        raise NotSafe("this kind of file is not supported by Peer Review and may contain patient data")
    meta = ds.file_meta
    sop_class = rv.text(ds, 0x00080016) or str(meta.get("MediaStorageSOPClassUID", ""))
    transfer_syntax = str(meta.get("TransferSyntaxUID", ""))
    if not sop_class:
        raise NotSafe("it is not a complete DICOM object (no SOP Class)")
    if _cut_short(ds, path) or _truncated_image(ds, sop_class, transfer_syntax):
        raise NotSafe("the file is incomplete (its image data is missing or cut short)")
    if _embedded_overlay(ds):
        raise NotSafe(
            "it has an overlay stored inside the pixel data (a retired encoding that can "
            "carry text), which cannot be removed without changing the pixels"
        )
    structured = sop_class.startswith(_SR_PREFIX)
    template_boxes = templates.boxes_for(ds) if "PixelData" in ds else []
    stats, _pseudonym = clean_dataset(
        ds,
        keys,
        options.keep_date_intervals,
        result.found,
        options.keep_patient_characteristics,
        structured,
        options.clean_descriptors,
    )
    if sop_class == _DICOMDIR_CLASS:
        raise NotSafe("a DICOMDIR index lists patients; the recipient's viewer rebuilds it")
    if sop_class.startswith(_ENCAPSULATED_PREFIX) or "EncapsulatedDocument" in ds:
        raise NotSafe("an encapsulated document (PDF/CDA) may name the patient in its content")
    modality = str(ds.get("Modality", "")) or "DICOM"
    result.kind = f"DICOM {modality} object"
    result.ext = ".dcm"
    result.actions = [
        "patient name and ID replaced by a neutral pseudonym (the same for one patient in this send)",
        *stats.summary(),
    ]
    identifying = [*result.found.values, *options.extra_identifiers]
    if structured:
        _redact_report_text(ds, identifying, result, options.min_identifier_length, sop_class == _KOS_CLASS)
    if not options.blank_ultrasound_text and burned_in.is_ultrasound(ds) and "PixelData" in ds:
        raise NotSafe(
            "left out because ultrasound images usually show the patient header in the pixels and "
            "blanking was turned off"
        )
    outcome = burned_in.clean_pixels(
        ds, template_boxes, DenyList(identifying), [Box.from_spec(b) for b in extra_boxes], options.ocr
    )
    result.screened, result.ocr_frames = outcome.screened_frames, outcome.ocr_frames
    if outcome.boxes:
        add_method_code(ds, "113101", "Clean Pixel Data Option")
        result.boxes = outcome.boxes
    result.actions += outcome.actions
    result.warnings += outcome.warnings
    result.texts = text_digest(ds)
    _ensure_file_meta(ds, transfer_syntax)
    ds.preamble = b"\x00" * 128  # the preamble can hide another file format (e.g. TIFF)
    staged = Path(staging) / f"{result.index:06d}.part"
    try:
        save_dicom(ds, staged)
    except OSError as exc:
        raise StagingWriteError(exc.strerror or type(exc).__name__) from exc
    result.staged = str(staged)


def _redact_report_text(ds, identifying: list[str], result, min_length: int, kos: bool) -> None:
    """SR text: every identifying value of the file found in a Text Value is replaced by '***'."""
    found = IdentifierSet()
    for value in identifying:
        found.add(value, "identifying value")
    scanner = TextScanner.build(found, min_length)
    items = texts = redacted = 0
    stack = [ds]
    while stack:
        item = stack.pop()
        items += 1
        for elem in item:
            if elem.VR == "SQ":
                stack.extend(elem.value or [])
            elif elem.tag == TEXT_VALUE and elem.value:
                texts += 1
                new, count = scanner.redact(str(elem.value))
                if count:
                    elem.value = new
                    redacted += count
    if kos:
        result.actions.append("key object selection kept; its references point to the renamed instances")
    if texts:
        result.actions.append(
            f"{texts} report text value(s) kept; {redacted} identifying value(s) in them replaced by ***"
        )
        result.warnings.append(
            "report text was kept after removing the identifying values known to this send: "
            "read it before sending (it may name people the send does not know)"
        )


def text_digest(ds) -> list[tuple[int, str]]:
    """Every kept value of a character-set VR, decoded (ISO 2022 included), for the send-wide final scan."""
    out: list[tuple[int, str]] = []
    stack = [ds]
    while stack:
        item = stack.pop()
        for key in item.keys():
            vr = rv.vr(item, key)  # implicit VR: looked up rather than converting the value
            if vr == "SQ":
                stack.extend(item[key].value or [])
                continue
            if vr not in CHARSET_VRS:
                continue
            raw = item.get_item(key).value
            if isinstance(raw, bytes) and raw.isascii() and b"\x1b" not in raw:
                text = raw.decode("ascii").strip(" \x00")  # plain ASCII reads the same in every set
                if text:
                    out.append((int(key), text))
                continue
            elem = item[key]
            if elem.VR not in CHARSET_VRS or elem.value in (None, ""):
                continue
            value = elem.value
            text = "\\".join(map(str, value)) if isinstance(value, (MultiValue, list)) else str(value)
            out.append((int(key), text))
    return out


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
        return False  # deflated: positions refer to the inflated stream
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
    if "PixelData" not in ds or transfer_syntax not in UNCOMPRESSED:
        return False
    samples = rv.integer(ds, pixels.SAMPLES, 1) or 1
    if pixels.photometric(ds) == "YBR_FULL_422":
        samples = 2  # chroma shared by two pixels: 2 values per pixel on average
    rows, cols = rv.integer(ds, pixels.ROWS, -1), rv.integer(ds, pixels.COLUMNS, -1)
    if rows < 0 or cols < 0:
        return True
    expected = (rows * cols * samples * pixels.frame_count(ds) * (rv.integer(ds, pixels.BITS, 8) or 8) + 7) // 8
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
