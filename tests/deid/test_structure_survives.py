"""De-identification must keep the study usable: one study stays one study, references resolve, pixels intact."""

from __future__ import annotations

import datetime as dt

import pydicom

from sodclient.deid import PeerReviewOptions, run_peer_review


def test_uids_replaced_consistently_and_references_resolve(planted_set, out):
    report = run_peer_review([planted_set["dir"]], out)
    dicoms = [pydicom.dcmread(p) for p in sorted(report.outputs) if p.suffix == ".dcm"]
    cts = [ds for ds in dicoms if ds.Modality == "CT"]
    assert len(cts) == 3
    originals = set(planted_set["uids"]) | {planted_set["study"]}
    for ds in cts:
        assert ds.SOPInstanceUID not in originals and ds.SOPInstanceUID.startswith("2.25.")
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert len(ds.SOPInstanceUID) <= 64
    assert len({ds.StudyInstanceUID for ds in cts}) == 1  # one study stays one study
    assert len({ds.SeriesInstanceUID for ds in cts}) == 1
    assert len({ds.FrameOfReferenceUID for ds in cts}) == 1
    assert len({ds.SOPInstanceUID for ds in cts}) == 3  # instances stay distinct
    assert cts[0].StudyInstanceUID != planted_set["study"]
    # the slice with a Source Image Sequence still points at a slice that is in the send
    referencing = [ds for ds in cts if "SourceImageSequence" in ds]
    assert len(referencing) == 1
    target = referencing[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    assert target in {ds.SOPInstanceUID for ds in cts}
    # SOP classes are public constants and stay
    assert {ds.SOPClassUID for ds in cts} == {"1.2.840.10008.5.1.4.1.1.2"}
    # no original UID anywhere in the bytes
    for path in report.outputs:
        data = path.read_bytes()
        for uid in originals:
            assert uid.encode() not in data


def test_pixel_data_bit_identical(planted_set, out):
    report = run_peer_review([planted_set["dir"]], out)
    originals = {pydicom.dcmread(p).SOPInstanceUID: pydicom.dcmread(p).PixelData for p in planted_set["cts"]}
    outputs = [pydicom.dcmread(p) for p in report.outputs if p.suffix == ".dcm"]
    ct_pixels = [ds.PixelData for ds in outputs if ds.Modality == "CT"]
    assert sorted(ct_pixels) == sorted(originals.values())
    mr = [ds for ds in outputs if ds.Modality == "MR"][0]
    from tests.deid.conftest import sample

    assert mr.PixelData == pydicom.dcmread(sample("MR_small.dcm")).PixelData


def test_two_runs_are_unlinkable(planted_set, tmp_path):
    """A fresh secret per send: the same study gets different UIDs and pseudonyms in two sends."""
    a = run_peer_review([planted_set["cts"][0]], tmp_path / "a")
    b = run_peer_review([planted_set["cts"][0]], tmp_path / "b")
    da, db = pydicom.dcmread(a.outputs[0]), pydicom.dcmread(b.outputs[0])
    assert da.StudyInstanceUID != db.StudyInstanceUID
    assert da.PatientID != db.PatientID


def test_keep_date_intervals_shifts_by_one_offset(planted_set, tmp_path, out):
    import shutil

    # a second study of the same patient, 10 days later
    later = tmp_path / "later.dcm"
    shutil.copy(planted_set["cts"][1], later)
    ds = pydicom.dcmread(later)
    ds.StudyInstanceUID = pydicom.uid.generate_uid()
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = "20240315"
    ds.AcquisitionDateTime = "20240315101500.000000"
    ds.save_as(later)
    report = run_peer_review([planted_set["cts"][0], later], out, PeerReviewOptions(keep_date_intervals=True))
    first, second = (pydicom.dcmread(p) for p in report.outputs)
    d1 = dt.datetime.strptime(first.StudyDate, "%Y%m%d")
    d2 = dt.datetime.strptime(second.StudyDate, "%Y%m%d")
    assert (d2 - d1).days == 10  # the interval is kept
    assert first.StudyDate != "20240305"  # but the date moved
    assert 365 <= (dt.datetime(2024, 3, 5) - d1).days <= 365 + 3650
    assert second.AcquisitionDateTime.endswith("101500.000000")
    assert second.AcquisitionDateTime[:8] == second.StudyDate
    assert not first.get("PatientBirthDate")  # birth date still removed
    codes = [item.CodeValue for item in first.DeidentificationMethodCodeSequence]
    assert codes == ["113100", "113107"]
    assert first.LongitudinalTemporalInformationModified == "MODIFIED"
    assert any("shifted" in note for note in report.notes)


def test_dates_removed_by_default(planted_set, out):
    report = run_peer_review([planted_set["cts"][0]], out)
    ds = pydicom.dcmread(report.outputs[0])
    assert not ds.StudyDate and "SeriesDate" not in ds and not ds.get("ContentDate")
    assert b"20240305" not in report.outputs[0].read_bytes()


def test_workers_give_the_same_structure(planted_set, out):
    report = run_peer_review([planted_set["dir"]], out, PeerReviewOptions(workers=2))
    cts = [pydicom.dcmread(p) for p in report.outputs if p.suffix == ".dcm"]
    cts = [ds for ds in cts if ds.Modality == "CT"]
    assert len({ds.StudyInstanceUID for ds in cts}) == 1 and len(cts) == 3
    assert len(report.outputs) == 9


def test_class_uids_and_coding_schemes_are_kept(tmp_path, out):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    from tests.deid.conftest import sample

    ds = pydicom.dcmread(sample("CT_small.dcm"))
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "T-D0050", "SRT", "Tissue"
    code.CodingSchemeUID = "2.16.840.1.113883.6.96"
    ds.AnatomicRegionSequence = Sequence([code])
    ds.ReferencedInstanceSequence = Sequence([Dataset()])
    ds.ReferencedInstanceSequence[0].ReferencedSOPClassUID = "1.3.12.2.1107.5.9.1"  # a private class
    ds.ReferencedInstanceSequence[0].ReferencedSOPInstanceUID = "1.2.3.4.5.6.7"
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out)
    result = pydicom.dcmread(report.outputs[0])
    assert result.AnatomicRegionSequence[0].CodingSchemeUID == "2.16.840.1.113883.6.96"
    item = result.ReferencedInstanceSequence[0]
    assert item.ReferencedSOPClassUID == "1.3.12.2.1107.5.9.1"
    assert item.ReferencedSOPInstanceUID != "1.2.3.4.5.6.7" and item.ReferencedSOPInstanceUID.startswith("2.25.")


