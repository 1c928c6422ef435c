"""Photos and PDFs: metadata gone, pictures intact, anything that may name the patient left out."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfReader

from sodclient.deid import run_peer_review
from sodclient.deid.documents import clean_jpeg
from tests.deid.conftest import FAMILY, PHI, assert_no_phi, make_jpeg, make_pdf, make_png, make_tiff


def _scan_data(jpeg: bytes) -> bytes:
    """The entropy-coded data after the SOS segment: the compressed picture itself."""
    sos = jpeg.index(b"\xff\xda")
    length = int.from_bytes(jpeg[sos + 2 : sos + 4], "big")
    return jpeg[sos + 2 + length : jpeg.rindex(b"\xff\xd9")]


def test_jpeg_loses_exif_xmp_comment_keeps_compressed_data(tmp_path, out):
    original = make_jpeg(tmp_path / "p.jpg")
    assert b"Exif" in original and FAMILY.encode() in original
    report = run_peer_review([tmp_path / "p.jpg"], out)
    assert report.all_safe
    cleaned = report.outputs[0].read_bytes()
    assert report.outputs[0].name == "00001.jpg"
    assert b"Exif" not in cleaned and b"xmpmeta" not in cleaned and b"\xff\xfe" not in cleaned
    assert _scan_data(cleaned) == _scan_data(original)  # not re-encoded
    assert Image.open(io.BytesIO(cleaned)).tobytes() == Image.open(io.BytesIO(original)).tobytes()
    assert report.changes[0].warnings  # sender told to look at the picture
    assert_no_phi(out)


def test_jpeg_trailing_hidden_data_dropped():
    import numpy as np

    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, format="JPEG")
    data = buf.getvalue() + b"hidden " + FAMILY.encode()
    cleaned, actions = clean_jpeg(data)
    assert FAMILY.encode() not in cleaned and cleaned.endswith(b"\xff\xd9")
    assert any("after the end" in a for a in actions)


def test_png_loses_text_chunks_keeps_idat(tmp_path, out):
    make_png(tmp_path / "p.png")
    original = (tmp_path / "p.png").read_bytes()
    assert b"tEXt" in original and b"iTXt" in original and b"zTXt" in original
    report = run_peer_review([tmp_path / "p.png"], out)
    cleaned = report.outputs[0].read_bytes()
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"):
        assert chunk not in cleaned
    idat = lambda d: d[d.index(b"IDAT") - 4 : d.index(b"IEND") - 4]
    assert idat(cleaned) == idat(original)
    assert_no_phi(out)


def test_tiff_rebuilt_losslessly_without_tags(tmp_path, out):
    make_tiff(tmp_path / "s.tif")
    report = run_peer_review([tmp_path / "s.tif"], out)
    assert report.all_safe
    cleaned = Image.open(report.outputs[0])
    assert cleaned.tobytes() == Image.open(tmp_path / "s.tif").tobytes()
    assert 270 not in cleaned.tag_v2 and 315 not in cleaned.tag_v2
    assert_no_phi(out)


def test_pdf_without_text_loses_metadata(tmp_path, out):
    make_pdf(tmp_path / "d.pdf", with_text=False)
    assert FAMILY.encode() in (tmp_path / "d.pdf").read_bytes()
    report = run_peer_review([tmp_path / "d.pdf"], out)
    assert report.all_safe
    reader = PdfReader(report.outputs[0])
    meta = reader.metadata or {}
    assert "/Author" not in meta and "/Title" not in meta and "/Subject" not in meta
    assert len(reader.pages) == 1
    assert_no_phi(out)


def test_pdf_with_text_is_left_out(tmp_path, out):
    make_pdf(tmp_path / "r.pdf", with_text=True)
    report = run_peer_review([tmp_path / "r.pdf"], out)
    assert report.outputs == [] and "text" in report.left_out[0].reason
    assert list(out.iterdir()) == []


def test_unknown_file_types_are_left_out(tmp_path, out):
    (tmp_path / "notes.txt").write_text(f"{FAMILY} called")
    (tmp_path / "letter.docx").write_bytes(b"PK\x03\x04 not really")
    report = run_peer_review([tmp_path / "notes.txt", tmp_path / "letter.docx"], out)
    assert report.outputs == [] and len(report.left_out) == 2
    assert all("not supported" in item.reason for item in report.left_out)
    assert all(v.lower() not in report.to_text().lower() for v in PHI)


def _icc_naming(text: str) -> bytes:
    """A real (littleCMS) sRGB profile whose description tag names the patient."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile + text.encode("utf-16-be") + text.encode()


