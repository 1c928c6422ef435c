"""The library files DICOM by tags, attaches other documents, dedupes, and imports all-or-nothing."""

from __future__ import annotations

import pytest
from PIL import Image

from sodclient.library import LibraryError
from sodclient.library.imaging import load_dicom_frame, thumbnail
from sodclient.progress import CancelToken
from sodformat.errors import CancelledError
from tests.library.dicom_factory import make_dicom, make_study
from tests.profiles import current


def _managed_files(lib):
    return sorted(p for p in lib.files_dir.rglob("*") if p.is_file())


def test_dicom_is_filed_by_patient_study_series(tmp_path):
    lib = current().library()
    make_study(tmp_path / "in" / "a", n=3, patient_id="P1", patient_name="Doe^Jane")
    make_study(tmp_path / "in" / "b", n=2, patient_id="P1", patient_name="Doe^Jane", study_description="MR Head")
    make_study(tmp_path / "in" / "c", n=1, patient_id="P2", patient_name="Roe^Richard")
    result = lib.import_paths([tmp_path / "in"])
    assert len(result.documents) == 6 and result.patients_created == 2 and result.cases_created == 3
    names = {p.name for p in lib.patients()}
    assert names == {"Doe Jane", "Roe Richard"}
    jane = next(p for p in lib.patients() if p.name == "Doe Jane")
    assert {c.description for c in lib.cases(jane.id)} == {"CT Chest", "MR Head"}
    docs = lib.documents(patient_id=jane.id)
    assert len(docs) == 5 and all(d.is_dicom and d.modality == "CT" for d in docs)
    assert [d.instance_number for d in lib.documents(case_id=docs[0].case_id)] == [1, 2, 3]


def test_managed_file_names_carry_no_phi(tmp_path):
    lib = current().library()
    src = make_dicom(tmp_path / "Doe_Jane_CT.dcm", patient_name="Doe^Jane")
    lib.import_paths([src])
    files = _managed_files(lib)
    assert len(files) == 1
    doc = lib.documents()[0]
    assert files[0] == doc.path and files[0].name == doc.sha256
    assert "doe" not in str(files[0].relative_to(lib.root)).lower()
    assert doc.title == "Doe_Jane_CT.dcm"  # the title stays in the database for display


def test_other_documents_need_a_case_then_attach_to_it(tmp_path):
    lib = current().library()
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(LibraryError, match="Choose a patient and case"):
        lib.import_paths([pdf])
    assert lib.counts() == (0, 0, 0) and _managed_files(lib) == []
    patient = lib.create_patient("Doe Jane")
    case = lib.create_case(patient.id, "Referral")
    result = lib.import_paths([pdf], case_id=case.id)
    assert result.documents[0].media_type == "application/pdf"
    assert lib.documents(case_id=case.id)[0].title == "report.pdf"


def test_same_file_twice_is_stored_once(tmp_path):
    lib = current().library()
    src = make_dicom(tmp_path / "a.dcm")
    lib.import_paths([src])
    again = lib.import_paths([src])
    assert again.duplicates == 1 and len(again.documents) == 0
    assert len(lib.documents()) == 1 and len(_managed_files(lib)) == 1


def test_failure_midway_leaves_nothing(tmp_path):
    lib = current().library()
    make_study(tmp_path / "in", n=2)
    (tmp_path / "in" / "notes.txt").write_text("free text")  # not DICOM and no case: refused
    with pytest.raises(LibraryError):
        lib.import_paths([tmp_path / "in"])
    assert lib.counts() == (0, 0, 0)
    assert _managed_files(lib) == []


def test_cancel_leaves_nothing(tmp_path):
    lib = current().library()
    make_study(tmp_path / "in", n=3)
    token = CancelToken()
    seen = []

    def progress(report):
        seen.append(report)
        token.cancel()

    with pytest.raises(CancelledError):
        lib.import_paths([tmp_path / "in"], progress=progress, cancel=token)
    assert lib.counts() == (0, 0, 0) and _managed_files(lib) == []


def test_unfiled_case_for_received_documents(tmp_path):
    lib = current().library()
    (tmp_path / "letter.txt").write_text("hello")
    result = lib.import_paths([tmp_path / "letter.txt"], unfiled_case="Received 2026-11-22")
    case = lib.case(result.case_ids[0])
    assert case.description == "Received 2026-11-22"
    assert lib.patient(case.patient_id).name == "Unfiled"


def test_remove_documents_deletes_unreferenced_files(tmp_path):
    lib = current().library()
    lib.import_paths(make_study(tmp_path / "in", n=2))
    docs = lib.documents()
    lib.remove_documents([docs[0].id])
    assert not docs[0].path.exists() and docs[1].path.exists()


def test_stage_hides_titles_for_peer_review(tmp_path):
    lib = current().library()
    lib.import_paths([make_dicom(tmp_path / "Doe_Jane.dcm")])
    docs = lib.documents()
    staged = lib.stage(docs, tmp_path / "stage", keep_titles=False)
    assert [p.name for p in staged] == ["doc-0001.dcm"]
    assert staged[0].read_bytes() == docs[0].path.read_bytes()
    kept = lib.stage(docs, tmp_path / "stage2", keep_titles=True)
    assert [p.name for p in kept] == ["Doe_Jane.dcm"]


def test_window_level_and_thumbnails(tmp_path):
    lib = current().library()
    lib.import_paths([make_dicom(tmp_path / "a.dcm", size=64)])
    doc = lib.documents()[0]
    frame = load_dicom_frame(doc.path)
    assert (frame.center, frame.width) == (40, 400)
    narrow, wide = frame.render(40, 10), frame.render(40, 4000)
    assert narrow.getextrema() == (0, 255) and wide.getextrema() != narrow.getextrema()
    thumb = thumbnail(doc.path, doc.media_type, lib.thumbs_dir, doc.sha256)
    assert thumb and Image.open(thumb).size == (64, 64)
    assert thumb.name == f"{doc.sha256}.png"


def test_move_import_renames_into_the_store_and_rolls_back(tmp_path):
    lib = current().library()
    files = make_study(tmp_path / "unpacked", n=2)
    (tmp_path / "unpacked" / "x.txt").write_text("no case for me")
    with pytest.raises(LibraryError):
        lib.import_paths([tmp_path / "unpacked"], move=True)
    assert lib.counts() == (0, 0, 0) and _managed_files(lib) == []
    files = make_study(tmp_path / "unpacked2", n=2)
    result = lib.import_paths(files, move=True)
    assert len(result.documents) == 2 and not any(f.exists() for f in files)
    assert all(d.path.exists() and (d.path.stat().st_mode & 0o777) == 0o600 for d in result.documents)
