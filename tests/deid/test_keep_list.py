"""Keep-list: what Table E.1-1 does not name is removed unless it is known to carry no identity."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from sodclient.deid import PeerReviewOptions, generate_keep_list, keep_list, run_peer_review
from sodclient.deid.keep_list import KEEP
from tests.deid.conftest import FAMILY, GIVEN, PATIENT_NAME, sample

SECRET = "Quistorpia"  # planted where the old remove-list did not look
BIRTH_ERA = "昭和36年4月12日"


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    """One CT carrying text and dates in attributes Table E.1-1 does not list, cleaned once."""
    tmp = tmp_path_factory.mktemp("keep")
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = PATIENT_NAME
    ds.PerformedProcedureTypeDescription = f"done by {SECRET}"
    ds.PatientBirthDateInAlternativeCalendar = BIRTH_ERA
    ds.StudyUpdateDateTime = "20240306101010"
    ds.SecondaryReviewDate = "20240307"
    ds.ContentDescription = f"GSPS for {SECRET}"
    layer = Dataset()
    layer.GraphicLayer = "LAYER1"
    layer.GraphicLayerOrder = 1
    layer.GraphicLayerDescription = f"{SECRET} notes"
    ds.GraphicLayerSequence = Sequence([layer])
    beam = Dataset()
    beam.BeamNumber = 1
    beam.BeamName = f"{SECRET} boost"
    ds.BeamSequence = Sequence([beam])
    setup = Dataset()
    setup.PatientSetupNumber = 1
    setup.PatientSetupLabel = f"{SECRET} setup"
    ds.PatientSetupSequence = Sequence([setup])
    ds.add_new(0x003A0020, "SH", SECRET[:10])  # Multiplex Group Label (ECG)
    ds.add_new(0x00181240, "IS", "3")  # a retired tag (Upper/Lower Pixel Values): removed
    ds.add_new(0x00080040, "US", 1)  # retired Data Set Type
    ds.add_new(0x00990010, "LO", "ACME 1.0")  # private
    ds.add_new(0x00991001, "LO", SECRET)
    ds.add_new(0x44440010, "LO", SECRET)  # unknown even-group tag, given a text VR
    ds.add_new(0x00190010, "LO", "SIEMENS MR HEADER")  # a safe private slot ...
    ds.add_new(0x0019100C, "IS", "1000")  # ... holding a number: kept
    ds.add_new(0x0019100E, "UN", b"Quistorp")  # ... holding text where doubles belong: removed
    ds.save_as(tmp / "ct.dcm")
    out = tmp / "out"
    report = run_peer_review([tmp / "ct.dcm"], out)
    return ds, report, pydicom.dcmread(report.outputs[0])


def test_attributes_missing_from_table_e1_1_are_removed(cleaned):
    _src, report, result = cleaned
    for keyword in (
        "PerformedProcedureTypeDescription",
        "PatientBirthDateInAlternativeCalendar",
        "StudyUpdateDateTime",
        "SecondaryReviewDate",
        "ContentDescription",
    ):
        assert keyword not in result, keyword
    assert "GraphicLayerDescription" not in result.GraphicLayerSequence[0]
    assert result.GraphicLayerSequence[0].GraphicLayer == "LAYER1"  # the coded part stays
    assert "BeamName" not in result.BeamSequence[0] and result.BeamSequence[0].BeamNumber == 1
    assert "PatientSetupLabel" not in result.PatientSetupSequence[0]
    for tag in (0x003A0020, 0x00181240, 0x00080040, 0x44440010, 0x00991001):
        assert tag not in result, hex(tag)
    data = report.outputs[0].read_bytes()
    assert SECRET.lower().encode() not in data.lower() and BIRTH_ERA.encode() not in data
    assert any("keep-list" in a for a in report.changes[0].actions)


def test_safe_private_slot_is_kept_only_when_its_bytes_are_numbers(cleaned):
    _src, _report, result = cleaned
    assert result[0x0019100C].value in ("1000", 1000)
    assert 0x0019100E not in result


def test_geometry_and_acquisition_values_stay_exactly(cleaned):
    src, _report, result = cleaned
    for keyword in (
        "Rows",
        "Columns",
        "PixelSpacing",
        "ImagePositionPatient",
        "ImageOrientationPatient",
        "SliceThickness",
        "KVP",
        "RescaleIntercept",
        "RescaleSlope",
        "BitsStored",
        "Modality",
        "ImageType",
        "Manufacturer",
    ):
        assert result.get(keyword) == src.get(keyword), keyword
    assert result.PixelData == src.PixelData


def test_keep_list_is_generated_from_the_dictionary_with_its_source_recorded():
    assert generate_keep_list.generate() == open(keep_list.__file__, encoding="utf-8").read()
    assert "pydicom" in keep_list.SOURCE and "PS3.6" in keep_list.SOURCE
    assert 0x00280010 in KEEP and 0x7FE00010 in KEEP  # Rows, Pixel Data
    assert 0x00100010 not in KEEP and 0x00081030 not in KEEP  # Patient's Name, Study Description


def test_clean_descriptors_option_keeps_clean_descriptions_and_removes_naming_ones(tmp_path, out):
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.PatientName = PATIENT_NAME
    ds.StudyDescription = "CT THORAX WITH CONTRAST"
    ds.SeriesDescription = f"lung window {FAMILY}"
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out, PeerReviewOptions(clean_descriptors=True))
    result = pydicom.dcmread(report.outputs[0])
    assert result.StudyDescription == "CT THORAX WITH CONTRAST"
    assert "SeriesDescription" not in result
    assert "113105" in [c.CodeValue for c in result.DeidentificationMethodCodeSequence]
    assert GIVEN.lower().encode() not in report.outputs[0].read_bytes().lower()


def test_lut_and_segment_attributes_viewers_need_are_kept(tmp_path, out):
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.PatientName = PATIENT_NAME
    lut = Dataset()
    lut.add_new(0x00283002, "US", [4, 0, 16])  # LUT Descriptor
    lut.ModalityLUTType = "HU"
    lut.add_new(0x00283006, "OW", b"\x00\x00\x01\x00\x02\x00\x03\x00")  # LUT Data
    ds.ModalityLUTSequence = Sequence([lut])
    segments = []
    for number, label in enumerate(("Liver", FAMILY), 1):
        item = Dataset()
        item.SegmentNumber, item.SegmentLabel, item.SegmentAlgorithmType = number, label, "MANUAL"
        segments.append(item)
    ds.SegmentSequence = Sequence(segments)
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out)
    result = pydicom.dcmread(report.outputs[0])
    assert result.ModalityLUTSequence[0].ModalityLUTType == "HU"
    assert list(result.ModalityLUTSequence[0].LUTDescriptor) == [4, 0, 16]
    assert [s.SegmentLabel for s in result.SegmentSequence] == ["Liver", "Segment 2"]
