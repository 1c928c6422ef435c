"""A PACS node as the user configures it (System → PACS Nodes): a DICOM (DIMSE) node or a DICOMweb endpoint."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from sodclient.errors import InputError

DIMSE, DICOMWEB = "dimse", "dicomweb"
RETRIEVE_GET, RETRIEVE_MOVE = "get", "move"
_AE = re.compile(r"[ -~]{1,16}")  # printable ASCII, at most 16 characters, no backslash (checked below)


@dataclass(frozen=True)
class PacsNode:
    name: str  # what the user calls it ("Radiology PACS")
    kind: str = DIMSE  # DIMSE or DICOMWEB
    # DICOM (DIMSE)
    ae_title: str = ""  # the PACS's AE title (called AE)
    host: str = ""
    port: int = 104
    calling_ae: str = "SODSEND"  # this app's own AE title, as the PACS knows it
    tls: bool = False  # DICOM over TLS (the server certificate is verified)
    ca_file: str = ""  # extra CA certificate for a site's own CA (TLS and HTTPS)
    retrieve: str = RETRIEVE_GET  # C-GET, or C-MOVE to this app's storage SCP
    move_port: int = 11112  # the port of this app's storage SCP (registered at the PACS for C-MOVE)
    move_listen: str = "0.0.0.0"  # where that SCP listens (the PACS must reach it)
    # DICOMweb
    base_url: str = ""  # e.g. https://pacs.example.org/dicom-web
    username: str = ""
    password: str = ""  # secret: the node store is sealed by the vault

    @property
    def is_dicomweb(self) -> bool:
        return self.kind == DICOMWEB

    def describe(self) -> str:
        """Where the node is, for messages (no secrets)."""
        if self.is_dicomweb:
            return self.base_url
        return f"{self.ae_title}@{self.host}:{self.port}"

    def with_changes(self, **changes) -> PacsNode:
        return replace(self, **changes)


def _ae_title(value: str, what: str) -> str:
    value = value.strip()
    if not _AE.fullmatch(value) or "\\" in value:
        raise InputError(f"{what} must be 1 to 16 plain characters (letters, digits, no backslash)")
    return value


def _port(value, what: str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number") from None
    if not 1 <= port <= 65535:
        raise InputError(f"{what} must be between 1 and 65535")
    return port


def validated(node: PacsNode) -> PacsNode:
    """The node with its fields checked and trimmed; raises InputError naming the field to fix."""
    name = node.name.strip()
    if not name:
        raise InputError("Give the node a name")
    if node.kind == DICOMWEB:
        url = node.base_url.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise InputError("The DICOMweb URL must be an http(s) address, e.g. https://pacs.example.org/dicom-web")
        return replace(node, name=name, base_url=url, username=node.username.strip())
    if node.kind != DIMSE:
        raise InputError(f"Unknown kind of node {node.kind!r}")
    host = node.host.strip()
    if not host or not re.fullmatch(r"[A-Za-z0-9.\-:\[\]_]+", host):
        raise InputError("Enter the PACS host name or address")
    if node.retrieve not in (RETRIEVE_GET, RETRIEVE_MOVE):
        raise InputError("Retrieve must be C-GET or C-MOVE")
    return replace(
        node,
        name=name,
        host=host,
        ae_title=_ae_title(node.ae_title, "The PACS AE title"),
        calling_ae=_ae_title(node.calling_ae, "Own AE title"),
        port=_port(node.port, "The port"),
        move_port=_port(node.move_port, "The storage port for C-MOVE"),
    )
