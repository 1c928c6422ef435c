"""Images that may show text in their pixels are never passed on unchanged."""

from __future__ import annotations

import numpy as np
import pydicom

from sodclient.deid import PeerReviewOptions, run_peer_review
from tests.deid.conftest import copy_sample, sample, ultrasound


def test_ultrasound_header_band_is_blanked_and_image_area_kept(tmp_path, out):
    src = ultrasound(tmp_path / "us.dcm", regions=True)
    report = run_peer_review([tmp_path / "us.dcm"], out)
    assert report.all_safe
    ds = pydicom.dcmread(report.outputs[0])
    before = np.frombuffer(src.PixelData, np.uint8).reshape(40, 32, 3)
    after = np.frombuffer(ds.PixelData, np.uint8).reshape(40, 32, 3)
    assert before[2:8, 2:30].max() == 255 and after[:10].max() == 0  # header band (with "text") blanked
    assert np.array_equal(before[10:], after[10:])  # image region untouched
    assert ds.BurnedInAnnotation == "NO"
    assert "113101" in [item.CodeValue for item in ds.DeidentificationMethodCodeSequence]
    change = report.changes[0]
    assert any("blanked" in a for a in change.actions)
    assert change.boxes and all(b.why == "outside the ultrasound regions" for b in change.boxes)


def test_ultrasound_without_regions_is_checked_by_ocr_and_kept_with_a_warning(tmp_path, out):
    """No regions and no readable text (the header here is a plain bar): kept unchanged, and the sender is
    asked to look at it (OCR found nothing to blank)."""
    src = ultrasound(tmp_path / "us.dcm", regions=False)
    report = run_peer_review([tmp_path / "us.dcm"], out)
    assert report.all_safe, report.to_text()
    assert pydicom.dcmread(report.outputs[0]).PixelData == src.PixelData
    assert any("ultrasound" in w for w in report.changes[0].warnings)


def test_ultrasound_left_out_when_blanking_is_off(tmp_path, out):
    ultrasound(tmp_path / "us.dcm", regions=True)
    report = run_peer_review([tmp_path / "us.dcm"], out, PeerReviewOptions(blank_ultrasound_text=False))
    assert report.outputs == [] and len(report.left_out) == 1


def test_secondary_capture_without_text_is_kept_bit_identical_with_a_warning(tmp_path, out):
    copy_sample("SC_rgb_rle.dcm", tmp_path / "sc.dcm")
    report = run_peer_review([tmp_path / "sc.dcm"], out)
    assert report.all_safe, report.to_text()
    assert pydicom.dcmread(report.outputs[0]).PixelData == pydicom.dcmread(tmp_path / "sc.dcm").PixelData
    assert any("capture" in w for w in report.changes[0].warnings)


def test_burned_in_annotation_yes_without_legible_text_is_left_out(tmp_path, out):
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.BurnedInAnnotation = "YES"
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out)
    assert report.outputs == [] and "could not be located" in report.left_out[0].reason


def test_overlay_embedded_in_pixel_data_is_left_out(tmp_path, out):
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.add_new(0x60000010, "US", 128)
    ds.add_new(0x60000011, "US", 128)
    ds.add_new(0x60000100, "US", 16)  # Overlay Bits Allocated = Bits Allocated: inside the pixels
    ds.add_new(0x60000102, "US", 15)  # Overlay Bit Position
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out)
    assert report.outputs == [] and "overlay" in report.left_out[0].reason


