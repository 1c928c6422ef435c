"""Schema 4: the series rows the study browser reads, kept right by imports, removals and the migration."""

from __future__ import annotations

import sqlite3

from sodclient.library import Library
from sodclient.library.schema import MIGRATIONS
from tests.library.dicom_factory import make_study


def test_import_and_removal_keep_series_counts(tmp_path):
    lib = Library(tmp_path / "lib")
    files = make_study(tmp_path / "a", n=5)
    lib.import_paths([tmp_path / "a"])
    lib.import_paths([tmp_path / "a"])  # duplicates add nothing
    [s] = lib.series()
    assert (s.count, s.size, s.modality, s.description) == (5, sum(f.stat().st_size for f in files), "CT", "Axial")
    assert lib.middle_document(s.id).instance_number == 3
    assert [d.instance_number for d in lib.series_documents(s.id)] == [1, 2, 3, 4, 5]
    assert all(d.sop_instance_uid for d in lib.series_documents(s.id))
    lib.remove_documents([d.id for d in lib.series_documents(s.id)[:2]])
    [s] = lib.series()
    assert s.count == 3 and lib.middle_document(s.id).instance_number == 4
    lib.remove_documents([d.id for d in lib.series_documents(s.id)])
    assert lib.series() == []


def test_migration_fills_series_from_an_older_library(tmp_path):
    old = Library(tmp_path / "lib")
    make_study(tmp_path / "a", n=3)
    old.import_paths([tmp_path / "a"])
    db = sqlite3.connect(old.db_path)  # make it a schema-3 library again, as the release before this one left it
    db.executescript(
        "DROP TABLE series; ALTER TABLE documents DROP COLUMN sop_instance_uid;"
        "ALTER TABLE documents DROP COLUMN sop_class_uid; ALTER TABLE patients DROP COLUMN sex;"
        "PRAGMA user_version = 3;"
    )
    db.close()
    lib = Library(tmp_path / "lib")
    [s] = lib.series()
    assert s.count == 3 and s.modality == "CT"
    assert sqlite3.connect(lib.db_path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert [d.sop_instance_uid for d in lib.documents()] == ["", "", ""]  # not known before schema 4


def test_import_without_kernel_copy_stores_the_same_bytes(tmp_path, monkeypatch):
    """Where copy_file_range is refused (another file system, an old kernel), the plain copy takes over."""
    import errno
    import os

    def refuse(*args, **kwargs):
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    files = make_study(tmp_path / "a", n=2)
    (tmp_path / "a" / "empty.txt").write_bytes(b"")
    lib = Library(tmp_path / "lib")
    case = lib.create_case(lib.create_patient("P").id, "C")
    result = lib.import_paths([tmp_path / "a"], case_id=case.id)
    import hashlib

    for d in result.documents:
        assert hashlib.sha256(d.path.read_bytes()).hexdigest() == d.sha256
    assert sorted(d.path.read_bytes() for d in result.documents if d.is_dicom) == sorted(f.read_bytes() for f in files)
