"""The library database and its managed files.

Files are copied into `files/<aa>/<sha256>`: the name is the content hash, so it never carries PHI and an
identical file is stored once. Every import runs in one SQLite transaction; if anything fails, the rows
are rolled back and the managed files this import created are removed, so the library is never half-filled.
"""

from __future__ import annotations

import hashlib
import itertools
import mimetypes
import mmap
import os
import shutil
import sqlite3
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sodclient.errors import LibraryError
from sodclient.library.dicom_info import preload, read_tags
from sodclient.library.models import Case, Document, ImportResult, Message, Patient, Series
from sodclient.library.schema import migrate
from sodclient.library.survey import iter_files
from sodclient.progress import CancelToken, ProgressSink, RateMeter, no_progress
from sodformat.mediatypes import sniff

_CHUNK = 1 << 20
UNFILED_KEY = "SOD-UNFILED"


_KERNEL_COPY_CHUNK = 64 << 20


def _kernel_copy(fin, fout, counter: _ByteCounter, cancel: CancelToken) -> bool:
    """Copies inside the kernel (copy_file_range: no trip through Python's buffers, a reflink where the file
    system offers one). False when the platform or file system cannot, before anything was counted."""
    copy = getattr(os, "copy_file_range", None)
    if copy is None:
        return False
    copied = 0
    while True:
        cancel.raise_if_cancelled()
        try:
            n = copy(fin.fileno(), fout.fileno(), _KERNEL_COPY_CHUNK)
        except OSError:
            if copied:
                raise
            return False
        if n == 0:
            return True
        copied += n
        counter.add(n)


def _hash_file(fh, cancel: CancelToken) -> tuple[Any, int]:
    """SHA-256 of an open file, through a memory map (the page cache, not a copy); plain reads for an empty file."""
    h = hashlib.sha256()
    size = os.fstat(fh.fileno()).st_size
    if size == 0:
        return h, 0
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped, memoryview(mapped) as view:
        for start in range(0, size, _KERNEL_COPY_CHUNK):
            cancel.raise_if_cancelled()
            h.update(view[start : start + _KERNEL_COPY_CHUNK])
    return h, size


class _ByteCounter:
    """Bytes done across the import threads, reported through one RateMeter (which is not thread-safe)."""

    def __init__(self, meter: RateMeter):
        self.meter, self.done, self._lock = meter, 0, threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.done += n
            self.meter.update(self.done)

    def file_done(self, detail: str, force: bool) -> None:
        with self._lock:
            self.meter.update(self.done, detail=detail, force=force)


