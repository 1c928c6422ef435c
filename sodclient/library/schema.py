"""The library database's schema as ordered migrations, tracked in SQLite's `PRAGMA user_version`.

Release 0.1.0 created the tables without setting a version (0); migration 1 is that schema written
idempotently, so an old database and a new one reach the same state. Add a migration to the end of
the list, never edit one that shipped. A database from a newer release is refused, not damaged.
"""

from __future__ import annotations

import sqlite3

from sodclient.errors import LibraryError

MIGRATIONS: list[str] = [
    # 1: release 0.1.0's tables
    """
    CREATE TABLE IF NOT EXISTS patients (
        id INTEGER PRIMARY KEY,
        patient_key TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL DEFAULT '',
        birth_date TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS cases (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        study_uid TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        date TEXT NOT NULL DEFAULT '',
        reply_to TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS documents (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        modality TEXT NOT NULL DEFAULT '',
        series_uid TEXT NOT NULL DEFAULT '',
        series_description TEXT NOT NULL DEFAULT '',
        instance_number INTEGER,
        added TEXT NOT NULL,
        UNIQUE (case_id, sha256)
    );
    CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
    """,
    # 2: listing a case's series without a table scan (large studies)
    """
    CREATE INDEX IF NOT EXISTS documents_case_series ON documents(case_id, series_uid, instance_number);
    """,
    # 3: threaded deliveries: each delivery sent or received (its container's delivery id), under its case
    """
    CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY,
        delivery_id TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
        case_id INTEGER REFERENCES cases(id) ON DELETE SET NULL,
        in_reply_to TEXT NOT NULL DEFAULT '',
        counterpart TEXT NOT NULL DEFAULT '',
        signer TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        documents INTEGER NOT NULL DEFAULT 0,
        at TEXT NOT NULL,
        UNIQUE (delivery_id, direction)
    );
    CREATE INDEX IF NOT EXISTS messages_case ON messages(case_id, at);
    """,
    # 4: the study browser (patient -> study -> series) and PACS: one row per series with its counts kept
    # up to date by every import and removal, so showing a library never aggregates all its documents;
    # the SOP UIDs let a retrieve or a send to PACS name instances without opening the files.
    """
    CREATE TABLE IF NOT EXISTS series (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        series_uid TEXT NOT NULL,
        modality TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        count INTEGER NOT NULL DEFAULT 0,
        size INTEGER NOT NULL DEFAULT 0,
        UNIQUE (case_id, series_uid)
    );
    ALTER TABLE documents ADD COLUMN sop_instance_uid TEXT NOT NULL DEFAULT '';
    ALTER TABLE documents ADD COLUMN sop_class_uid TEXT NOT NULL DEFAULT '';
    INSERT OR IGNORE INTO series (case_id, series_uid, modality, description, count, size)
        SELECT case_id, series_uid, MAX(modality), MAX(series_description), COUNT(*), SUM(size)
        FROM documents GROUP BY case_id, series_uid;
    """,
    # 5: the patient's sex, for the library's patient columns (DICOM Patient's Sex: M, F, O or empty)
    """
    ALTER TABLE patients ADD COLUMN sex TEXT NOT NULL DEFAULT '';
    """,
]

VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring the database to VERSION, one migration per transaction; returns the version found."""
    found = db.execute("PRAGMA user_version").fetchone()[0]
    if found > VERSION:
        raise LibraryError(f"The library was written by a newer SOD Send (schema {found}); update the app.")
    for number in range(found + 1, VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number - 1].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return found