def test_compressed_ultrasound_is_decoded_blanked_and_stored_uncompressed(tmp_path, out):
    """JPEG baseline ultrasound (decodable with Pillow): blanked, stored uncompressed, image area equal."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian

    ds = pydicom.dcmread(sample("SC_rgb_jpeg_dcmtk.dcm"))
    ds.Modality = "US"
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.6.1"
    region = Dataset()
    region.RegionLocationMinX0, region.RegionLocationMinY0 = 0, 20
    region.RegionLocationMaxX1, region.RegionLocationMaxY1 = int(ds.Columns) - 1, int(ds.Rows) - 1
    ds.SequenceOfUltrasoundRegions = Sequence([region])
    ds.save_as(tmp_path / "us.dcm")
    decoded = pydicom.dcmread(tmp_path / "us.dcm").pixel_array

    report = run_peer_review([tmp_path / "us.dcm"], out)
    assert report.all_safe, report.to_text()
    result = pydicom.dcmread(report.outputs[0])
    assert result.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    pixels = result.pixel_array
    assert pixels[:20].max() == 0 and decoded[:20].max() > 0
    assert np.array_equal(pixels[20:], decoded[20:])
    assert any("decoded" in a for a in report.changes[0].actions)


def test_dose_grids_and_one_bit_segmentations_are_checked_and_kept_unchanged(tmp_path, out):
    copy_sample("rtdose.dcm", tmp_path / "dose.dcm")  # 32 bits allocated, 15 frames
    copy_sample("liver_1frame.dcm", tmp_path / "seg.dcm")  # 1 bit allocated
    report = run_peer_review([tmp_path / "dose.dcm", tmp_path / "seg.dcm"], out)
    assert report.all_safe, report.to_text()
    for source, output in zip(("dose.dcm", "seg.dcm"), report.outputs):
        assert pydicom.dcmread(output).PixelData == pydicom.dcmread(tmp_path / source).PixelData
    assert report.screened_images >= 16


def test_compressed_images_without_text_keep_their_compressed_pixels_byte_for_byte(tmp_path, out):
    """RLE and JPEG 2000 (decoded by python-gdcm) are decoded only to be read; nothing to blank, nothing changes."""
    names = ("MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm")
    for name in names:
        copy_sample(name, tmp_path / name)
    report = run_peer_review([tmp_path / n for n in names], out)
    assert report.all_safe, report.to_text()
    assert report.screened_images == 3
    for name, output in zip(names, report.outputs):
        before, after = pydicom.dcmread(tmp_path / name), pydicom.dcmread(output)
        assert after.file_meta.TransferSyntaxUID == before.file_meta.TransferSyntaxUID
        assert after.PixelData == before.PixelData


def test_with_ocr_off_images_likely_to_show_text_are_left_out(tmp_path, out):
    ultrasound(tmp_path / "us.dcm", regions=True)
    copy_sample("CT_small.dcm", tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "us.dcm", tmp_path / "ct.dcm"], out, PeerReviewOptions(ocr=False))
    assert [item.label for item in report.left_out] == ["input 1"] and "OCR" in report.left_out[0].reason
    assert len(report.outputs) == 1


def test_flagged_image_whose_text_ocr_cannot_read_is_released_only_when_hand_boxes_cover_the_text(tmp_path):
    """The sender's boxes stand in for OCR only where they cover every text-like area the screen finds."""
    from tests.deid.burned_text import COVER, MISS, flagged_ct

    path, (x0, y0, x1, y1) = flagged_ct(tmp_path / "ct.dcm")
    alone = run_peer_review([path], tmp_path / "alone")
    assert "could not be located" in alone.left_out[0].reason

    missed = run_peer_review([path], tmp_path / "missed", PeerReviewOptions(extra_boxes={"input 1": (MISS,)}))
    assert missed.outputs == [] and "outside the areas blanked by hand" in missed.left_out[0].reason

    covered = run_peer_review([path], tmp_path / "covered", PeerReviewOptions(extra_boxes={"input 1": (COVER,)}))
    assert covered.all_safe, covered.to_text()
    before, after = pydicom.dcmread(path).pixel_array, pydicom.dcmread(covered.outputs[0]).pixel_array
    x, y, w, h = COVER
    assert x <= x0 and y <= y0 and x1 <= x + w and y1 <= y + h
    assert (after[y : y + h, x : x + w] == after.min()).all()
    outside = np.ones(before.shape, bool)
    outside[y : y + h, x : x + w] = False
    assert np.array_equal(before[outside], after[outside])
    assert [b.why for b in covered.changes[0].boxes] == ["sender"]


def test_options_with_boxes_replace_and_remove_one_inputs_boxes():
    options = PeerReviewOptions(keep_date_intervals=True).with_boxes("input 2", [(1, 2, 3, 4)])
    assert options.extra_boxes == {"input 2": ((1, 2, 3, 4),)} and options.keep_date_intervals
    assert options.with_boxes("input 3", [(5, 6, 7, 8)]).with_boxes("input 2", []).extra_boxes == {
        "input 3": ((5, 6, 7, 8),)
    }