def test_keep_patient_characteristics(planted_set, out):
    from tests.deid.conftest import BIRTH_DATE

    src = pydicom.dcmread(planted_set["cts"][0])
    src.PatientSex, src.PatientWeight = "F", "61.5"
    del src.PatientAge
    src.save_as(planted_set["cts"][0])
    report = run_peer_review([planted_set["cts"][0]], out, PeerReviewOptions(keep_patient_characteristics=True))
    ds = pydicom.dcmread(report.outputs[0])
    assert ds.PatientSex == "F" and float(ds.PatientWeight) == 61.5
    assert ds.PatientAge == "062Y"  # born 1961-04-12, study 2024-03-05
    assert not ds.get("PatientBirthDate") and BIRTH_DATE.encode() not in report.outputs[0].read_bytes()
    assert [c.CodeValue for c in ds.DeidentificationMethodCodeSequence] == ["113100", "113108"]
    # and by default they go
    default = run_peer_review([planted_set["cts"][0]], out.parent / "out2")
    ds = pydicom.dcmread(default.outputs[0])
    assert not ds.get("PatientSex") and "PatientWeight" not in ds and "PatientAge" not in ds


def test_age_over_89_is_capped():
    from pydicom.dataset import Dataset

    from sodclient.deid.dicom_clean import age_at_exam

    ds = Dataset()
    ds.PatientBirthDate, ds.StudyDate = "19200101", "20240305"
    assert age_at_exam(ds) == "090Y"
    ds.PatientBirthDate = "20240101"
    assert age_at_exam(ds) == "002M"
    ds.PatientBirthDate = "20240301"
    assert age_at_exam(ds) == "004D"
