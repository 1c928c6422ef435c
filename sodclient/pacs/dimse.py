"""DICOM networking with a PACS through pynetdicom (no hand-written DIMSE): C-ECHO, C-FIND, C-GET,
C-MOVE to a storage SCP of our own, C-STORE.

Retrieved instances are written byte for byte as the PACS sent them (Part 10, with their file meta) into
a folder the caller owns; the caller files that folder into the library all-or-nothing.
"""

from __future__ import annotations

import itertools
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.filereader import read_file_meta_info
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLosslessSV1,
    RLELossless,
)
from pynetdicom import (
    AE,
    ALL_TRANSFER_SYNTAXES,
    AllStoragePresentationContexts,
    StoragePresentationContexts,
    build_role,
    evt,
)
from pynetdicom.sop_class import (  # type: ignore[attr-defined]  # pynetdicom makes these at import
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

from sodclient.pacs.errors import PacsError, PacsFailed, PacsRefused, PacsUnreachable
from sodclient.pacs.nodes import PacsNode
from sodclient.pacs.query import (
    InstanceResult,
    SeriesMatch,
    StudyMatch,
    StudyQuery,
    as_int,
    newest_first,
    series_matches,
    study_match,
    text,
)
from sodclient.progress import CancelToken, ProgressReport, ProgressSink, no_progress

log = logging.getLogger("sodclient.pacs")

# Offered when retrieving: the uncompressed syntaxes every PACS can send, and the compressed ones it may hold,
# so an instance arrives as it was stored (no lossy re-encoding on the way).
RETRIEVE_SYNTAXES = [
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLosslessSV1,
    JPEG2000Lossless,
    JPEG2000,
    RLELossless,
]
_UNCOMPRESSED = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
_TIMEOUT = 30


def _ssl_context(node: PacsNode) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=node.ca_file or None)
    return ctx


def _reachable(node: PacsNode) -> None:
    """A TCP connection (and the TLS handshake, for a TLS node) first: their failures have plain causes that
    pynetdicom would only log."""
    try:
        with socket.create_connection((node.host, node.port), timeout=10) as sock:
            if node.tls:
                with _ssl_context(node).wrap_socket(sock, server_hostname=node.host):
                    pass
    except ssl.SSLCertVerificationError as exc:
        raise PacsRefused(
            f"The certificate of {node.describe()} is not trusted ({exc.verify_message}); add the "
            "site's CA file to the node"
        ) from None
    except ssl.SSLError as exc:
        raise PacsRefused(
            f"The TLS handshake with {node.describe()} failed ({exc.reason or exc}); does the PACS "
            "expect TLS on this port?"
        ) from None
    except socket.gaierror:
        raise PacsUnreachable(f"The PACS host name {node.host} is not known (check the spelling or the DNS)") from None
    except OSError as exc:
        raise PacsUnreachable(
            f"Nothing answers at {node.host}:{node.port} ({exc.strerror or exc}); check the "
            "host, the port and the firewall"
        ) from None


def _ae(node: PacsNode) -> AE:
    ae = AE(ae_title=node.calling_ae)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = _TIMEOUT
    return ae


def _associate(ae: AE, node: PacsNode, **kwargs):
    _reachable(node)
    tls = (_ssl_context(node), node.host) if node.tls else None
    try:
        assoc = ae.associate(node.host, node.port, ae_title=node.ae_title, tls_args=tls, **kwargs)
    except ssl.SSLError as exc:
        raise PacsRefused(f"The TLS connection to {node.describe()} failed: {exc.reason or exc}") from None
    if assoc.is_established:
        return assoc
    if assoc.is_rejected:
        raise PacsRefused(
            f"{node.describe()} refused the association: the PACS must know this computer as AE "
            f"title {node.calling_ae}, and its own AE title must be {node.ae_title}"
        )
    if node.tls:
        raise PacsRefused(
            f"{node.describe()} ended the connection during TLS or association set-up; check that "
            "the PACS expects TLS on this port and that its certificate is trusted"
        )
    raise PacsRefused(
        f"{node.describe()} ended the connection during association set-up (is it a DICOM port? does it expect TLS?)"
    )


