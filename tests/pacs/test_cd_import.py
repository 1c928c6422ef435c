"""A patient's CD: a real DICOMDIR written by pydicom's FileSet, listed and partly imported; a CD without one."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid

from sodclient.errors import InputError
from sodclient.services.cd_import import import_disc, read_disc
from tests.library.dicom_factory import make_dicom


def _burn_cd(tmp_path):
    """Two patients, three series, written as a standard File-set (DICOMDIR + IDs as file names)."""
    src = tmp_path / "src"
    study_a, study_b = generate_uid(), generate_uid()
    files = []
    for series, study, pid, name, n in (
        (generate_uid(), study_a, "CD-A", "Alpha^Ann", 3),
        (generate_uid(), study_a, "CD-A", "Alpha^Ann", 2),
        (generate_uid(), study_b, "CD-B", "Beta^Bob", 1),
    ):
        for i in range(1, n + 1):
            files.append(
                make_dicom(
                    src / f"{series[-6:]}-{i}.dcm",
                    patient_id=pid,
                    patient_name=name,
                    study_uid=study,
                    series_uid=series,
                    instance=i,
                )
            )
    fs = FileSet()
    for f in files:  # what the DICOMDIR's STUDY and SERIES records require (PS3.3 F.5)
        ds = pydicom.dcmread(f)
        ds.StudyTime, ds.StudyID, ds.AccessionNumber = "120000", "1", ""
        ds.SeriesNumber = int(ds.SeriesInstanceUID[-3:])
        ds.save_as(f, enforce_file_format=True)
        fs.add(f)
    cd = tmp_path / "cdrom"
    fs.write(cd)
    return cd, files


def test_dicomdir_lists_series_and_imports_only_the_chosen(profile, tmp_path):
    cd, _ = _burn_cd(tmp_path)
    assert (cd / "DICOMDIR").is_file()
    contents = read_disc(profile, cd)
    assert contents.dicomdir == cd / "DICOMDIR" and contents.skipped == 0
    assert sorted((s.patient_name, s.count) for s in contents.series) == [
        ("Alpha Ann", 2),
        ("Alpha Ann", 3),
        ("Beta Bob", 1),
    ]
    chosen = [s for s in contents.series if s.count == 3]
    result = import_disc(profile, contents, chosen)
    assert len(result.documents) == 3
    lib = profile.library()
    assert [p.patient_key for p in lib.patients()] == ["CD-A"]
    assert [(s.count, s.modality) for s in lib.series()] == [(3, "CT")]
    wanted = {pydicom.dcmread(f).SOPInstanceUID for f in chosen[0].files}
    assert {d.sop_instance_uid for d in lib.documents()} == wanted
    audit = [r for r in profile.audit.read() if r["event"] == "import-disc"][-1]["fields"]
    assert audit == {"series": 1, "documents": 3, "duplicates": 0, "dicomdir": True}


def test_dicomdir_found_from_the_drive_root_and_a_missing_file_is_skipped(profile, tmp_path):
    _burn_cd(tmp_path)
    drive = tmp_path / "cdrom"
    listed = read_disc(profile, drive / "DICOMDIR")
    victim = listed.series[0].files[0]
    victim.unlink()
    again = read_disc(profile, drive)
    assert again.skipped == 1 and len(again.files) == len(listed.files) - 1


def test_cd_without_dicomdir_is_read_from_the_headers(profile, tmp_path):
    cd, _ = _burn_cd(tmp_path)
    (cd / "DICOMDIR").unlink()
    (cd / "README.TXT").write_text("Viewer for Windows")
    contents = read_disc(profile, cd)
    assert contents.dicomdir is None and contents.skipped == 1 and len(contents.series) == 3
    result = import_disc(profile, contents, [])
    assert len(result.documents) == 6 and profile.library().counts() == (2, 2, 6)


def test_damaged_dicomdir_and_empty_folder_are_refused(profile, tmp_path):
    cd, _ = _burn_cd(tmp_path)
    (cd / "DICOMDIR").write_bytes(b"\0" * 128 + b"DICM" + b"garbage" * 10)
    with pytest.raises(InputError, match="DICOMDIR on this disc cannot be read"):
        read_disc(profile, cd)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="No DICOM images"):
        read_disc(profile, tmp_path / "empty")


def test_import_folder_of_a_disc_skips_its_dicomdir(profile, tmp_path):
    """Import Folder on a disc copy: the images are filed by their tags, the DICOMDIR index is not a document."""
    cd, files = _burn_cd(tmp_path)
    result = profile.library().import_paths([cd])
    assert len(result.documents) == len(files) == 6
    assert all(d.sop_instance_uid for d in result.documents)
