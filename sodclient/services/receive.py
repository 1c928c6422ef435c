"""Receiving, as one use case: open a received .SOD and import it into the library, all-or-nothing;
and filing the user's own files into the library.

Two steps so the app can show what arrived before it is filed: `open_container` decrypts and verifies
everything into a private temporary folder (sodformat.unpack is atomic), then `import_opened` files it
into the library in one SQLite transaction (the library removes its managed files on failure). The
temporary folder is always removed. Every attempt, good or bad, goes into the audit trail without PHI.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sodclient.audit_events import AuditEvent
from sodclient.errors import InputError
from sodclient.keys import contact_for_signer
from sodclient.library import ImportResult, Message
from sodclient.library.survey import ImportPlan, survey
from sodclient.profile import Profile
from sodclient.progress import CancelToken, ProgressSink, RateMeter, no_progress
from sodformat import Contents, Identity, PassphraseIdentity, inspect, unpack
from sodformat.errors import SodError


@dataclass
class OpenedContainer:
    """A decrypted, verified container waiting in a temporary folder to be imported or discarded."""

    source: Path
    contents: Contents  # header, entries, verified signer
    workdir: Path
    sender_name: str = ""  # the contact whose signing key matches, if any
    sender_email: str = ""
    files: list[Path] = field(default_factory=list)

    @property
    def signer(self) -> str | None:
        return self.contents.signer

    @property
    def expires(self) -> datetime:
        return self.contents.header.expires

    @property
    def delivery(self):
        """The container's delivery (id, in-reply-to, message), or None for containers from older senders."""
        return getattr(self.contents, "delivery", None)

    @property
    def total_size(self) -> int:
        return sum(e.size for e in self.contents.entries if not e.is_dir)

    def discard(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def _incoming_dir(profile: Profile) -> Path:
    base = profile.paths.incoming_dir
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return base / uuid.uuid4().hex


def _audit_failure(profile: Profile, path: Path, exc: BaseException) -> None:
    try:
        profile.audit.record(
            AuditEvent.IMPORT_FAILED,
            container_size=path.stat().st_size if path.exists() else 0,
            reason=type(exc).__name__,
        )
    except Exception:  # the audit store itself failed: the original error is the one to report
        pass


def open_container(
    profile: Profile,
    path: Path,
    *,
    passphrase: str | None = None,
    identity: Identity | None = None,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> OpenedContainer:
    """Decrypts and verifies `path` into a temporary folder. Raises SodError (one line) on any problem."""
    cancel = cancel or CancelToken()
    identities: list = []
    if passphrase:
        identities.append(PassphraseIdentity(passphrase))
    if identity is not None:
        identities.append(identity)
    if not identities:
        raise SodError("Enter the passphrase, or use your key, to open this file.")
    workdir = _incoming_dir(profile)
    meter = RateMeter("decrypt", path.stat().st_size if path.exists() else None, progress)
    try:
        inspect(path)  # a quick header check first: a damaged or foreign file fails with a clear line
        contents = unpack(path, workdir, identities, progress=lambda done, total: meter.update(done), cancel=cancel)
    except BaseException as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        _audit_failure(profile, path, exc)
        raise
    files = [workdir / e.name for e in contents.entries if not e.is_dir]
    contact = contact_for_signer(profile.paths, contents.signer)
    return OpenedContainer(
        path, contents, workdir, contact.name if contact else "", contact.email if contact else "", files
    )


def open_received(
    profile: Profile,
    path: Path,
    passphrase: str | None,
    use_own_key: bool,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> OpenedContainer:
    """The app's Open .SOD: the typed passphrase, the user's own key, or both."""
    identity = profile.identity.current(required=True) if use_own_key else None
    return open_container(profile, path, passphrase=passphrase, identity=identity, progress=progress, cancel=cancel)


def import_opened(
    profile: Profile,
    opened: OpenedContainer,
    *,
    reply_to: str = "",
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> ImportResult:
    """Files an opened container into the library (one transaction), then removes the temporary folder.

    A reply (its delivery answers one this library knows) is filed under the case of that delivery, so
    the thread shows the original and its replies together; anything else gets a new "Received" case."""
    received = datetime.now().strftime("%Y-%m-%d %H:%M")
    label = f"Received {received}" + (f" from {opened.sender_name}" if opened.sender_name else "")
    library = profile.library()
    delivery = opened.delivery
    thread_case = library.case_for_delivery(delivery.in_reply_to) if delivery and delivery.in_reply_to else None
    # Where a reply goes: the known contact's address (signature verified), else the address the sender put
    # in the (authenticated) delivery.
    sender = reply_to or opened.sender_email or (delivery.reply_to if delivery else "")
    message = (
        Message(
            delivery.id, "received", None, delivery.in_reply_to, sender, opened.signer or "", delivery.message, 0, ""
        )
        if delivery
        else None
    )

    def record(result: ImportResult) -> None:  # inside the library transaction: no audit, no import
        thread = (
            {"delivery": delivery.id, "in_reply_to": delivery.in_reply_to, "threaded": thread_case is not None}
            if delivery
            else {}
        )
        profile.audit.record(
            AuditEvent.IMPORT,
            documents=len(result.documents),
            duplicates=result.duplicates,
            bytes=opened.total_size,
            signer=opened.signer or "",
            signed=bool(opened.signer),
            **thread,
        )

    try:
        if not opened.files:
            raise SodError("This container holds no documents.")
        result = library.import_paths(
            opened.files,
            case_id=thread_case,
            unfiled_case=label,
            reply_to=sender,
            message=message,
            before_commit=record,
            move=True,
            progress=progress,
            cancel=cancel,
        )
    except BaseException as exc:
        _audit_failure(profile, opened.source, exc)
        raise
    finally:
        opened.discard()
    return result


def import_container(
    profile: Profile,
    path: Path,
    *,
    passphrase: str | None = None,
    identity: Identity | None = None,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[OpenedContainer, ImportResult]:
    """Both steps at once, for the command line."""
    opened = open_container(profile, path, passphrase=passphrase, identity=identity, progress=progress, cancel=cancel)
    return opened, import_opened(profile, opened, progress=progress, cancel=cancel)


def import_files(
    profile: Profile,
    paths: list[Path],
    *,
    case_id: int | None = None,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> ImportResult:
    """The user's own files and folders into the library (DICOM filed by its tags, other documents into
    `case_id`), in one transaction that also writes the audit record."""

    def record(result: ImportResult) -> None:
        profile.audit.record(AuditEvent.IMPORT_OWN, documents=len(result.documents), duplicates=result.duplicates)

    return profile.library().import_paths(
        paths, case_id=case_id, before_commit=record, progress=progress, cancel=cancel or CancelToken()
    )


def plan_import(
    profile: Profile, paths: list[Path], *, progress: ProgressSink = no_progress, cancel: CancelToken | None = None
) -> ImportPlan:
    """Step one of the app's import: what each chosen file is (DICOM, a document that needs a case, skipped,
    or refused with its reason). Nothing is written."""
    return survey(paths, cancel=cancel, progress=progress)


def import_plan(
    profile: Profile,
    plan: ImportPlan,
    *,
    case_id: int | None = None,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> ImportResult:
    """Step two, after the user agreed: the plan's DICOM files by their tags and its documents into `case_id`,
    the case the user confirmed (documents without one are refused, never filed elsewhere)."""
    if plan.documents and case_id is None:
        raise InputError("Choose the patient and case for the documents that are not DICOM.")
    if not plan.importable:
        raise InputError("There is nothing to import.")
    return import_files(
        profile, plan.importable, case_id=case_id if plan.documents else None, progress=progress, cancel=cancel
    )