def _status(ds: Dataset | None) -> int:
    return int(getattr(ds, "Status", 0xFFFF)) if ds is not None and "Status" in ds else -1


def echo(node: PacsNode) -> str:
    """C-ECHO; returns a plain diagnosis or raises a PacsError that says what to fix."""
    ae = _ae(node)
    ae.add_requested_context(Verification)
    assoc = _associate(ae, node)
    try:
        status = _status(assoc.send_c_echo())
    finally:
        assoc.release()
    if status != 0:
        raise PacsFailed(
            f"{node.describe()} answered the echo with status 0x{status:04X}"
            if status >= 0
            else f"{node.describe()} did not answer the echo"
        )
    return f"{node.describe()} answered the DICOM echo (association accepted for AE title {node.calling_ae})."


def _find(node: PacsNode, identifier: Dataset, cancel: CancelToken | None) -> list[Dataset]:
    ae = _ae(node)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    assoc = _associate(ae, node)
    found: list[Dataset] = []
    try:
        for status, ds in assoc.send_c_find(identifier, StudyRootQueryRetrieveInformationModelFind):
            code = _status(status)
            if cancel is not None and cancel.cancelled:
                assoc.abort()
                cancel.raise_if_cancelled()
            if code in (0xFF00, 0xFF01) and ds is not None:
                found.append(ds)
            elif code == 0:
                break
            else:
                raise PacsFailed(
                    f"{node.describe()} could not answer the search (status {'none' if code < 0 else f'0x{code:04X}'})"
                )
    finally:
        if assoc.is_established:
            assoc.release()
    return found


def find_studies(node: PacsNode, query: StudyQuery, cancel: CancelToken | None = None) -> list[StudyMatch]:
    q = query.checked()
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.PatientName = q.name_pattern
    ds.PatientID = q.patient_id.strip()
    ds.PatientBirthDate = ""
    ds.StudyDate = q.date_range
    ds.StudyDescription = ""
    ds.AccessionNumber = q.accession.strip()
    ds.ModalitiesInStudy = q.modality.strip().upper()
    ds.StudyInstanceUID = q.study_uid
    ds.NumberOfStudyRelatedInstances = ""
    ds.SOPClassesInStudy = ""
    return newest_first(study_match(r) for r in _find(node, ds, cancel))


def find_series(node: PacsNode, study_uid: str, cancel: CancelToken | None = None) -> list[SeriesMatch]:
    ds = Dataset()
    ds.QueryRetrieveLevel = "SERIES"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = ""
    ds.Modality = ""
    ds.SeriesDescription = ""
    ds.SeriesNumber = ""
    ds.NumberOfSeriesRelatedInstances = ""
    return series_matches(study_uid, _find(node, ds, cancel))


class _Receiver:
    """Writes each received instance (bytes as sent, with file meta) into `dest`; counts and reports."""

    def __init__(
        self,
        dest: Path,
        expected: int | None,
        progress: ProgressSink,
        cancel: CancelToken,
        accept_study: str | None = None,
        accept_ae: str | None = None,
    ):
        self.dest, self.expected, self.progress, self.cancel = dest, expected, progress, cancel
        self.accept_study, self.accept_ae = accept_study, accept_ae
        self.paths: list[Path] = []
        self.bytes = 0
        self._n = itertools.count(1)
        self._lock = threading.Lock()

    def handle(self, event) -> int:
        if self.cancel.cancelled:
            return 0xA700  # refused: out of resources (we stopped)
        if self.accept_ae is not None and event.assoc.requestor.ae_title.strip() != self.accept_ae:
            return 0xA700
        data = event.encoded_dataset(include_meta=True)
        if self.accept_study is not None and text(event.dataset.get("StudyInstanceUID")) != self.accept_study:
            return 0xC000  # not what we asked for: never filed
        with self._lock:
            path = self.dest / f"{next(self._n):06d}.dcm"
            path.write_bytes(data)
            self.paths.append(path)
            self.bytes += len(data)
            done = len(self.paths)
        self.progress(ProgressReport("retrieve", done, self.expected, detail=f"{done} instance(s)"))
        return 0x0000


