"""DICOMweb with a PACS through httpx: QIDO-RS search (and as the echo), WADO-RS retrieve, STOW-RS store.

HTTPS is verified (the system's trust store, or the node's CA file). Retrieve streams the multipart
answer to disk part by part (python-multipart's streaming parser), so a study of any size never sits in
memory; store sends batches of instances as one multipart/related request each and reads the node's
per-instance answer.
"""

from __future__ import annotations

import json
import logging
import ssl
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import httpx
from pydicom import Dataset
from pydicom.filereader import read_file_meta_info

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
from sodformat.errors import CancelledError

log = logging.getLogger("sodclient.pacs")
_BATCH_BYTES = 64 << 20  # one STOW-RS request carries up to this much (progress and retry granularity)
_CHUNK = 1 << 20


def _client(node: PacsNode) -> httpx.Client:
    verify: ssl.SSLContext | bool = True
    if node.ca_file:
        verify = ssl.create_default_context(cafile=node.ca_file)
    auth = (node.username, node.password) if node.username else None
    return httpx.Client(
        base_url=node.base_url.rstrip("/") + "/",
        auth=auth,
        verify=verify,
        timeout=httpx.Timeout(30.0, read=300.0),
        follow_redirects=False,
    )


def _request(node: PacsNode, method: str, url: str, **kwargs) -> httpx.Response:
    try:
        with _client(node) as c:
            resp = c.request(method, url, **kwargs)
    except httpx.ConnectError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            raise PacsRefused(f"The certificate of {node.base_url} is not trusted; add the site's CA file") from None
        raise PacsUnreachable(f"Nothing answers at {node.base_url}; check the address and the network") from None
    except httpx.TimeoutException:
        raise PacsUnreachable(f"{node.base_url} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise PacsUnreachable(f"The connection to {node.base_url} failed ({type(exc).__name__})") from None
    _raise_for_status(node, resp)
    return resp


def _raise_for_status(node: PacsNode, resp: httpx.Response) -> None:
    code = resp.status_code
    if code in (401, 403):
        raise PacsRefused(f"{node.base_url} refused the user name or password (HTTP {code})")
    if code == 404:
        raise PacsFailed(f"There is no DICOMweb service at {node.base_url} (HTTP 404); check the URL")
    if code >= 400:
        raise PacsFailed(f"{node.base_url} answered HTTP {code}")


def _json(resp: httpx.Response) -> list[Dataset]:
    if resp.status_code == 204 or not resp.content:
        return []
    try:
        items = resp.json()
    except ValueError:
        raise PacsFailed("The DICOMweb answer was not DICOM JSON") from None
    return [Dataset.from_json(item) for item in items]


def _query(path: str, params: dict[str, str]) -> str:
    """A QIDO URL with DICOM's matching characters (* ? ^) left literal: they are legal in a query, and some
    servers (Orthanc's plugin among them) match on the raw text without decoding %2A."""
    return path + "?" + "&".join(f"{quote(k)}={quote(v, safe='*?^,-.')}" for k, v in params.items())


def echo(node: PacsNode) -> str:
    """A QIDO-RS search for one study: proves address, TLS, credentials and the DICOMweb service."""
    _request(node, "GET", "studies", params={"limit": "1"}, headers={"Accept": "application/dicom+json"})
    return f"{node.base_url} answered a DICOMweb search (QIDO-RS)."


def find_studies(node: PacsNode, query: StudyQuery, cancel: CancelToken | None = None) -> list[StudyMatch]:
    q = query.checked()
    params = {
        k: v
        for k, v in {
            "PatientName": q.name_pattern,
            "PatientID": q.patient_id.strip(),
            "StudyDate": q.date_range,
            "ModalitiesInStudy": q.modality.strip().upper(),
            "AccessionNumber": q.accession.strip(),
            "StudyInstanceUID": q.study_uid,
        }.items()
        if v
    }
    params["includefield"] = "StudyDescription,PatientBirthDate,NumberOfStudyRelatedInstances,ModalitiesInStudy"
    answers = _json(_request(node, "GET", _query("studies", params), headers={"Accept": "application/dicom+json"}))
    return newest_first(study_match(r) for r in answers)


def find_series(node: PacsNode, study_uid: str, cancel: CancelToken | None = None) -> list[SeriesMatch]:
    fields = {"includefield": "SeriesDescription,NumberOfSeriesRelatedInstances,SeriesNumber"}
    resp = _request(
        node, "GET", _query(f"studies/{quote(study_uid)}/series", fields), headers={"Accept": "application/dicom+json"}
    )
    return series_matches(study_uid, _json(resp))


def _boundary(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary":
            return value.strip().strip('"')
    raise PacsFailed("The DICOMweb answer is not multipart (no boundary)")


class _PartWriter:
    """python-multipart callbacks: each part goes to its own numbered file in `dest`."""

    def __init__(self, dest: Path, expected: int | None, progress: ProgressSink):
        self.dest, self.expected, self.progress = dest, expected, progress
        self.paths: list[Path] = []
        self._fh: BinaryIO | None = None
        self._header_name = b""
        self.bad_type = ""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        if self._header_name.strip().lower() == b"content-type":
            value = data[start:end].decode("latin-1").strip().lower()
            if not value.startswith("application/dicom"):
                self.bad_type = value

    def on_header_end(self) -> None:
        self._header_name = b""

    def on_part_begin(self) -> None:
        path = self.dest / f"{len(self.paths) + 1:06d}.dcm"
        self._fh = open(path, "wb")  # closed by on_part_end or close(): the parser drives it
        self.paths.append(path)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        assert self._fh is not None  # the parser calls on_part_begin first
        self._fh.write(data[start:end])

    def on_part_end(self) -> None:
        assert self._fh is not None
        self._fh.close()
        self._fh = None
        n = len(self.paths)
        self.progress(ProgressReport("retrieve", n, self.expected, detail=f"{n} instance(s)"))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _stream_parts(node: PacsNode, study: StudyMatch, accept: str, writer: _PartWriter, cancel: CancelToken) -> bool:
    """Streams one WADO-RS answer into `writer`; False when the node will not send what `accept` asks (406)."""
    from python_multipart import MultipartParser

    with _client(node) as c, c.stream("GET", f"studies/{quote(study.study_uid)}", headers={"Accept": accept}) as resp:
        if resp.status_code == 406:
            return False
        _raise_for_status(node, resp)
        parser = MultipartParser(
            _boundary(resp.headers.get("content-type", "")),
            {
                "on_part_begin": writer.on_part_begin,
                "on_part_data": writer.on_part_data,
                "on_part_end": writer.on_part_end,
                "on_header_field": writer.on_header_field,
                "on_header_value": writer.on_header_value,
                "on_header_end": writer.on_header_end,
            },
        )
        for chunk in resp.iter_bytes(_CHUNK):
            cancel.raise_if_cancelled()
            parser.write(chunk)
        parser.finalize()
    return True


# "As stored" first (no re-encoding on the way); a node that refuses it gets asked for its default syntax.
_ACCEPTS = [
    'multipart/related; type="application/dicom"; transfer-syntax=*',
    'multipart/related; type="application/dicom"',
]


def retrieve_study(
    node: PacsNode,
    study: StudyMatch,
    dest: Path,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """WADO-RS of a whole study into `dest` (one file per instance); raises unless every instance arrived."""
    cancel = cancel or CancelToken()
    writer = _PartWriter(dest, study.instances, progress)
    try:
        for accept in _ACCEPTS:
            writer = _PartWriter(dest, study.instances, progress)
            if _stream_parts(node, study, accept, writer, cancel):
                break
        else:
            raise PacsFailed(f"{node.base_url} will not send this study as DICOM (HTTP 406)")
    except httpx.HTTPError as exc:
        raise PacsUnreachable(
            f"The download from {node.base_url} broke off ({type(exc).__name__}); nothing of this study was filed"
        ) from None
    except (PacsError, CancelledError):
        raise
    except Exception as exc:  # the multipart parser's errors: a damaged answer
        raise PacsFailed(
            f"The answer of {node.base_url} was damaged ({type(exc).__name__}); nothing of this study was filed"
        ) from None
    finally:
        writer.close()
    if writer.bad_type:
        raise PacsFailed(f"{node.base_url} sent {writer.bad_type} instead of DICOM; nothing of this study was filed")
    if not writer.paths:
        raise PacsFailed(f"{node.base_url} sent no instances of the study")
    if study.instances is not None and len(writer.paths) < study.instances:
        raise PacsFailed(
            f"{node.base_url} sent {len(writer.paths)} of {study.instances} instance(s); nothing of "
            "this study was filed"
        )
    return writer.paths


def _batches(files: list[Path]) -> Iterator[list[Path]]:
    batch: list[Path] = []
    size = 0
    for f in files:
        n = f.stat().st_size
        if batch and size + n > _BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(f)
        size += n
    if batch:
        yield batch


def _body(batch: list[Path], boundary: str, cancel: CancelToken) -> Iterator[bytes]:
    for f in batch:
        yield f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
        with open(f, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                cancel.raise_if_cancelled()
                yield chunk
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def _stow_results(node: PacsNode, resp: httpx.Response, uids: list[str]) -> list[InstanceResult]:
    """The node's per-instance answer (ReferencedSOPSequence / FailedSOPSequence) in our order."""
    try:
        payload = resp.json() if resp.content else {}
        ds = (
            Dataset.from_json(payload)
            if isinstance(payload, dict)
            else (Dataset.from_json(payload[0]) if payload else Dataset())
        )
    except (ValueError, json.JSONDecodeError):
        ds = Dataset()
    stored = {text(i.get("ReferencedSOPInstanceUID")): i for i in ds.get("ReferencedSOPSequence", [])}
    failed = {text(i.get("ReferencedSOPInstanceUID")): i for i in ds.get("FailedSOPSequence", [])}
    out = []
    for uid in uids:
        if uid in failed:
            reason = as_int(failed[uid].get("FailureReason"))
            out.append(
                InstanceResult(uid, False, reason or -1, f"refused (reason {reason:#06x})" if reason else "refused")
            )
        elif uid in stored or (resp.status_code == 200 and not failed):
            out.append(InstanceResult(uid, True, 0, "stored"))
        else:
            out.append(InstanceResult(uid, False, resp.status_code, f"not confirmed (HTTP {resp.status_code})"))
    return out


def store(
    node: PacsNode,
    files: Iterable[Path],
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
    on_result: Callable[[InstanceResult], None] | None = None,
) -> list[InstanceResult]:
    """STOW-RS of Part 10 files in batches; one result per instance."""
    cancel = cancel or CancelToken()
    files = list(files)
    results: list[InstanceResult] = []
    total = len(files)
    with _client(node) as c:
        for batch in _batches(files):
            cancel.raise_if_cancelled()
            uids = [str(read_file_meta_info(f).MediaStorageSOPInstanceUID) for f in batch]
            boundary = uuid.uuid4().hex
            headers = {
                "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
                "Accept": "application/dicom+json",
            }
            try:
                resp = c.post("studies", content=_body(batch, boundary, cancel), headers=headers)
            except httpx.HTTPError as exc:
                raise PacsUnreachable(
                    f"The upload to {node.base_url} broke off ({type(exc).__name__}) after "
                    f"{len(results)} of {total} instance(s)"
                ) from None
            if resp.status_code in (401, 403, 404):
                _raise_for_status(node, resp)
            batch_results = _stow_results(node, resp, uids)
            for r in batch_results:
                results.append(r)
                if on_result is not None:
                    on_result(r)
            progress(ProgressReport("store", len(results), total, detail=f"{len(results)} of {total} instance(s)"))
    return results
