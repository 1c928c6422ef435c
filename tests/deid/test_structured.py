"""Structured objects: Key Object Selection kept with remapped references, SR text cleaned or left out,
RT structure names kept when they are TG-263 standard names."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from sodclient.deid import run_peer_review
from tests.deid.conftest import FAMILY, GIVEN, PATIENT_ID, PATIENT_NAME, assert_no_phi, sample

OTHER_FAMILY = "Brunnhofer"  # a second patient of the same send
KOS_CLASS = "1.2.840.10008.5.1.4.1.1.88.59"
BASIC_SR_CLASS = "1.2.840.10008.5.1.4.1.1.88.11"
RTSS_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"


def _code(value: str, scheme: str, meaning: str) -> Sequence:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return Sequence([item])


def _document(sop_class: str, study: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, generate_uid()
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = PATIENT_NAME, PATIENT_ID, "19610412"
    ds.StudyDate = ds.ContentDate = "20240305"
    ds.ContentTime = "101010"
    return ds


def _text_item(text: str) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "TEXT"
    item.ConceptNameCodeSequence = _code("113012", "DCM", "Key Object Description")
    item.TextValue = text
    return item


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    src = tmp_path_factory.mktemp("structured")
    study = generate_uid()
    ct = pydicom.dcmread(sample("CT_small.dcm"))
    ct.PatientName, ct.PatientID, ct.StudyInstanceUID = PATIENT_NAME, PATIENT_ID, study
    ct.save_as(src / "a_ct.dcm")
    other = pydicom.dcmread(sample("MR_small.dcm"))
    other.PatientName, other.PatientID = f"{OTHER_FAMILY}^Ottilie", "OTHER99887766"
    other.save_as(src / "b_other.dcm")

    kos = _document(KOS_CLASS, study)
    kos.Modality, kos.ValueType = "KO", "CONTAINER"
    kos.ConceptNameCodeSequence = _code("113000", "DCM", "Of Interest")
    ref = Dataset()
    ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = ct.SOPClassUID, ct.SOPInstanceUID
    series = Dataset()
    series.SeriesInstanceUID = ct.SeriesInstanceUID
    series.ReferencedSOPSequence = Sequence([ref])
    evidence = Dataset()
    evidence.StudyInstanceUID = study
    evidence.ReferencedSeriesSequence = Sequence([series])
    kos.CurrentRequestedProcedureEvidenceSequence = Sequence([evidence])
    image = Dataset()
    image.RelationshipType, image.ValueType = "CONTAINS", "IMAGE"
    image_ref = Dataset()
    image_ref.ReferencedSOPClassUID, image_ref.ReferencedSOPInstanceUID = ct.SOPClassUID, ct.SOPInstanceUID
    image.ReferencedSOPSequence = Sequence([image_ref])
    kos.ContentSequence = Sequence([image, _text_item(f"Lesion of {FAMILY}, {GIVEN}, see prior")])
    kos.save_as(src / "c_kos.dcm", enforce_file_format=True)

    sr = _document(BASIC_SR_CLASS, study)
    sr.Modality, sr.ValueType = "SR", "CONTAINER"
    sr.ConceptNameCodeSequence = _code("18748-4", "LN", "Diagnostic Imaging Report")
    person = Dataset()
    person.RelationshipType, person.ValueType = "HAS OBS CONTEXT", "PNAME"
    person.ConceptNameCodeSequence = _code("121008", "DCM", "Person Observer Name")
    person.PersonName = "Drfamous^Konstantin"
    sr.ContentSequence = Sequence([person, _text_item(f"Findings for {FAMILY.upper()} (ID {PATIENT_ID}): no change.")])
    sr.save_as(src / "d_sr.dcm", enforce_file_format=True)

    leaking = _document(BASIC_SR_CLASS, study)
    leaking.Modality, leaking.ValueType = "SR", "CONTAINER"
    leaking.ConceptNameCodeSequence = _code("18748-4", "LN", "Diagnostic Imaging Report")
    leaking.ContentSequence = Sequence([_text_item(f"Compare with {OTHER_FAMILY}'s study")])
    leaking.save_as(src / "e_sr_other.dcm", enforce_file_format=True)

    rt = _document(RTSS_CLASS, study)
    rt.Modality, rt.StructureSetLabel = "RTSTRUCT", "PLAN1"
    names = ["GTV", "Heart", "Lung_L", FAMILY, f"Dr {GIVEN} boost"]
    rois, observations = [], []
    for number, name in enumerate(names, 1):
        roi = Dataset()
        roi.ROINumber, roi.ROIName, roi.ROIGenerationAlgorithm = number, name, "MANUAL"
        roi.ReferencedFrameOfReferenceUID = ct.FrameOfReferenceUID
        rois.append(roi)
        obs = Dataset()
        obs.ObservationNumber, obs.ReferencedROINumber, obs.ROIObservationLabel = number, number, name[:16]
        obs.RTROIInterpretedType = "ORGAN"
        observations.append(obs)
    rt.StructureSetROISequence = Sequence(rois)
    rt.RTROIObservationsSequence = Sequence(observations)
    rt.save_as(src / "f_rtss.dcm", enforce_file_format=True)

    out = tmp_path_factory.mktemp("structured-out") / "out"
    report = run_peer_review([src], out)
    by_label = {c.label: c for c in report.changes}
    return ct, report, by_label, out


def _output(by_label, n):
    return pydicom.dcmread(by_label[f"input {n}"].output)


def test_key_object_selection_is_kept_with_references_to_the_renamed_image(run):
    _ct, report, by_label, _out = run
    image = _output(by_label, 1)
    kos = _output(by_label, 3)
    evidence = kos.CurrentRequestedProcedureEvidenceSequence[0]
    assert evidence.StudyInstanceUID == image.StudyInstanceUID
    assert evidence.ReferencedSeriesSequence[0].SeriesInstanceUID == image.SeriesInstanceUID
    referenced = evidence.ReferencedSeriesSequence[0].ReferencedSOPSequence[0]
    assert referenced.ReferencedSOPInstanceUID == image.SOPInstanceUID
    assert kos.ContentSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID == image.SOPInstanceUID
    assert "***" in kos.ContentSequence[1].TextValue and FAMILY not in kos.ContentSequence[1].TextValue
    assert any("key object selection kept" in a for a in by_label["input 3"].actions)


def test_sr_text_is_cleaned_and_kept_with_a_warning(run):
    _ct, _report, by_label, _out = run
    sr = _output(by_label, 4)
    text = sr.ContentSequence[1].TextValue
    assert "no change" in text and FAMILY.lower() not in text.lower() and PATIENT_ID not in text
    assert "Konstantin" not in str(sr.ContentSequence[0].PersonName)
    assert by_label["input 4"].warnings


def test_sr_text_naming_another_patient_of_the_send_is_left_out_with_the_reason(run):
    _ct, report, by_label, _out = run
    assert "input 5" not in by_label
    reason = next(item.reason for item in report.left_out if item.label == "input 5")
    assert "report text" in reason and OTHER_FAMILY.lower() not in reason.lower()


def test_rt_roi_names_kept_when_tg263_else_roi_n(run):
    _ct, _report, by_label, _out = run
    rt = _output(by_label, 6)
    assert [r.ROIName for r in rt.StructureSetROISequence] == ["GTV", "Heart", "Lung_L", "ROI 4", "ROI 5"]
    assert all("ROIObservationLabel" not in o for o in rt.RTROIObservationsSequence)
    assert any("TG-263" in a for a in by_label["input 6"].actions)


def test_nothing_of_either_patient_survives(run):
    _ct, _report, _by_label, out = run
    assert_no_phi(out, [FAMILY, GIVEN, PATIENT_ID, "Konstantin", "Drfamous", OTHER_FAMILY, "Ottilie", "OTHER99887766"])
