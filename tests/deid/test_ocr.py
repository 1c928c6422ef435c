"""Burned-in text in CT, US, SC and multi-frame pixels is found by the screen + OCR and blanked; clean
pixels stay bit-identical. Text is rendered with DejaVu (Debian fonts-dejavu-core) into synthetic images;
all images are cleaned in one run (module scope) because OCR is the slow part."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid

from sodclient.deid import PeerReviewOptions, run_peer_review
from sodclient.deid.screen import text_regions
from tests.deid.conftest import FAMILY, GIVEN, PATIENT_ID, PATIENT_NAME, sample

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
IDENTIFYING = [FAMILY.upper(), GIVEN.upper(), PATIENT_ID, "12.04.1961"]


def render(frame: np.ndarray, texts: list[tuple[int, int, str]], value, size: int = 12, face: str = FONT) -> list:
    """Draw `texts` into a (rows, cols[, 3]) array in place; returns the text bounding boxes (x0, y0, x1, y1)."""
    font = ImageFont.truetype(face, size)
    mask = Image.new("L", (frame.shape[1], frame.shape[0]), 0)
    draw = ImageDraw.Draw(mask)
    boxes = []
    for x, y, text in texts:
        draw.text((x, y), text, fill=255, font=font)
        boxes.append(draw.textbbox((x, y), text, font=font))
    frame[np.asarray(mask) > 100] = value
    return boxes


def _image(sop_class: str, modality: str, pixels: np.ndarray, **attrs) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = modality
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = PATIENT_NAME, PATIENT_ID, "19610412"
    frames = pixels if pixels.ndim == 4 else pixels[None]
    ds.Rows, ds.Columns = frames.shape[1], frames.shape[2]
    ds.SamplesPerPixel = frames.shape[3]
    ds.PhotometricInterpretation = "RGB" if frames.shape[3] == 3 else "MONOCHROME2"
    if frames.shape[3] == 3:
        ds.PlanarConfiguration = 0
    bits = frames.dtype.itemsize * 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.PixelRepresentation = 1 if frames.dtype.kind == "i" else 0
    if frames.shape[0] > 1:
        ds.NumberOfFrames = frames.shape[0]
    ds.PixelData = frames.tobytes()
    for key, value in attrs.items():
        setattr(ds, key, value)
    return ds


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    src = tmp_path_factory.mktemp("ocr")
    cases = {}

    # 1. CT (16-bit signed), no BurnedInAnnotation: name in the corner, ID over the anatomy, technique text
    ct = pydicom.dcmread(sample("CT_small.dcm"))
    big = np.kron(ct.pixel_array, np.ones((2, 2), dtype=ct.pixel_array.dtype))
    bright = int(big.max()) + 400
    frame = big[..., None].copy()
    name_boxes = render(frame, [(4, 4, f"{FAMILY.upper()} {GIVEN.upper()}"), (60, 120, PATIENT_ID)], bright)
    technique = render(frame, [(150, 236, "120 kV")], bright, size=11)
    ct.Rows, ct.Columns = frame.shape[0], frame.shape[1]
    ct.PixelData = frame[..., 0].astype(big.dtype).tobytes()
    ct.PatientName, ct.PatientID, ct.PatientBirthDate = PATIENT_NAME, PATIENT_ID, "19610412"
    ct.save_as(src / "01_ct.dcm")
    cases["ct"] = (1, name_boxes, technique)

    # 2. Ultrasound with a declared region: header outside it, a birth date written inside it
    us = np.full((160, 240, 3), 40, np.uint8)
    header = render(us, [(4, 6, f"{FAMILY.upper()} {PATIENT_ID}")], (255, 255, 255))
    render(us, [(40, 100, "DOB")], (230, 230, 230))
    inside = render(us, [(80, 100, "12.04.1961")], (230, 230, 230))
    ds = _image("1.2.840.10008.5.1.4.1.1.6.1", "US", us)
    region = Dataset()
    region.RegionLocationMinX0, region.RegionLocationMinY0 = 0, 30
    region.RegionLocationMaxX1, region.RegionLocationMaxY1 = 239, 159
    region.RegionSpatialFormat, region.RegionDataType, region.RegionFlags = 1, 1, 0
    ds.SequenceOfUltrasoundRegions = Sequence([region])
    ds.save_as(src / "02_us.dcm", enforce_file_format=True)
    cases["us"] = (2, header + inside, [])

    # 3. GE CT dose report secondary capture (CTP template blanks rows 0-110), BurnedInAnnotation NO
    sc = np.zeros((200, 512, 1), np.uint8)
    band = render(sc, [(10, 20, f"{FAMILY.upper()}, {GIVEN.upper()}"), (300, 20, "Exam 4471")], 255)
    dose = render(sc, [(10, 150, "Total DLP 512")], 255)
    ds = _image(
        "1.2.840.10008.5.1.4.1.1.7",
        "CT",
        sc,
        Manufacturer="GE MEDICAL SYSTEMS",
        SeriesDescription="Dose Report",
        BurnedInAnnotation="NO",
    )
    ds.save_as(src / "03_sc.dcm", enforce_file_format=True)
    cases["sc"] = (3, band, dose)

    # 4. Multi-frame, RLE compressed: text on frames 1 and 3 only
    frames = np.full((3, 96, 128, 1), 15, np.uint8)
    f0 = render(frames[0], [(4, 4, FAMILY.upper())], 250)
    f2 = render(frames[2], [(20, 60, PATIENT_ID)], 250)
    ds = _image("1.2.840.10008.5.1.4.1.1.7.2", "OT", frames)
    ds.compress(RLELossless, generate_instance_uid=False)
    ds.save_as(src / "04_multiframe.dcm", enforce_file_format=True)
    cases["multi"] = (4, [(0,) + tuple(b) for b in f0] + [(2,) + tuple(b) for b in f2], frames)

    # 5. GE LOGIQ9 ultrasound without regions: the CTP band (0,0,640,30) is blanked even if OCR misses
    logiq = np.full((120, 640, 3), 30, np.uint8)
    band9 = render(logiq, [(8, 8, f"{GIVEN.upper()} {FAMILY.upper()}")], (255, 255, 255))
    ds = _image(
        "1.2.840.10008.5.1.4.1.1.6.1", "US", logiq, Manufacturer="GE Healthcare", ManufacturerModelName="LOGIQ9"
    )
    ds.save_as(src / "05_logiq.dcm", enforce_file_format=True)
    cases["logiq"] = (5, band9, [])

    # 6. a plain CT, and 7. a plain CT with a box the sender drew
    plain = pydicom.dcmread(sample("CT_small.dcm"))
    plain.PatientName = PATIENT_NAME
    plain.save_as(src / "06_plain.dcm")
    plain.save_as(src / "07_drawn.dcm")

    # 8. a screen capture with dark text on a light background (a report page photographed by the modality)
    page = np.full((120, 300, 1), 235, np.uint8)
    dark = render(page, [(10, 10, f"Patient: {FAMILY.upper()}"), (10, 40, f"ID {PATIENT_ID}")], 20)
    ds = _image("1.2.840.10008.5.1.4.1.1.7", "OT", page)
    ds.save_as(src / "08_page.dcm", enforce_file_format=True)
    cases["page"] = (8, dark, [])

    # 9. large bold text (strokes too wide for the full-size screen: found at a reduced scale)
    large = pydicom.dcmread(sample("CT_small.dcm"))
    pixels = np.kron(large.pixel_array, np.ones((4, 4), dtype=large.pixel_array.dtype))[..., None].copy()
    bold = render(pixels, [(10, 10, FAMILY.upper())], int(pixels.max()) + 300, size=36, face=BOLD)
    large.Rows, large.Columns = pixels.shape[0], pixels.shape[1]
    large.PixelData = pixels[..., 0].tobytes()
    large.PatientName, large.PatientID = PATIENT_NAME, PATIENT_ID
    large.save_as(src / "09_large.dcm")
    cases["large"] = (9, bold, [])

    out = tmp_path_factory.mktemp("ocr-out") / "out"
    options = PeerReviewOptions(extra_boxes={"input 7": ((10, 20, 30, 15),)})
    report = run_peer_review([src], out, options)
    by_label = {c.label: c for c in report.changes}
    return src, report, by_label, cases


def _load(change):
    ds = pydicom.dcmread(change.output)
    return ds, ds.pixel_array


def _blank_inside(pixels, box, value):
    x0, y0, x1, y1 = box
    return bool((pixels[y0:y1, x0:x1] == value).all())


def _outside_unchanged(before, after, boxes):
    mask = np.ones(before.shape[:2], bool)
    for b in boxes:
        mask[max(0, b.y) : b.y + b.h, max(0, b.x) : b.x + b.w] = False
    return np.array_equal(before[mask], after[mask])


def test_every_image_is_kept_and_marked(run):
    _src, report, by_label, _cases = run
    assert report.all_safe, report.to_text()
    for n in (1, 2, 3, 4, 5, 7, 8, 9):
        ds = pydicom.dcmread(by_label[f"input {n}"].output)
        assert ds.BurnedInAnnotation == "NO", n
        assert "113101" in [c.CodeValue for c in ds.DeidentificationMethodCodeSequence], n
    assert report.ocr_images >= 5 and report.screened_images >= 9


def test_ct_name_and_id_blanked_technique_text_and_anatomy_kept(run):
    src, _report, by_label, cases = run
    _n, name_boxes, technique = cases["ct"]
    before = pydicom.dcmread(src / "01_ct.dcm").pixel_array
    ds, after = _load(by_label["input 1"])
    low = int(after.min())
    for box in name_boxes:
        assert _blank_inside(after, box, low), box
    x0, y0, x1, y1 = technique[0]
    assert np.array_equal(before[y0:y1, x0:x1], after[y0:y1, x0:x1])  # "120 kV" is not identifying
    assert _outside_unchanged(before, after, by_label["input 1"].boxes)
    assert all(b.why.startswith("OCR") for b in by_label["input 1"].boxes)


def test_ultrasound_header_and_text_inside_the_region_blanked(run):
    src, _report, by_label, cases = run
    before = pydicom.dcmread(src / "02_us.dcm").pixel_array
    _ds, after = _load(by_label["input 2"])
    for box in cases["us"][1]:
        assert _blank_inside(after, box, 0), box
    assert after[:30].max() == 0
    assert _outside_unchanged(before, after, by_label["input 2"].boxes)
    assert any(b.why.startswith("OCR") and b.y >= 30 for b in by_label["input 2"].boxes)


def test_ge_dose_report_band_blanked_by_template_dose_values_kept(run):
    src, _report, by_label, cases = run
    before = pydicom.dcmread(src / "03_sc.dcm").pixel_array
    _ds, after = _load(by_label["input 3"])
    assert after[:110].max() == 0 and before[:110].max() == 255
    for box in cases["sc"][2]:
        x0, y0, x1, y1 = box
        assert np.array_equal(before[y0:y1, x0:x1], after[y0:y1, x0:x1])
    assert any("template: GE CT dose report" == b.why for b in by_label["input 3"].boxes)


def test_multiframe_rle_text_blanked_per_frame_and_reencoded_losslessly(run):
    src, _report, by_label, cases = run
    _n, boxes, original = cases["multi"]
    ds, after = _load(by_label["input 4"])
    assert ds.file_meta.TransferSyntaxUID == RLELossless
    for frame, *box in boxes:
        assert _blank_inside(after[frame], box, 0), (frame, box)
    assert np.array_equal(after[1], original[1, ..., 0])  # the frame without text
    assert any("RLE" in a for a in by_label["input 4"].actions)
    assert {b.frame for b in by_label["input 4"].boxes} == {0, 2}


def test_logiq9_without_regions_is_kept_with_its_band_blanked(run):
    _src, _report, by_label, cases = run
    _ds, after = _load(by_label["input 5"])
    assert after[:30].max() == 0
    assert any(b.why == "template: GE LOGIQ9 US" for b in by_label["input 5"].boxes)


def test_plain_ct_pixels_bit_identical_and_sender_box_blanked(run):
    src, _report, by_label, _cases = run
    original = pydicom.dcmread(src / "06_plain.dcm")
    plain = pydicom.dcmread(by_label["input 6"].output)
    assert plain.PixelData == original.PixelData and not by_label["input 6"].boxes
    _ds, drawn = _load(by_label["input 7"])
    box = by_label["input 7"].boxes[0]
    assert (box.x, box.y, box.w, box.h, box.why) == (10, 20, 30, 15, "sender")
    assert (drawn[20:35, 10:40] == drawn.min()).all()
    assert _outside_unchanged(original.pixel_array, drawn, [box])


def test_no_identifying_text_is_legible_in_any_output(run):
    """Read every output again with OCR: none of the identifying words may be found."""
    from sodclient.deid.deny_list import DenyList
    from sodclient.deid.ocr import read_words
    from sodclient.deid.pixels import gray8

    _src, report, _by_label, _cases = run
    deny = DenyList([PATIENT_NAME, PATIENT_ID, "19610412", "12.04.1961"])
    for path in report.outputs:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
        frames = arr if int(ds.get("NumberOfFrames", 1) or 1) > 1 else arr[None]
        for frame in frames:
            frame = frame if frame.ndim == 3 else frame[..., None]
            words = read_words(gray8(frame, str(ds.PhotometricInterpretation)))
            assert not [w.text for w in words if deny.why(w.text) == "identifying value"], path.name


def test_dark_text_on_a_light_page_is_blanked(run):
    _src, _report, by_label, cases = run
    _ds, after = _load(by_label["input 8"])
    words = [box for box in by_label["input 8"].boxes if box.why.startswith("OCR")]
    assert len(words) >= 2
    for _x0, y0, x1, y1 in cases["page"][1]:
        # "Patient:" is not identifying; the name and the ID after it are blanked
        assert (after[y0:y1, x1 - 40 : x1] == 0).all()


def test_large_bold_text_is_found_at_a_reduced_scale_and_blanked(run):
    _src, _report, by_label, cases = run
    _ds, after = _load(by_label["input 9"])
    x0, y0, x1, y1 = cases["large"][1][0]
    assert (after[y0:y1, x0:x1] == after.min()).all()


def test_report_lists_the_boxes(run):
    _src, report, _by_label, _cases = run
    text = report.to_text()
    assert "blanked" in text and "template: GE LOGIQ9 US" in text and "frame(s) screened" in text
    assert FAMILY.lower() not in text.lower()


@pytest.mark.parametrize("size", [9, 11, 14])
@pytest.mark.parametrize("dark_on_light", [False, True])
def test_screen_catches_rendered_text_and_passes_plain_images(size, dark_on_light):
    for name in ("CT_small.dcm", "MR_small.dcm"):
        arr = pydicom.dcmread(sample(name)).pixel_array.astype(np.float32)
        gray = ((arr - arr.min()) * 255 / (arr.max() - arr.min())).astype(np.uint8)
        assert text_regions(gray) == [], name
        if dark_on_light:
            gray = np.full_like(gray, 230)
        render(gray, [(2, gray.shape[0] // 2, "AB12 Name")], 0 if dark_on_light else 255, size=size)
        assert text_regions(gray), (name, size, dark_on_light)


def test_cine_loop_with_a_frame_counter_is_read_a_few_times_and_blanked_in_every_frame(tmp_path, monkeypatch):
    from sodclient.deid import ocr

    calls = []
    real = ocr.read_words
    monkeypatch.setattr(ocr, "read_words", lambda *a, **k: calls.append(1) or real(*a, **k))
    frames = np.full((10, 96, 160, 1), 20, np.uint8)
    boxes = [render(frames[i], [(4, 4, f"{FAMILY.upper()} {i:02d}")], 240) for i in range(10)]
    ds = _image("1.2.840.10008.5.1.4.1.1.7.2", "OT", frames)
    ds.save_as(tmp_path / "cine.dcm", enforce_file_format=True)
    report = run_peer_review([tmp_path / "cine.dcm"], tmp_path / "out")
    assert report.all_safe, report.to_text()
    after = pydicom.dcmread(report.outputs[0]).pixel_array
    for i in range(10):
        x0, y0, x1, _y1 = boxes[i][0]
        assert (after[i, y0 : y0 + 9, x0 : x0 + 60] == 0).all(), i  # the name, in every frame
    assert len(calls) <= 2 * 4  # four readings of the band, then the same again after blanking
