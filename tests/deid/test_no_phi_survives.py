"""A mixed send with synthetic PHI everywhere: nothing identifying may survive in any output byte or name."""

from __future__ import annotations

import pydicom

from sodclient.deid import PeerReviewOptions, run_peer_review
from tests.deid.conftest import FAMILY, PHI, assert_no_phi


def test_mixed_send_leaks_nothing(planted_set, out):
    report = run_peer_review([planted_set["dir"]], out)

    # The text PDF (a report) is left out and says why; everything else was made safe.
    reasons = [item.reason for item in report.left_out]
    assert len(report.left_out) == 1 and "text" in reasons[0]
    assert report.left_out[0].source.name.endswith("_report.pdf")
    assert not report.all_safe
    assert len(report.outputs) == report.inputs - 1 == 9
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in report.outputs)

    assert_no_phi(out)
    # The report shown to the sender (and anything logged from it) is PHI-free too.
    text = report.to_text()
    for value in PHI:
        assert value.lower() not in text.lower()
    assert "input 10" in text


def test_dicom_outputs_are_marked_and_cleaned_at_every_depth(planted_set, out):
    report = run_peer_review([planted_set["dir"]], out)
    dicoms = [p for p in report.outputs if p.suffix == ".dcm"]
    assert len(dicoms) == 5
    for path in dicoms:
        ds = pydicom.dcmread(path)
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.DeidentificationMethod
        codes = [item.CodeValue for item in ds.DeidentificationMethodCodeSequence]
        assert codes == ["113100"]
        assert ds.LongitudinalTemporalInformationModified == "REMOVED"
        assert ds.PatientName.family_name == "PEER REVIEW" and ds.PatientID.startswith("PR-")
        assert "PatientBirthDate" not in ds or not ds.PatientBirthDate
        assert "OtherPatientIDsSequence" not in ds and "IconImageSequence" not in ds
        assert ds.preamble == b"\x00" * 128
        # file meta: only the standard elements remain
        assert set(ds.file_meta.keys()) <= {
            0x00020000,
            0x00020001,
            0x00020002,
            0x00020003,
            0x00020010,
            0x00020012,
            0x00020013,
        }

        def walk(dataset, depth=0):
            for elem in dataset:
                group = elem.tag.group
                assert group % 2 == 0, f"private tag {elem.tag} survived at depth {depth}"
                assert (group & 0xFF00) not in (0x5000, 0x6000), f"curve/overlay {elem.tag} survived"
                assert elem.VR != "UN", f"unknown-VR {elem.tag} survived"
                if elem.VR == "SQ":
                    for item in elem.value:
                        walk(item, depth + 1)

        walk(ds)
    # the same patient gets the same pseudonym in every file
    assert len({str(pydicom.dcmread(p).PatientID) for p in dicoms}) == 1


def test_patient_name_in_file_name_only(tmp_path, out):
    """PHI only in the path: outputs are named neutrally, never after the originals."""
    from tests.deid.conftest import copy_sample

    src = tmp_path / f"{FAMILY}_study"
    src.mkdir()
    copy_sample("CT_small.dcm", src / f"{FAMILY}_Hannelore_ct.dcm")
    report = run_peer_review([src], out, PeerReviewOptions(extra_identifiers=(FAMILY,)))
    assert report.all_safe
    assert [p.name for p in report.outputs] == ["00001.dcm"]
    assert_no_phi(out, [FAMILY])


def test_the_planted_inputs_really_carry_phi(planted_set):
    """Guard for the tests above: every planted value is present in the inputs, so they can fail."""
    blob = b"".join(p.read_bytes().lower() for p in planted_set["dir"].iterdir())
    names = " ".join(p.name.lower() for p in planted_set["dir"].iterdir())
    for value in PHI:
        v = value.lower()
        assert v.encode() in blob or v.encode("utf-16-le") in blob or v in names, value
    # and the checker itself catches them
    import pytest

    with pytest.raises(AssertionError):
        assert_no_phi(planted_set["dir"])
