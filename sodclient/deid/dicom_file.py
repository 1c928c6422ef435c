"""One DICOM file through Peer Review: read, refuse what cannot be made safe, clean, write.

Left out, with the reason: DICOMDIRs, structured reports and encapsulated documents (free text), cut-off
files, images with overlays inside the pixel data, and images that may show burned-in text unless they are
ultrasound with declared regions (then the header band is blanked). Everything else gets the profile.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from sodclient.deid import burned_in
from sodclient.deid.dicom_clean import add_method_code, clean_dataset
from sodclient.deid.dicom_write import save_dicom
from sodclient.deid.errors import NotSafe, StagingWriteError
from sodclient.deid.keys import SendKeys
from sodclient.deid.options import PeerReviewOptions

_DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
_SR_PREFIX = "1.2.840.10008.5.1.4.1.1.88."
_ENCAPSULATED_PREFIX = "1.2.840.10008.5.1.4.1.1.104."


def process_dicom(path: Path, has_preamble: bool, result, staging: str, keys: SendKeys,
                   options: PeerReviewOptions) -> None:
    try:
        ds = pydicom.dcmread(path, force=not has_preamble)
    except InvalidDicomError:
        raise NotSafe("this kind of file is not supported by Peer Review and may contain patient data")
    if not has_preamble and "SOPClassUID" not in ds:
        raise NotSafe("this kind of file is not supported by Peer Review and may contain patient data")
    meta = ds.file_meta
    sop_class = str(ds.get("SOPClassUID", meta.get("MediaStorageSOPClassUID", "")))
    transfer_syntax = str(meta.get("TransferSyntaxUID", ""))
    if not sop_class:
        raise NotSafe("it is not a complete DICOM object (no SOP Class)")
    if _cut_short(ds, path) or _truncated_image(ds, sop_class, transfer_syntax):
        raise NotSafe("the file is incomplete (its image data is missing or cut short)")
    if _embedded_overlay(ds):
        raise NotSafe("it has an overlay stored inside the pixel data (a retired encoding that can "
                                "carry text), which cannot be removed without changing the pixels")
    stats, _pseudonym = clean_dataset(ds, keys, options.keep_date_intervals, result.found,
                                      options.keep_patient_characteristics)
    if sop_class == _DICOMDIR_CLASS:
        raise NotSafe("a DICOMDIR index lists patients; the recipient's viewer rebuilds it")
    if sop_class.startswith(_SR_PREFIX):
        raise NotSafe("structured reports hold free text that may name the patient")
    if sop_class.startswith(_ENCAPSULATED_PREFIX) or "EncapsulatedDocument" in ds:
        raise NotSafe("an encapsulated document (PDF/CDA) may name the patient in its content")
    modality = str(ds.get("Modality", "")) or "DICOM"
    result.kind = f"DICOM {modality} object"
    result.ext = ".dcm"
    result.actions = ["patient name and ID replaced by a neutral pseudonym (the same for one patient in this send)",
                      *stats.summary()]
    risk = burned_in.burned_in_reason(ds)
    if risk is not None:
        if not (options.blank_ultrasound_text and burned_in.is_ultrasound(ds)):
            raise NotSafe(f"left out because {risk}; it cannot be cleaned automatically")
        why_not = burned_in.blank_outside_ultrasound_regions(ds, transfer_syntax)
        if why_not is not None:
            raise NotSafe(f"left out because {risk} and {why_not}")
        add_method_code(ds, "113101", "Clean Pixel Data Option")
        if str(ds.file_meta.TransferSyntaxUID) != transfer_syntax:
            result.actions.append("compressed pixels decoded and stored uncompressed (not compressed a second time)")
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