def test_icc_profile_text_in_jpeg_and_png_is_replaced_by_neutral_srgb(tmp_path, out):
    import numpy as np

    from sodclient.deid.documents import neutral_srgb_profile

    pixels = (np.arange(24 * 16 * 3) % 251).astype(np.uint8).reshape(16, 24, 3)
    icc = _icc_naming(f"Monitor of {FAMILY} Hannelore")
    Image.fromarray(pixels).save(tmp_path / "a.jpg", format="JPEG", icc_profile=icc, quality=95)
    Image.fromarray(pixels).save(tmp_path / "b.png", icc_profile=icc)
    original_jpeg = (tmp_path / "a.jpg").read_bytes()
    report = run_peer_review([tmp_path / "a.jpg", tmp_path / "b.png"], out)
    assert report.all_safe, report.to_text()
    jpeg, png = (p.read_bytes() for p in report.outputs)
    assert neutral_srgb_profile() in jpeg and b"ICC_PROFILE" in jpeg
    assert b"iCCP" not in png and b"sRGB" in png
    assert _scan_data(jpeg) == _scan_data(original_jpeg)
    assert Image.open(io.BytesIO(png)).tobytes() == pixels.tobytes()
    assert all(any("colour profile" in a for a in c.actions) for c in report.changes)
    assert_no_phi(out, [FAMILY, "Hannelore"])


def test_pdf_page_keys_and_content_comments_do_not_survive(tmp_path, out):
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject, TextStringObject

    writer = PdfWriter()
    page = writer.add_blank_page(200, 100)
    stream = DecodedStreamObject()
    stream.set_data(f"% drawn for {FAMILY} Hannelore\n0 0 m 100 50 l S\n% PID8842913\n".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    page[NameObject("/PatientName")] = TextStringObject(f"{FAMILY}^Hannelore")
    page[NameObject("/PieceInfo")] = TextStringObject(f"{FAMILY}")
    with open(tmp_path / "d.pdf", "wb") as fh:
        writer.write(fh)
    report = run_peer_review([tmp_path / "d.pdf"], out)
    assert report.all_safe, report.to_text()
    reader = PdfReader(report.outputs[0])
    rebuilt = reader.pages[0]
    assert "/PatientName" not in rebuilt and "/PieceInfo" not in rebuilt
    ops = rebuilt.get_contents().get_data()
    assert b"100 50 l" in ops.replace(b"\n", b" ") and b"%" not in ops
    assert float(rebuilt.mediabox.width) == 200
    assert_no_phi(out, [FAMILY, "Hannelore", "PID8842913"])


def test_photo_showing_a_name_of_the_send_is_left_out_and_harmless_text_kept(tmp_path, out):
    """The name comes from a DICOM file of the same send: photos are read with the whole send's values."""
    import numpy as np
    import pydicom
    from PIL import ImageDraw, ImageFont

    from tests.deid.conftest import PATIENT_NAME, sample

    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.PatientName = PATIENT_NAME
    ds.save_as(tmp_path / "ct.dcm")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 14)
    for name, text in (("named.png", f"Wound of {FAMILY.upper()}"), ("plain.png", "Wound day 3")):
        image = Image.fromarray(np.full((60, 220, 3), 235, np.uint8))
        ImageDraw.Draw(image).text((6, 20), text, fill=(10, 10, 10), font=font)
        image.save(tmp_path / name)
    report = run_peer_review([tmp_path / "ct.dcm", tmp_path / "named.png", tmp_path / "plain.png"], out)
    reasons = {item.label: item.reason for item in report.left_out}
    assert list(reasons) == ["input 2"] and "OCR" in reasons["input 2"]
    assert FAMILY.lower() not in reasons["input 2"].lower()
    assert len(report.outputs) == 2 and report.ocr_images >= 2
    assert_no_phi(out, [FAMILY])
