"""The final check of one cleaned file, with the whole send's identifying values (run by the engine).

Raw bytes are searched (residual.ResidualScanner) and so is every decoded DICOM text value
(residual.TextScanner, fed by the workers' text digests). For a DICOM file with a hit, each element is looked
at: a hit in a controlled-vocabulary value that is wholly a vocabulary term (Manufacturer "Philips", Body Part
"HEAD", kernel "LUNG", TG-263 "Heart") is accepted; a hit in an attribute the file can lose removes that
attribute and the file is kept; a hit in something it cannot lose (pixels, a required value, report text)
leaves the file out. The rewritten file is searched again, whole, before it may be released.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.multival import MultiValue

from sodclient.deid.residual import ResidualScanner, TextScanner
from sodclient.deid.vocabulary import judged_by_vocabulary

_STRING_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI",
                         "UR", "UT"})
# Values a file cannot lose: its pixels, what makes it an object of its class, and report text (SR).
REQUIRED = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009, 0x00080016, 0x00080018, 0x00080060, 0x00080008,
                      0x00280004, 0x00080005, 0x0040A160, 0x00020002, 0x00020003, 0x00020010})


def check(result, scanner: ResidualScanner, text_scanner: TextScanner) -> None:
    """Leave `result` out (result.reason) or fix its staged file; nothing when it is clean."""
    staged = Path(result.staged)
    text_hit = text_scanner.find("\n".join(t for _tag, t in result.texts))
    hit = scanner.scan_file(staged) or text_hit
    if hit is None:
        return
    if result.ext != ".dcm":
        result.reason = f"a {hit} of the patient was still found in the cleaned copy"
        return
    _fix_dicom(result, staged, scanner, text_scanner)


def _value_text(elem) -> str:
    value = elem.value
    if isinstance(value, (MultiValue, list, tuple)):
        return "\\".join(map(str, value))
    return "" if value is None else str(value)


def _fix_dicom(result, staged: Path, scanner: ResidualScanner, text_scanner: TextScanner) -> None:
    try:
        ds = pydicom.dcmread(staged)
    except Exception:  # our own output should always read back; if not, it cannot be released
        result.reason = "the cleaned copy could not be checked again"
        return
    removed: list[str] = []
    accepted: list[bytes] = []
    blocked: list[str] = []

    def visit(dataset, top: bool) -> None:
        for key in list(dataset.keys()):
            tag = int(key)
            raw = dataset.get_item(key)
            vr = raw.VR
            if vr is None:
                try:
                    vr = dictionary_VR(tag)
                except KeyError:
                    vr = "UN"
            if vr == "SQ":
                for item in dataset[key].value or []:
                    visit(item, False)
                continue
            raw_bytes = raw.value if getattr(raw, "is_raw", False) and isinstance(raw.value, bytes) else None
            hit = scanner.scan(raw_bytes) if raw_bytes else None
            text = None
            if vr in _STRING_VRS:
                text = _value_text(dataset[key])
                hit = hit or text_scanner.find(text)
            if hit is None:
                continue
            if text is not None and judged_by_vocabulary(tag, text):
                if raw_bytes:
                    accepted.append(raw_bytes)
                continue
            if tag in REQUIRED:
                blocked.append(hit)
                continue
            del dataset[key]
            removed.append(keyword_for_tag(tag) or ("private attribute" if tag >> 16 & 1 else "unknown attribute"))

    visit(ds, True)
    if ds.file_meta is not None:
        visit(ds.file_meta, True)
    if blocked:
        result.reason = (f"a {blocked[0]} of the patient was still found in the cleaned copy, in a part the file "
                         "cannot lose (its pixels, report text or a required value)")
        return
    if removed:
        try:
            ds.save_as(staged, enforce_file_format=True)
        except Exception:  # pydicom raises several types for values it cannot encode
            result.reason = "the cleaned copy could not be rewritten without the identifying attribute"
            return
        names = ", ".join(sorted(set(removed)))
        result.actions.append(f"{len(removed)} attribute(s) removed by the final check because they held an "
                              f"identifying value ({names})")
    data = staged.read_bytes()
    for value in accepted:                      # vocabulary terms accepted above may match the raw search
        data = data.replace(value, b"\x00" * len(value))
    again = scanner.scan(data)
    if again is not None:
        result.reason = f"a {again} of the patient was still found in the cleaned copy"
    elif accepted:
        result.actions.append(f"{len(accepted)} value(s) matching a patient's name kept because they are terms of "
                              "their attribute's vocabulary (e.g. a vendor or body part)")
