"""A surname that is also a vendor, body part or kernel does not cost the image; ages over 89 become 090Y."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from sodclient.deid import PeerReviewOptions, run_peer_review
from sodclient.deid.dicom_clean import cap_age
from sodclient.deid.vocabulary import BODY_PART, KERNEL, MANUFACTURER, is_tg263, judged_by_vocabulary
from tests.deid.conftest import sample


@pytest.mark.parametrize(
    "surname, keyword, value",
    [
        ("Philips", "Manufacturer", "Philips Medical Systems"),
        ("Head", "BodyPartExamined", "HEAD"),
        ("Lung", "ConvolutionKernel", "LUNG"),
    ],
)
def test_surname_equal_to_a_vocabulary_term_keeps_the_image(tmp_path, out, surname, keyword, value):
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.PatientName = f"{surname}^Marguerite"
    ds.PatientID = "VOC7781234"
    setattr(ds, keyword, value)
    ds.ImageComments = f"{surname} Marguerite"  # removed by the profile anyway
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out)
    assert report.all_safe, report.to_text()
    result = pydicom.dcmread(report.outputs[0])
    assert result.get(keyword) == value and result.PixelData == ds.PixelData
    assert b"marguerite" not in report.outputs[0].read_bytes().lower()
    assert any("vocabulary" in a for a in report.changes[0].actions)


def test_a_name_that_is_not_a_vocabulary_term_is_removed_from_a_vocabulary_attribute(tmp_path, out):
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.PatientName = "Headington^Marguerite"
    ds.BodyPartExamined = "HEADINGTON"
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out)
    assert report.all_safe and "BodyPartExamined" not in pydicom.dcmread(report.outputs[0])


def test_vocabulary_judgements():
    assert judged_by_vocabulary(MANUFACTURER, "GE MEDICAL SYSTEMS")
    assert not judged_by_vocabulary(MANUFACTURER, "Quistorp Imaging")
    assert judged_by_vocabulary(BODY_PART, "CHEST") and not judged_by_vocabulary(BODY_PART, "SMITH")
    assert judged_by_vocabulary(KERNEL, "B30f") and judged_by_vocabulary(KERNEL, "STANDARD")
    assert is_tg263("Parotid_L") and is_tg263("PTV_7000") and is_tg263("GTVp") and not is_tg263("Quistorp")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("095Y", "090Y"),
        ("090Y", "090Y"),
        ("089Y", None),
        ("999M", None),
        ("095 Y", "090Y"),
        ("040Y", None),
        ("033000D", None),
        ("zzz", None),
    ],
)
def test_cap_age(value, expected):
    assert cap_age(value) == expected


def test_patient_age_over_89_becomes_090y_whatever_its_source(tmp_path, out):
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.PatientAge = "097Y"
    item = Dataset()
    item.PatientAge = "099Y"  # an age inside a sequence (e.g. a request item)
    item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.add_new(0x00400275, "SQ", Sequence([item]))  # Request Attributes Sequence
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out, PeerReviewOptions(keep_patient_characteristics=True))
    result = pydicom.dcmread(report.outputs[0])
    assert result.PatientAge == "090Y"
    nested = result.get(0x00400275)
    assert nested is None or all(i.get("PatientAge") in (None, "090Y") for i in nested.value)
    assert b"097Y" not in report.outputs[0].read_bytes() and b"099Y" not in report.outputs[0].read_bytes()


def test_computed_age_is_capped_too(tmp_path, out):
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.PatientBirthDate = "19200101"
    ds.StudyDate = "20240101"
    if "PatientAge" in ds:
        del ds.PatientAge
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out, PeerReviewOptions(keep_patient_characteristics=True))
    assert pydicom.dcmread(report.outputs[0]).PatientAge == "090Y"
