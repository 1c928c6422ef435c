"""PACS as use cases: set up nodes, echo them, search, retrieve studies into the library, send documents to a
node. DIMSE or DICOMweb is the node's choice; the calls below are the same for both.

A retrieve is all-or-nothing per study: instances land in a private folder, and only a complete study is
filed into the library (one transaction, with its audit record); anything less is removed. A send to PACS
cannot be undone at the PACS, so it reports every instance, stored or not; the audit trail counts them.
Neither the audit trail nor the log holds names, IDs or UIDs.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sodclient.audit_events import AuditEvent
from sodclient.config.pacs_nodes import load_nodes, save_nodes
from sodclient.errors import InputError, UserError
from sodclient.library import Document, ImportResult
from sodclient.pacs import dicomweb, dimse
from sodclient.pacs.errors import PacsError, PacsFailed, PacsRefused, PacsUnreachable
from sodclient.pacs.nodes import DICOMWEB, DIMSE, RETRIEVE_GET, RETRIEVE_MOVE, PacsNode, validated
from sodclient.pacs.query import InstanceResult, SeriesMatch, StudyMatch, StudyQuery
from sodclient.profile import Profile
from sodclient.progress import CancelToken, ProgressReport, ProgressSink, no_progress
from sodformat.errors import CancelledError

__all__ = [
    "DICOMWEB",
    "DIMSE",
    "RETRIEVE_GET",
    "RETRIEVE_MOVE",
    "InstanceResult",
    "PacsError",
    "PacsFailed",
    "PacsNode",
    "PacsRefused",
    "PacsUnreachable",
    "RetrieveOutcome",
    "SendOutcome",
    "SeriesMatch",
    "StudyMatch",
    "StudyOutcome",
    "StudyQuery",
    "echo",
    "method_name",
    "nodes",
    "remove_node",
    "retrieve",
    "save_node",
    "search",
    "send_to_pacs",
    "series_of",
]

log = logging.getLogger("sodclient.pacs")


# -- nodes ---------------------------------------------------------------------------------------------------
def nodes(profile: Profile) -> list[PacsNode]:
    return load_nodes(profile)


def node(profile: Profile, name: str) -> PacsNode:
    for n in load_nodes(profile):
        if n.name == name:
            return n
    raise InputError(f"There is no PACS node called {name!r} (System → PACS Nodes)")


def save_node(profile: Profile, new: PacsNode, *, replacing: str | None = None) -> PacsNode:
    """Adds a node, or replaces the one called `replacing`; names are unique. Audited (kind only)."""
    new = validated(new)
    current = load_nodes(profile)
    kept = [n for n in current if replacing is None or n.name != replacing]
    if any(n.name == new.name for n in kept):
        raise InputError(f"There is already a node called {new.name!r}")
    position = next((i for i, n in enumerate(current) if n.name == replacing), len(kept))
    kept.insert(min(position, len(kept)), new)
    save_nodes(profile, kept)
    profile.audit.record(AuditEvent.CONFIG_PACS_NODE, change="saved", kind=new.kind, nodes=len(kept))
    return new


def remove_node(profile: Profile, name: str) -> None:
    kept = [n for n in load_nodes(profile) if n.name != name]
    save_nodes(profile, kept)
    profile.audit.record(AuditEvent.CONFIG_PACS_NODE, change="removed", nodes=len(kept))


def method_name(n: PacsNode) -> str:
    if n.is_dicomweb:
        return "WADO-RS"
    return "C-MOVE" if n.retrieve == RETRIEVE_MOVE else "C-GET"


# -- echo and search -----------------------------------------------------------------------------------------
def echo(profile: Profile, n: PacsNode, progress: ProgressSink = no_progress, cancel: CancelToken | None = None) -> str:
    """C-ECHO (DIMSE) or a QIDO-RS search (DICOMweb); a plain diagnosis, or a PacsError saying what to fix."""
    n = validated(n)
    return dicomweb.echo(n) if n.is_dicomweb else dimse.echo(n)


def search(
    profile: Profile,
    n: PacsNode,
    query: StudyQuery,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> list[StudyMatch]:
    return (dicomweb if n.is_dicomweb else dimse).find_studies(n, query, cancel)


def series_of(
    profile: Profile,
    n: PacsNode,
    study_uid: str,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> list[SeriesMatch]:
    return (dicomweb if n.is_dicomweb else dimse).find_series(n, study_uid, cancel)


# -- retrieve ------------------------------------------------------------------------------------------------
@dataclass
class StudyOutcome:
    study: StudyMatch
    result: ImportResult | None = None  # filed
    error: str = ""  # why not (one plain line)

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass
class RetrieveOutcome:
    studies: list[StudyOutcome] = field(default_factory=list)

    @property
    def case_ids(self) -> list[int]:
        return sorted({c for s in self.studies if s.result for c in s.result.case_ids})

    @property
    def filed(self) -> int:
        return sum(1 for s in self.studies if s.ok)


def _fetch(n: PacsNode) -> Callable:
    if n.is_dicomweb:
        return dicomweb.retrieve_study
    return dimse.move_study if n.retrieve == RETRIEVE_MOVE else dimse.get_study


def retrieve(
    profile: Profile,
    n: PacsNode,
    studies: list[StudyMatch],
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> RetrieveOutcome:
    """Each study retrieved into a private folder, then filed into the library only if it came complete.
    A failed study does not stop the others; Cancel stops the current one (nothing of it is kept) and the rest."""
    cancel = cancel or CancelToken()
    outcome = RetrieveOutcome()
    library = profile.library()
    fetch = _fetch(n)
    for i, study in enumerate(studies, 1):
        if cancel.cancelled:
            outcome.studies.append(StudyOutcome(study, error="Cancelled."))
            continue
        label = f"study {i} of {len(studies)}"

        def report(r: ProgressReport, label=label) -> None:
            progress(ProgressReport(r.stage, r.done, r.total, r.rate, r.eta_s, f"{label}: {r.detail}"))

        workdir = profile.ensure().paths.incoming_dir / f"pacs-{uuid.uuid4().hex}"
        workdir.mkdir(parents=True, mode=0o700)
        try:
            files = fetch(n, study, workdir, report, cancel)

            def record(result: ImportResult, count=len(files)) -> None:  # inside the library transaction
                profile.audit.record(
                    AuditEvent.PACS_RETRIEVE,
                    method=method_name(n),
                    instances=count,
                    documents=len(result.documents),
                    duplicates=result.duplicates,
                )

            result = library.import_paths([workdir], before_commit=record, move=True, progress=report, cancel=cancel)
            outcome.studies.append(StudyOutcome(study, result))
        except CancelledError:
            outcome.studies.append(StudyOutcome(study, error="Cancelled; nothing of this study was kept."))
        except UserError as exc:
            log.info("retrieve of one study failed: %s", type(exc).__name__)
            _audit_failure(profile, False, n, exc)
            outcome.studies.append(StudyOutcome(study, error=str(exc)))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return outcome


def _audit_failure(profile: Profile, sending: bool, n: PacsNode, exc: BaseException) -> None:
    try:
        profile.audit.record(
            AuditEvent.PACS_SEND_FAILED if sending else AuditEvent.PACS_RETRIEVE_FAILED,
            method=method_name(n),
            reason=type(exc).__name__,
        )
    except Exception:  # the audit store failed too: the original error is the one to report
        pass


# -- send to PACS --------------------------------------------------------------------------------------------
@dataclass
class SendOutcome:
    results: list[InstanceResult]
    not_dicom: int = 0  # documents that are not DICOM (letters, PDFs): a PACS takes DICOM only

    @property
    def stored(self) -> int:
        return sum(1 for r in self.results if r.ok)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.ok)


def send_to_pacs(
    profile: Profile,
    n: PacsNode,
    documents: list[Document],
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> SendOutcome:
    """C-STORE (DIMSE) or STOW-RS (DICOMweb) of the DICOM documents; one result per instance; audited."""
    n = validated(n)
    cancel = cancel or CancelToken()
    dicom = [d for d in documents if d.is_dicom]
    not_dicom = len(documents) - len(dicom)
    if not dicom:
        raise InputError("There are no DICOM images among these documents; a PACS stores DICOM only")
    method = "STOW-RS" if n.is_dicomweb else "C-STORE"
    try:
        results = (dicomweb if n.is_dicomweb else dimse).store(n, [d.path for d in dicom], progress, cancel)
    except BaseException as exc:
        _audit_failure(profile, True, n, exc)
        raise
    outcome = SendOutcome(results, not_dicom)
    profile.audit.record(
        AuditEvent.PACS_SEND,
        method=method,
        instances=len(results),
        stored=outcome.stored,
        failed=outcome.failed,
        not_dicom=not_dicom,
    )
    return outcome
