"""Photos and documents: strip what identifies, keep the picture, leave out what may still name the patient.

JPEG and PNG are cleaned at the container level (segments/chunks are dropped, the compressed image data is
copied byte for byte), because re-encoding a JPEG would lose quality. Colour profiles are replaced by one
neutral sRGB profile (JPEG) or the sRGB chunk (PNG): a profile's description and copyright tags are free
text. TIFF tags are too varied to filter, so TIFF images are rebuilt losslessly from their pixels. PDFs are
rebuilt from their page content alone: a new page of the same size, the drawing operators re-serialised
(content-stream comments dropped), graphics resources only; page-dictionary keys, metadata, annotations and
attachments do not survive. Any PDF with text, or with pictures that might show a name, is left out.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sodclient.deid.errors import NotSafe


@dataclass
class DocResult:
    kind: str
    ext: str
    actions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


PHOTO_WARNING = "the picture was read for text but not checked for faces or other features; look at it before sending"


def sniff(head: bytes) -> str | None:
    """The document kind from its first bytes (never from the file name)."""
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "dicom"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    return None


# ---------------------------------------------------------------- JPEG

_JPEG_DROP_APP = {0xE1, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEF}


@lru_cache(maxsize=1)
def neutral_srgb_profile() -> bytes:
    """littleCMS's built-in sRGB profile, with its creation date and profile ID zeroed (no time stamp)."""
    from PIL import ImageCms

    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    data[24:36] = bytes(12)  # creation date and time
    data[84:100] = bytes(16)  # profile ID (an MD5 over the header, now stale)
    return bytes(data)


def _jpeg_keep_segment(marker: int, payload: bytes, state: dict) -> bytes | None:
    """The segment to write (possibly rewritten), or None to drop it."""
    if marker == 0xFE or marker in _JPEG_DROP_APP:  # COM, EXIF/XMP (APP1), IPTC (APP13), others
        return None
    if marker == 0xE0:  # APP0: keep plain JFIF, without its thumbnail
        if payload[:5] == b"JFIF\x00" and len(payload) >= 14:
            return payload[:12] + b"\x00\x00"
        return None
    if marker == 0xE2:  # APP2: colour profile -> neutral sRGB; MPF/FlashPix no
        if payload[:12] != b"ICC_PROFILE\x00" or state.get("icc"):
            return None
        state["icc"] = True
        return b"ICC_PROFILE\x00\x01\x01" + neutral_srgb_profile()
    return payload  # APP14 (Adobe colour transform), tables, frames


def clean_jpeg(data: bytes) -> tuple[bytes, list[str]]:
    """Drop metadata segments; copy the entropy-coded image data unchanged; drop anything after EOI."""
    if data[:2] != b"\xff\xd8":
        raise NotSafe("not a readable JPEG")
    out = bytearray(b"\xff\xd8")
    dropped = 0
    state: dict = {}
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            raise NotSafe("the JPEG structure is damaged")
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            raise NotSafe("the JPEG ends early")
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI: stop; trailing bytes (hidden images) are dropped
            out += b"\xff\xd9"
            trailing = n - i
            actions = [f"{dropped} metadata segment(s) removed (EXIF/XMP/IPTC/comments)"] if dropped else []
            if state.get("icc"):
                actions.append(
                    "colour profile replaced by a neutral sRGB profile (its text tags can name a "
                    "person or site); colours may shift slightly if it was not sRGB"
                )
            if trailing:
                actions.append(f"{trailing} byte(s) after the end of the image removed")
            return bytes(out), actions
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += bytes((0xFF, marker))
            continue
        if i + 2 > n:
            raise NotSafe("the JPEG ends early")
        length = struct.unpack(">H", data[i : i + 2])[0]
        payload = data[i + 2 : i + length]
        i += length
        kept = _jpeg_keep_segment(marker, payload, state)
        if kept is None:
            dropped += 1
        else:
            out += bytes((0xFF, marker)) + struct.pack(">H", len(kept) + 2) + kept
        if marker == 0xDA:  # SOS: copy entropy-coded data up to the next marker
            start = i
            while True:
                j = data.find(b"\xff", i)
                if j < 0 or j + 1 >= n:
                    raise NotSafe("the JPEG ends early")
                nxt = data[j + 1]
                if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                    i = j + (1 if nxt == 0xFF else 2)
                    continue
                out += data[start:j]
                i = j
                break
    raise NotSafe("the JPEG has no end marker")


# ---------------------------------------------------------------- PNG

_PNG_KEEP = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"sBIT",
    b"pHYs",
    b"bKGD",
    b"acTL",
    b"fcTL",
    b"fdAT",
}


def _png_chunk(ctype: bytes, payload: bytes) -> bytes:
    import zlib

    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", zlib.crc32(ctype + payload))


def clean_png(data: bytes) -> tuple[bytes, list[str]]:
    """Keep only image chunks (text, EXIF, timestamps and unknown chunks go); stop after IEND."""
    sig = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(sig):
        raise NotSafe("not a readable PNG")
    out = bytearray(sig)
    i, dropped, profile = len(sig), 0, False
    while i + 8 <= len(data):
        length = struct.unpack(">I", data[i : i + 4])[0]
        ctype = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            raise NotSafe("the PNG ends early")
        if ctype in _PNG_KEEP:
            out += data[i:end]
        elif ctype == b"iCCP" and not profile:  # a named, compressed profile: use plain sRGB
            out += _png_chunk(b"sRGB", b"\x00")
            profile = True
        else:
            dropped += 1
        i = end
        if ctype == b"IEND":
            actions = [f"{dropped} metadata chunk(s) removed (text/EXIF/time)"] if dropped else []
            if profile:
                actions.append(
                    "colour profile replaced by the sRGB chunk (the profile's name and text tags can "
                    "name a person or site)"
                )
            if i < len(data):
                actions.append(f"{len(data) - i} byte(s) after the end of the image removed")
            return bytes(out), actions
    raise NotSafe("the PNG has no end chunk")


