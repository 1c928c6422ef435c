"""Write a cleaned dataset fast: attributes that were never decoded are copied back as the bytes read.

pydicom's writer re-enters its generic element path (a buffer per element, value dispatch) even for
values it never decoded; that is most of the time a de-identification spends writing. Here, elements
still in their raw read form (same transfer syntax, same character set) are emitted directly with their
original value bytes; everything else (sequences, changed values, encapsulated pixel data) goes through
pydicom's own `write_data_element`. The result is byte-identical to `Dataset.save_as(...,
enforce_file_format=True)`; tests check that. Unusual encodings fall back to pydicom entirely.
"""

from __future__ import annotations

import struct
from pathlib import Path

from pydicom.charset import default_encoding
from pydicom.dataset import FileDataset, validate_file_meta
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32

_ENCODINGS = {
    ImplicitVRLittleEndian: (True, True),
    ExplicitVRLittleEndian: (False, True),
    ExplicitVRBigEndian: (False, False),
}
_LONG_VRS = frozenset(str(vr) for vr in EXPLICIT_VR_LENGTH_32)


def _encoding_for(ds: FileDataset) -> tuple[bool, bool] | None:
    """(implicit, little) when the fast path applies, else None."""
    ts = ds.file_meta.get("TransferSyntaxUID")
    if ts is None:
        return None
    encoding = _ENCODINGS.get(ts)
    if encoding is None:
        ts_obj = ds.file_meta.TransferSyntaxUID
        if not ts_obj.is_compressed or ts_obj.is_deflated or not ts_obj.is_little_endian or ts_obj.is_implicit_VR:
            return None
        encoding = (False, True)  # encapsulated pixel data: the dataset itself is explicit LE
    if tuple(ds.original_encoding) != encoding:
        return None
    if ds.original_character_set != ds._character_set:
        return None
    return encoding


def save_dicom(ds: FileDataset, path: Path) -> None:
    """Write `ds` in the DICOM File Format (preamble, meta, dataset) to `path`."""
    encoding = _encoding_for(ds)
    if encoding is None:
        ds.save_as(path, enforce_file_format=True)
        return
    implicit, little = encoding
    validate_file_meta(ds.file_meta, enforce_standard=True)
    meta = _encode_file_meta(ds.file_meta)
    body = DicomBytesIO()
    body.is_little_endian, body.is_implicit_VR = little, implicit
    _write_dataset(body, ds, implicit, little)
    preamble = ds.preamble if ds.preamble is not None else b"\x00" * 128
    with open(path, "wb") as fh:
        fh.write(preamble)
        fh.write(b"DICM")
        fh.write(meta)
        fh.write(body.getvalue())


_META_TEXT_PAD = {"UI": b"\x00", "SH": b" ", "AE": b" ", "UR": b" "}


def _encode_file_meta(file_meta) -> bytes:
    """The File Meta Information group, explicit VR little endian, with its group length first.
    (pydicom's writer validates the group twice and dispatches every element; this is the same bytes.)"""
    body = DicomBytesIO()
    body.is_little_endian, body.is_implicit_VR = True, False
    for key in sorted(file_meta.keys()):
        if key == 0x00020000:
            continue
        elem = file_meta[key]
        if elem.VR in _META_TEXT_PAD and isinstance(elem.value, str):
            value = elem.value.encode("ascii")
            if len(value) % 2:
                value += _META_TEXT_PAD[elem.VR]
            body.write(struct.pack("<HH2sH", key >> 16, key & 0xFFFF, elem.VR.encode("ascii"), len(value)))
            body.write(value)
        else:
            write_data_element(body, elem)
    content = body.getvalue()
    return struct.pack("<HH2sHI", 0x0002, 0x0000, b"UL", 4, len(content)) + content


def _write_dataset(fp: DicomBytesIO, ds: FileDataset, implicit: bool, little: bool) -> None:
    charset = ds.get("SpecificCharacterSet", default_encoding)
    e = "<" if little else ">"
    tag_len_implicit = struct.Struct(e + "HHI")
    tag_vr_short = struct.Struct(e + "HH2sH")
    tag_vr_long = struct.Struct(e + "HH2s2xI")
    write = fp.write
    for tag in sorted(ds.keys()):
        if tag & 0xFFFF == 0 and tag >> 16 > 6:  # retired group lengths are not written (PS3.5 7.2)
            continue
        elem = ds.get_item(tag)
        raw_length = getattr(elem, "length", 0)  # only a raw (not yet parsed) element has one
        if elem.is_raw and raw_length != 0xFFFFFFFF and elem.VR != "SQ" and (implicit or elem.VR):
            value = elem.value or b""
            group, element = tag >> 16, tag & 0xFFFF
            if implicit:
                write(tag_len_implicit.pack(group, element, len(value)))
            elif elem.VR in _LONG_VRS:
                write(tag_vr_long.pack(group, element, elem.VR.encode("ascii"), len(value)))
            else:
                write(tag_vr_short.pack(group, element, elem.VR.encode("ascii"), len(value)))
            write(value)
        else:
            if not elem.is_raw:
                value = _plain_ascii_value(elem)
                if value is not None:  # values we set (UIDs, codes, pseudonyms, blanks)
                    group, element = tag >> 16, tag & 0xFFFF
                    vr = elem.VR.encode("ascii")
                    if implicit:
                        write(tag_len_implicit.pack(group, element, len(value)))
                    else:
                        write(tag_vr_short.pack(group, element, vr, len(value)))
                    write(value)
                    continue
            write_data_element(fp, ds[tag] if elem.is_raw else elem, charset)


# Short-length string VRs whose single ASCII value encodes the same in every character set.
_PLAIN_PAD = {"UI": b"\x00", "CS": b" ", "SH": b" ", "LO": b" ", "AE": b" "}


def _plain_ascii_value(elem) -> bytes | None:
    """The encoded value for the simple cases pydicom would encode identically; None otherwise."""
    pad = _PLAIN_PAD.get(elem.VR)
    if pad is None:
        return None
    value = elem.value
    if value is None:
        return b""
    if not isinstance(value, str) or not value.isascii():
        return None
    data = value.encode("ascii")
    return data + pad if len(data) % 2 else data