def _rowid(cursor: sqlite3.Cursor) -> int:
    """The id SQLite gave the row just inserted (always set after an INSERT)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _media_type(path: Path, is_dicom: bool, stored: Path | None = None) -> str:
    """DICOM (decided by its tags) before anything else, then by content, then by name."""
    if is_dicom:
        return "application/dicom"
    try:
        with open(stored or path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        head = b""
    return sniff(head, path.name)


class Library:
    """One user's library. Cheap to create; each call opens its own connection (safe across threads)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.files_dir = self.root / "files"
        self.thumbs_dir = self.root / "thumbs"
        for d in (self.root, self.files_dir, self.thumbs_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db_path = self.root / "library.sqlite3"
        with self._connect() as db:
            migrate(db)

    # -- connections ---------------------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- reading -------------------------------------------------------------------------------------
    def managed_path(self, sha256: str) -> Path:
        return self.files_dir / sha256[:2] / sha256

    def _doc(self, row: sqlite3.Row) -> Document:
        return Document(
            id=row["id"],
            case_id=row["case_id"],
            title=row["title"],
            sha256=row["sha256"],
            size=row["size"],
            media_type=row["media_type"],
            modality=row["modality"],
            series_uid=row["series_uid"],
            series_description=row["series_description"],
            instance_number=row["instance_number"],
            path=self.managed_path(row["sha256"]),
            sop_instance_uid=row["sop_instance_uid"],
        )

    @staticmethod
    def _case(r: sqlite3.Row) -> Case:
        return Case(r["id"], r["patient_id"], r["study_uid"], r["description"], r["date"], r["reply_to"])

    def patients(self) -> list[Patient]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM patients ORDER BY name COLLATE NOCASE, id").fetchall()
        return [Patient(r["id"], r["patient_key"], r["name"], r["birth_date"], r["sex"]) for r in rows]

    def patient(self, patient_id: int) -> Patient | None:
        with self._connect() as db:
            r = db.execute("SELECT * FROM patients WHERE id = ?", (patient_id,)).fetchone()
        return Patient(r["id"], r["patient_key"], r["name"], r["birth_date"], r["sex"]) if r else None

    def cases(self, patient_id: int) -> list[Case]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM cases WHERE patient_id = ? ORDER BY date DESC, id", (patient_id,)
            ).fetchall()
        return [self._case(r) for r in rows]

    def case(self, case_id: int) -> Case | None:
        with self._connect() as db:
            r = db.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
        return self._case(r) if r else None

    def documents(self, *, case_id: int | None = None, patient_id: int | None = None) -> list[Document]:
        """Documents of one case, of all cases of one patient, or of the whole library."""
        sql = "SELECT d.* FROM documents d JOIN cases c ON c.id = d.case_id"
        args: tuple = ()
        if case_id is not None:
            sql += " WHERE d.case_id = ?"
            args = (case_id,)
        elif patient_id is not None:
            sql += " WHERE c.patient_id = ?"
            args = (patient_id,)
        sql += " ORDER BY c.id, d.series_uid, d.instance_number, d.title, d.id"
        with self._connect() as db:
            return [self._doc(r) for r in db.execute(sql, args).fetchall()]

    # -- the study browser ---------------------------------------------------------------------------
    @staticmethod
    def _series(r: sqlite3.Row) -> Series:
        return Series(r["id"], r["case_id"], r["series_uid"], r["modality"], r["description"], r["count"], r["size"])

    def series(self, *, case_id: int | None = None) -> list[Series]:
        """The series of one case, or of the whole library (one query: the browser builds its tree from it)."""
        sql = "SELECT * FROM series WHERE count > 0"
        args: tuple = ()
        if case_id is not None:
            sql += " AND case_id = ?"
            args = (case_id,)
        with self._connect() as db:
            rows = db.execute(sql + " ORDER BY case_id, series_uid = '', modality, description, id", args).fetchall()
        return [self._series(r) for r in rows]

    def series_documents(self, series_id: int) -> list[Document]:
        """The documents of one series in instance order (the browser's opened series)."""
        with self._connect() as db:
            row = db.execute("SELECT case_id, series_uid FROM series WHERE id = ?", (series_id,)).fetchone()
            if row is None:
                return []
            rows = db.execute(
                "SELECT * FROM documents WHERE case_id = ? AND series_uid = ? ORDER BY instance_number, title, id",
                (row[0], row[1]),
            ).fetchall()
        return [self._doc(r) for r in rows]

    def middle_document(self, series_id: int) -> Document | None:
        """The series' middle instance: its thumbnail stands for the series (the first slice is often blank)."""
        with self._connect() as db:
            row = db.execute("SELECT case_id, series_uid, count FROM series WHERE id = ?", (series_id,)).fetchone()
            if row is None or row[2] == 0:
                return None
            r = db.execute(
                "SELECT * FROM documents WHERE case_id = ? AND series_uid = ?"
                " ORDER BY instance_number, title, id LIMIT 1 OFFSET ?",
                (row[0], row[1], row[2] // 2),
            ).fetchone()
        return self._doc(r) if r else None

    def document(self, document_id: int) -> Document | None:
        with self._connect() as db:
            r = db.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()
        return self._doc(r) if r else None

    def counts(self) -> tuple[int, int, int]:
        with self._connect() as db:
            patients, cases, documents = (
                db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("patients", "cases", "documents")
            )
            return patients, cases, documents

    # -- creating by hand ----------------------------------------------------------------------------
    def create_patient(self, name: str, birth_date: str = "") -> Patient:
        name = name.strip()
        if not name:
            raise LibraryError("Enter a name for the patient.")
        key = f"SOD-{uuid.uuid4().hex[:12]}"
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO patients (patient_key, name, birth_date, created) VALUES (?, ?, ?, ?)",
                (key, name, birth_date, _now()),
            )
            return Patient(_rowid(cur), key, name, birth_date)

    def create_case(self, patient_id: int, description: str, date: str = "") -> Case:
        description = description.strip()
        if not description:
            raise LibraryError("Enter a description for the case.")
        uid = f"2.25.{uuid.uuid4().int}"
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO cases (patient_id, study_uid, description, date, created) VALUES (?, ?, ?, ?, ?)",
                (patient_id, uid, description, date, _now()),
            )
            return Case(_rowid(cur), patient_id, uid, description, date)

    def remove_documents(self, document_ids: Iterable[int]) -> int:
        """Deletes documents; a managed file goes once no document refers to it any more."""
        ids = list(document_ids)
        with self._transaction() as db:
            shas = (
                [
                    r[0]
                    for r in db.execute(f"SELECT sha256 FROM documents WHERE id IN ({','.join('?' * len(ids))})", ids)
                ]
                if ids
                else []
            )
            for i in ids:
                row = db.execute("SELECT case_id, series_uid, size FROM documents WHERE id = ?", (i,)).fetchone()
                if row is None:
                    continue
                db.execute("DELETE FROM documents WHERE id = ?", (i,))
                db.execute(
                    "UPDATE series SET count = count - 1, size = size - ? WHERE case_id = ? AND series_uid = ?",
                    (row[2], row[0], row[1]),
                )
            db.execute("DELETE FROM series WHERE count <= 0")
            orphans = [
                s for s in set(shas) if not db.execute("SELECT 1 FROM documents WHERE sha256 = ?", (s,)).fetchone()
            ]
        for sha in orphans:
            self.managed_path(sha).unlink(missing_ok=True)
            (self.thumbs_dir / f"{sha}.png").unlink(missing_ok=True)
        return len(shas)

    # -- importing -----------------------------------------------------------------------------------
    # Files are copied (or, for a private temporary folder, renamed) and hashed by a few threads at once,
    # which read their DICOM tags too: copying, hashing and fsync release the GIL, so a 2000-slice CT
    # imports at disk speed rather than one file after another. Rows are written by the calling thread in
    # the files' order. Every new managed file is fsynced once, all together, before the transaction commits.
    _WORKERS = 4

    def _adopt_file(
        self, src: Path, created: list[Path], counter: _ByteCounter, cancel: CancelToken, unsynced: list[Path]
    ) -> tuple[str, int]:
        """Hashes src and renames it into the store (no second copy of a multi-GB delivery)."""
        with open(src, "rb") as fin:
            h, size = _hash_file(fin, cancel)
        counter.add(size)
        sha = h.hexdigest()
        final = self.managed_path(sha)
        if final.exists():
            return sha, size
        final.parent.mkdir(exist_ok=True, mode=0o700)
        try:
            os.replace(src, final)
        except OSError:  # another file system: copy (and verify by hashing again)
            return self._store_file(src, created, counter, cancel, unsynced)
        os.chmod(final, 0o600)
        created.append(final)
        unsynced.append(final)
        return sha, size

    def _store_file(
        self, src: Path, created: list[Path], counter: _ByteCounter, cancel: CancelToken, unsynced: list[Path]
    ) -> tuple[str, int]:
        """Copies src into the store while hashing it; returns (sha256, size). fsync comes later, for all."""
        tmp = self.files_dir / f".incoming-{uuid.uuid4().hex}"
        created.append(tmp)
        with open(src, "rb") as fin, open(tmp, "wb+") as fout:
            if not _kernel_copy(fin, fout, counter, cancel):
                fin.seek(0)
                fout.seek(0)
                fout.truncate()
                while chunk := fin.read(_CHUNK):
                    cancel.raise_if_cancelled()
                    fout.write(chunk)
                    counter.add(len(chunk))
                fout.flush()
            h, size = _hash_file(fout, cancel)  # what was written, read back from the page cache
        sha = h.hexdigest()
        final = self.managed_path(sha)
        if final.exists():
            tmp.unlink()
        else:
            final.parent.mkdir(exist_ok=True, mode=0o700)
            os.replace(tmp, final)
            os.chmod(final, 0o600)
            created.append(final)
            unsynced.append(final)
        created.remove(tmp)
        return sha, size

    def _ingest(
        self,
        src: Path,
        move: bool,
        created: list[Path],
        counter: _ByteCounter,
        cancel: CancelToken,
        unsynced: list[Path],
    ):
        cancel.raise_if_cancelled()
        store = self._adopt_file if move else self._store_file
        sha, size = store(src, created, counter, cancel, unsynced)
        return sha, size, read_tags(self.managed_path(sha))

    def _sync(self, paths: list[Path], pool: ThreadPoolExecutor) -> None:
        """fsync the new files (in parallel: the disk batches them) and the folders that gained a name."""

        def sync(p: Path) -> None:
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

        folders = {p.parent for p in paths}
        list(pool.map(sync, paths))
        if hasattr(os, "O_DIRECTORY"):
            list(pool.map(sync, folders))

    def import_paths(
        self,
        paths: Iterable[Path],
        *,
        case_id: int | None = None,
        unfiled_case: str | None = None,
        reply_to: str = "",
        message: Message | None = None,
        before_commit: Callable[[ImportResult], None] | None = None,
        move: bool = False,
        progress: ProgressSink = no_progress,
        cancel: CancelToken | None = None,
    ) -> ImportResult:
        """Imports files and folders all-or-nothing.

        DICOM files are filed by patient / study / series from their tags. Other documents go to `case_id`;
        without one, `unfiled_case` names a new case under the "Unfiled" patient (used for received
        containers); with neither, non-DICOM files are refused before anything is copied. `reply_to` is
        remembered on every case that received documents (the sender of a received container).
        `message` (a received delivery) is filed under the first case that received documents (or `case_id`),
        in the same transaction; a sent delivery it answers that had no case yet joins that case too.
        `before_commit(result)` runs inside the transaction (the audit record): if it fails, nothing is kept.
        `move=True` renames the files into the store instead of copying them (for a private temporary
        folder such as an unpacked container, which is discarded afterwards either way).
        """
        cancel = cancel or CancelToken()
        # A disc's DICOMDIR (PS3.10 names it so) is the index of the images beside it, not a document: filing it
        # would put a list of names into a case, or refuse the whole disc for want of a case.
        files = [f for f in iter_files(paths) if f.name.upper() != "DICOMDIR"]
        if not files:
            raise LibraryError("There is nothing to import: no readable files were given.")
        if case_id is not None and self.case(case_id) is None:
            raise LibraryError("The chosen case no longer exists.")
        total = sum(f.stat().st_size for f in files)
        preload()
        meter = RateMeter("import", total, progress)
        counter = _ByteCounter(meter)
        created: list[Path] = []
        unsynced: list[Path] = []
        result = ImportResult()
        pool = ThreadPoolExecutor(self._WORKERS, thread_name_prefix="library-import")
        worker_cancel = cancel.child()
        try:
            with self._transaction() as db:
                unfiled_id: int | None = None
                pending: deque[Any] = deque()
                queue = iter(files)
                for f in itertools.islice(queue, self._WORKERS * 4):  # a bounded window of files in flight
                    pending.append((f, pool.submit(self._ingest, f, move, created, counter, worker_cancel, unsynced)))
                while pending:
                    f, future = pending.popleft()
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending.append(
                            (nxt, pool.submit(self._ingest, nxt, move, created, counter, worker_cancel, unsynced))
                        )
                    cancel.raise_if_cancelled()
                    sha, size, tags = future.result()
                    stored = self.managed_path(sha)
                    counter.file_done(
                        f"file {len(result.documents) + result.duplicates + 1} of {len(files)}", force=len(files) <= 200
                    )
                    if tags and tags.study_uid:
                        target = self._dicom_case(db, tags, result)
                    elif case_id is not None:
                        target = case_id
                    elif unfiled_case:
                        if unfiled_id is None:
                            unfiled_id = self._unfiled_case(db, unfiled_case, result)
                        target = unfiled_id
                    else:
                        raise LibraryError(
                            "Choose a patient and case first: only DICOM files can be filed automatically."
                        )
                    if db.execute("SELECT 1 FROM documents WHERE case_id = ? AND sha256 = ?", (target, sha)).fetchone():
                        result.duplicates += 1
                        continue
                    media = _media_type(f, tags is not None, stored)
                    modality, series_uid = (tags.modality, tags.series_uid) if tags else ("", "")
                    description = tags.series_description if tags else ""
                    sop_uid = tags.sop_instance_uid if tags else ""
                    cur = db.execute(
                        "INSERT INTO documents (case_id, title, sha256, size, media_type, modality, series_uid,"
                        " series_description, instance_number, added, sop_instance_uid, sop_class_uid)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            target,
                            f.name,
                            sha,
                            size,
                            media,
                            modality,
                            series_uid,
                            description,
                            tags.instance_number if tags else None,
                            _now(),
                            sop_uid,
                            tags.sop_class_uid if tags else "",
                        ),
                    )
                    db.execute(
                        "INSERT INTO series (case_id, series_uid, modality, description, count, size)"
                        " VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (case_id, series_uid) DO UPDATE SET"
                        " count = count + 1, size = size + excluded.size,"
                        " modality = CASE WHEN modality = '' THEN excluded.modality ELSE modality END,"
                        " description = CASE WHEN description = '' THEN excluded.description ELSE description END",
                        (target, series_uid, modality, description, size),
                    )
                    result.documents.append(
                        Document(
                            _rowid(cur),
                            target,
                            f.name,
                            sha,
                            size,
                            media,
                            modality,
                            series_uid,
                            description,
                            tags.instance_number if tags else None,
                            stored,
                            sop_uid,
                        )
                    )
                if reply_to:
                    for cid in result.case_ids:
                        db.execute("UPDATE cases SET reply_to = ? WHERE id = ?", (reply_to, cid))
                if message is not None:
                    first_case = result.case_ids[0] if result.case_ids else unfiled_id
                    target_case = case_id if case_id is not None else first_case
                    assert target_case is not None  # the message goes with what was filed
                    self._insert_message(db, message, target_case, len(result.documents) + result.duplicates)
                cancel.raise_if_cancelled()
                self._sync(unsynced, pool)
                if before_commit is not None:
                    before_commit(result)
        except BaseException:
            worker_cancel.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            for p in list(created):
                p.unlink(missing_ok=True)
            raise
        pool.shutdown(wait=True)
        meter.update(total, force=True)
        return result

    def _dicom_case(self, db: sqlite3.Connection, tags, result: ImportResult) -> int:
        key = tags.patient_id or f"SOD-NOID-{hashlib.sha256(tags.study_uid.encode()).hexdigest()[:12]}"
        row = db.execute("SELECT id FROM patients WHERE patient_key = ?", (key,)).fetchone()
        if row:
            patient_id = row[0]
        else:
            patient_id = _rowid(
                db.execute(
                    "INSERT INTO patients (patient_key, name, birth_date, sex, created) VALUES (?, ?, ?, ?, ?)",
                    (key, tags.patient_name or "(no name)", tags.birth_date, tags.sex, _now()),
                )
            )
            result.patients_created += 1
        row = db.execute("SELECT id FROM cases WHERE study_uid = ?", (tags.study_uid,)).fetchone()
        if row:
            return row[0]
        result.cases_created += 1
        return _rowid(
            db.execute(
                "INSERT INTO cases (patient_id, study_uid, description, date, created) VALUES (?, ?, ?, ?, ?)",
                (patient_id, tags.study_uid, tags.study_description or "Study", tags.study_date, _now()),
            )
        )

    def _unfiled_case(self, db: sqlite3.Connection, description: str, result: ImportResult) -> int:
        row = db.execute("SELECT id FROM patients WHERE patient_key = ?", (UNFILED_KEY,)).fetchone()
        if row:
            patient_id = row[0]
        else:
            patient_id = _rowid(
                db.execute(
                    "INSERT INTO patients (patient_key, name, birth_date, created) VALUES (?, 'Unfiled', '', ?)",
                    (UNFILED_KEY, _now()),
                )
            )
            result.patients_created += 1
        result.cases_created += 1
        return _rowid(
            db.execute(
                "INSERT INTO cases (patient_id, study_uid, description, date, created) VALUES (?, ?, ?, ?, ?)",
                (
                    patient_id,
                    f"2.25.{uuid.uuid4().int}",
                    description,
                    datetime.now(UTC).strftime("%Y%m%d"),
                    _now(),
                ),
            )
        )

    # -- threads: deliveries sent and received, under their cases ----------------------------------------
    @staticmethod
    def _message(r: sqlite3.Row) -> Message:
        return Message(
            r["delivery_id"],
            r["direction"],
            r["case_id"],
            r["in_reply_to"],
            r["counterpart"],
            r["signer"],
            r["message"],
            r["documents"],
            r["at"],
        )

    def _insert_message(self, db: sqlite3.Connection, m: Message, case_id: int | None, documents: int) -> None:
        db.execute(
            "INSERT OR REPLACE INTO messages (delivery_id, direction, case_id, in_reply_to, counterpart, "
            "signer, message, documents, at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                m.delivery_id,
                m.direction,
                case_id,
                m.in_reply_to,
                m.counterpart,
                m.signer,
                m.message,
                documents,
                m.at or _now(),
            ),
        )
        if m.in_reply_to and case_id is not None:  # the delivery it answers joins the thread if it had no case
            db.execute(
                "UPDATE messages SET case_id = ? WHERE delivery_id = ? AND case_id IS NULL", (case_id, m.in_reply_to)
            )

    def record_message(self, message: Message) -> Message:
        """Files a delivery (a send, or a reply) under its case, or under the case of the delivery it answers."""
        case_id = message.case_id
        if case_id is None and message.in_reply_to:
            case_id = self.case_for_delivery(message.in_reply_to)
        with self._transaction() as db:
            self._insert_message(db, message, case_id, message.documents)
        return self.message(message.delivery_id, message.direction)  # type: ignore[return-value]

    def message(self, delivery_id: str, direction: str | None = None) -> Message | None:
        """A delivery by its id (received first when both exist: a profile that sent to itself)."""
        sql = "SELECT * FROM messages WHERE delivery_id = ?"
        args: tuple = (delivery_id,)
        if direction:
            sql += " AND direction = ?"
            args += (direction,)
        with self._connect() as db:
            r = db.execute(sql + " ORDER BY direction = 'sent', id LIMIT 1", args).fetchone()
        return self._message(r) if r else None

    def case_for_delivery(self, delivery_id: str) -> int | None:
        with self._connect() as db:
            r = db.execute(
                "SELECT case_id FROM messages WHERE delivery_id = ? AND case_id IS NOT NULL ORDER BY id LIMIT 1",
                (delivery_id,),
            ).fetchone()
        return r[0] if r else None

    def thread(self, case_id: int) -> list[Message]:
        """The case's deliveries, oldest first: the original and every reply."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM messages WHERE case_id = ? ORDER BY at, id", (case_id,)).fetchall()
        return [self._message(r) for r in rows]

    def messages(self) -> list[Message]:
        with self._connect() as db:
            return [self._message(r) for r in db.execute("SELECT * FROM messages ORDER BY at, id").fetchall()]

    # -- handing documents to the send pipeline ------------------------------------------------------
    def stage(self, documents: Iterable[Document], dest: Path, *, keep_titles: bool) -> list[Path]:
        """Links (or copies) documents into `dest` for packing.

        With keep_titles=False (Peer Review) files are named doc-0001.dcm etc., since original file
        names often carry patient names; otherwise the original title is kept (inside the encrypted
        container only).
        """
        dest.mkdir(parents=True, exist_ok=True, mode=0o700)
        out: list[Path] = []
        used: set[str] = set()
        for n, doc in enumerate(documents, 1):
            if keep_titles:
                name = Path(doc.title).name or f"doc-{n:04d}"
            else:
                ext = ".dcm" if doc.is_dicom else (mimetypes.guess_extension(doc.media_type) or "")
                name = f"doc-{n:04d}{ext}"
            stem, suffix, k = Path(name).stem, Path(name).suffix, 1
            while name.lower() in used:
                k += 1
                name = f"{stem} ({k}){suffix}"
            used.add(name.lower())
            target = dest / name
            try:
                os.link(doc.path, target)
            except OSError:
                shutil.copy2(doc.path, target)
            out.append(target)
        return out