# ---------------------------------------------------------------- TIFF


def clean_tiff(data: bytes) -> tuple[bytes, list[str]]:
    """Rebuild every page from its pixels alone (deflate, lossless); verify the pixels are unchanged."""
    from PIL import Image  # imported when needed: most sends hold DICOM only

    try:
        src = Image.open(io.BytesIO(data))
        pages = []
        for index in range(getattr(src, "n_frames", 1)):
            src.seek(index)
            src.load()
            pages.append(Image.frombytes(src.mode, src.size, src.tobytes()))
    except Exception as exc:  # Pillow raises many types for damaged files
        raise NotSafe("the TIFF could not be read") from exc
    buf = io.BytesIO()
    pages[0].save(buf, format="TIFF", compression="tiff_adobe_deflate", save_all=True, append_images=pages[1:])
    out = buf.getvalue()
    check = Image.open(io.BytesIO(out))
    for index, page in enumerate(pages):
        check.seek(index)
        if check.tobytes() != page.tobytes():
            raise NotSafe("the TIFF could not be rebuilt without changing its pixels")
    return out, [f"rebuilt from pixels only ({len(pages)} page(s)); all tags and metadata removed"]


def verify_same_pixels(original: bytes, cleaned: bytes) -> None:
    """Decode both and compare: the cleaning must not have changed the picture."""
    from PIL import Image

    try:
        a, b = Image.open(io.BytesIO(original)), Image.open(io.BytesIO(cleaned))
        same = a.size == b.size and a.mode == b.mode and a.tobytes() == b.tobytes()
    except Exception as exc:
        raise NotSafe("the image could not be decoded after cleaning") from exc
    if not same:
        raise NotSafe("cleaning would have changed the picture")


# ---------------------------------------------------------------- PDF

_PDF_RESOURCE_KEYS = ("/ExtGState", "/ColorSpace", "/Pattern", "/Shading")


def clean_pdf(data: bytes) -> tuple[bytes, list[str]]:
    """Left out when it has text or pictures; otherwise rebuilt from each page's drawing operators alone."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream, DictionaryObject, NameObject, NumberObject

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise NotSafe("the PDF is encrypted, so its content cannot be checked")
        for page in reader.pages:
            if (page.extract_text() or "").strip():
                raise NotSafe("the PDF contains text that may name the patient (reports are never sent in Peer Review)")
            if _page_has_images(page):
                raise NotSafe("the PDF contains pictures that may show the patient's name")
            resources = page.get("/Resources") or {}
            if "/XObject" in resources or "/Font" in resources:
                raise NotSafe("the PDF contains embedded objects or fonts that may carry text")
        writer = PdfWriter()
        for page in reader.pages:
            box = page.mediabox
            new = writer.add_blank_page(float(box.width), float(box.height))
            rotate = page.get("/Rotate")
            if isinstance(rotate, int) and rotate % 90 == 0:
                new[NameObject("/Rotate")] = NumberObject(rotate)
            resources = page.get("/Resources") or {}
            kept = DictionaryObject()
            for key in _PDF_RESOURCE_KEYS:
                if key in resources:
                    kept[NameObject(key)] = resources[key].get_object().clone(writer)
            new[NameObject("/Resources")] = kept
            contents = page.get_contents()
            if contents is not None:
                source = ContentStream(contents, reader)
                rebuilt = ContentStream(None, writer)
                rebuilt.operations = source.operations  # operators only: comments are not kept
                new.replace_contents(rebuilt)
        buf = io.BytesIO()
        writer.write(buf)
    except NotSafe:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise NotSafe("the PDF could not be read") from exc
    return buf.getvalue(), [
        "rebuilt from its pages' drawing operators only: document information, XMP "
        "metadata, page-dictionary keys, content-stream comments, annotations, attachments "
        "and scripts removed"
    ]


def _page_has_images(page) -> bool:
    try:
        return len(page.images) > 0
    except Exception:
        return True  # cannot tell: assume it has


def clean_document(kind: str, data: bytes) -> tuple[bytes, DocResult]:
    """Dispatch by sniffed kind; raises NotSafe with a PHI-free reason."""
    if kind == "jpeg":
        out, actions = clean_jpeg(data)
        verify_same_pixels(data, out)
        return out, DocResult(
            "JPEG image", ".jpg", actions + ["compressed image data kept byte for byte"], [PHOTO_WARNING]
        )
    if kind == "png":
        out, actions = clean_png(data)
        verify_same_pixels(data, out)
        return out, DocResult("PNG image", ".png", actions + ["image data kept byte for byte"], [PHOTO_WARNING])
    if kind == "tiff":
        out, actions = clean_tiff(data)
        return out, DocResult("TIFF image", ".tif", actions, [PHOTO_WARNING])
    if kind == "pdf":
        out, actions = clean_pdf(data)
        return out, DocResult("PDF document", ".pdf", actions)
    raise NotSafe("this kind of file is not supported by Peer Review and may contain patient data")


def read_head(path: Path, size: int = 132) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)