def _retrieve_identifier(study_uid: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = study_uid
    return ds


def _last_status(assoc, responses, cancel: CancelToken) -> Dataset | None:
    """Reads a C-GET/C-MOVE's responses to the final status; Cancel aborts the association (the PACS stops)."""
    last = None
    try:
        for status, _ in responses:
            if cancel.cancelled:
                assoc.abort()
                cancel.raise_if_cancelled()
            last = status
    finally:
        if assoc.is_established:
            assoc.release()
    return last


def _check_final(node: PacsNode, last: Dataset | None, received: int, expected: int | None, how: str) -> None:
    code = _status(last)
    failed = as_int(getattr(last, "NumberOfFailedSuboperations", None)) if last is not None else None
    if code not in (0x0000, 0xB000) or failed:
        raise PacsFailed(
            f"{node.describe()} could not send the whole study by {how} (status "
            f"{'none' if code < 0 else f'0x{code:04X}'}, {failed or 0} instance(s) failed); "
            "nothing of this study was filed"
        )
    if code == 0xB000:
        raise PacsFailed(f"{node.describe()} sent only part of the study by {how}; nothing of this study was filed")
    if received == 0:
        raise PacsFailed(f"{node.describe()} sent no instances of the study by {how}")
    if expected is not None and received < expected:
        raise PacsFailed(
            f"{node.describe()} sent {received} of {expected} instance(s) by {how}; nothing of this study was filed"
        )


def _storage_classes(study: StudyMatch) -> list[str]:
    if study.sop_classes:
        return list(dict.fromkeys(study.sop_classes))[:127]
    return [str(cx.abstract_syntax) for cx in StoragePresentationContexts if cx.abstract_syntax][:127]


def get_study(
    node: PacsNode,
    study: StudyMatch,
    dest: Path,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """C-GET of a whole study into `dest`; raises unless every instance arrived."""
    cancel = cancel or CancelToken()
    ae = _ae(node)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    classes = _storage_classes(study)
    for uid in classes:
        ae.add_requested_context(uid, RETRIEVE_SYNTAXES)
    receiver = _Receiver(dest, study.instances, progress, cancel)
    assoc = _associate(
        ae,
        node,
        ext_neg=[build_role(uid, scp_role=True) for uid in classes],
        evt_handlers=[(evt.EVT_C_STORE, receiver.handle)],
    )
    last = _last_status(
        assoc,
        assoc.send_c_get(_retrieve_identifier(study.study_uid), StudyRootQueryRetrieveInformationModelGet),
        cancel,
    )
    cancel.raise_if_cancelled()
    _check_final(node, last, len(receiver.paths), study.instances, "C-GET")
    return receiver.paths


def move_study(
    node: PacsNode,
    study: StudyMatch,
    dest: Path,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """C-MOVE of a whole study to this app's own storage SCP, which runs only for the move, accepts only the
    node's AE title and only instances of the study asked for."""
    cancel = cancel or CancelToken()
    scp = AE(ae_title=node.calling_ae)
    scp.network_timeout = scp.dimse_timeout = _TIMEOUT
    for cx in AllStoragePresentationContexts:
        if cx.abstract_syntax:
            scp.add_supported_context(cx.abstract_syntax, ALL_TRANSFER_SYNTAXES)
    receiver = _Receiver(dest, study.instances, progress, cancel, accept_study=study.study_uid, accept_ae=node.ae_title)
    try:
        server = scp.start_server(
            (node.move_listen, node.move_port), block=False, evt_handlers=[(evt.EVT_C_STORE, receiver.handle)]
        )
    except OSError as exc:
        raise PacsError(
            f"This computer's storage port {node.move_port} cannot be opened for C-MOVE "
            f"({exc.strerror or exc}); choose another port (and register it at the PACS) or use "
            "C-GET"
        ) from None
    try:
        ae = _ae(node)
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
        assoc = _associate(ae, node)
        last = _last_status(
            assoc,
            assoc.send_c_move(
                _retrieve_identifier(study.study_uid), node.calling_ae, StudyRootQueryRetrieveInformationModelMove
            ),
            cancel,
        )
        code = _status(last)
        if code == 0xA801:
            raise PacsRefused(
                f"{node.describe()} does not know the move destination {node.calling_ae}: register "
                f"this computer there (AE title {node.calling_ae}, port {node.move_port})"
            )
    finally:
        if server is not None:
            server.shutdown()
    cancel.raise_if_cancelled()
    _check_final(node, last, len(receiver.paths), study.instances, "C-MOVE")
    return receiver.paths


def store(
    node: PacsNode,
    files: Iterable[Path],
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
    on_result: Callable[[InstanceResult], None] | None = None,
) -> list[InstanceResult]:
    """C-STORE of Part 10 files, each in the transfer syntax it has when the node accepts it, else in an
    uncompressed one (converted when possible); one result per instance, sent or not."""
    cancel = cancel or CancelToken()
    files = list(files)
    metas = []
    for f in files:
        meta = read_file_meta_info(f)
        metas.append(
            (f, str(meta.MediaStorageSOPClassUID), str(meta.MediaStorageSOPInstanceUID), str(meta.TransferSyntaxUID))
        )
    wanted: dict[str, list[str]] = {}
    for _, cls, _, ts in metas:
        syntaxes = wanted.setdefault(cls, list(_UNCOMPRESSED))
        if ts not in syntaxes:
            syntaxes.insert(0, ts)
    if len(wanted) > 128:
        raise PacsError("These documents use more than 128 kinds of DICOM object; send them in smaller groups")
    ae = _ae(node)
    for cls, syntaxes in wanted.items():
        ae.add_requested_context(cls, syntaxes)
    assoc = _associate(ae, node)
    results: list[InstanceResult] = []
    total = len(metas)
    try:
        for n, (path, cls, sop_uid, ts) in enumerate(metas, 1):
            if cancel.cancelled:
                assoc.abort()
                cancel.raise_if_cancelled()
            accepted = {cx.transfer_syntax[0] for cx in assoc.accepted_contexts if cx.abstract_syntax == cls}
            if not accepted:
                result = InstanceResult(sop_uid, False, -1, "the PACS does not accept this kind of object")
            else:
                try:
                    if ts in accepted:
                        status = assoc.send_c_store(path)
                    else:
                        status = assoc.send_c_store(_converted(path, accepted))
                    code = _status(status)
                    result = InstanceResult(
                        sop_uid,
                        code in (0x0000, 0xB000, 0xB007, 0xB006),
                        code,
                        "stored"
                        if code == 0
                        else (
                            f"stored with warning 0x{code:04X}"
                            if code in (0xB000, 0xB006, 0xB007)
                            else ("no answer" if code < 0 else f"refused (status 0x{code:04X})")
                        ),
                    )
                except (ValueError, RuntimeError, NotImplementedError) as exc:
                    result = InstanceResult(sop_uid, False, -1, f"could not be sent: {type(exc).__name__}")
            results.append(result)
            if on_result is not None:
                on_result(result)
            progress(ProgressReport("store", n, total, detail=f"{n} of {total} instance(s)"))
            if not assoc.is_established:
                for _, _, left_uid, _ in metas[n:]:
                    results.append(InstanceResult(left_uid, False, -1, "the PACS ended the connection"))
                break
    finally:
        if assoc.is_established:
            assoc.release()
    return results


def _converted(path: Path, accepted: set[str]) -> Dataset:
    """A compressed instance, decompressed for a node that takes only uncompressed data."""
    ds = dcmread(path)
    target = ExplicitVRLittleEndian if ExplicitVRLittleEndian in accepted else ImplicitVRLittleEndian
    if target not in accepted:
        raise ValueError("no common transfer syntax")
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        # the same instance, only re-encoded: pydicom would otherwise give it a new SOP Instance UID
        ds.decompress(generate_instance_uid=False)  # needs a pixel codec; without one: ValueError/RuntimeError
    ds.file_meta.TransferSyntaxUID = target
    return ds
