"""The audit trail's vocabulary: every kind of event, in one naming style, with the fields each carries.

Style: `<area>` for the action done, `<area>-<outcome>` for anything else (`send`, `send-failed`,
`sign-in`, `sign-in-failed`). The area is what the audit viewer filters by ("kind"). A record of a
known event must carry its required fields and nothing outside its allowed ones, so two places that
write the same event write the same story. Records written before these names (`trust-host`,
`library-import`) keep their names in the file (their MACs cover them) and are read through LEGACY.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

STYLE = re.compile(r"[a-z]+(-[a-z]+)*")


class AuditEvent(StrEnum):
    SEND = "send"
    SEND_FAILED = "send-failed"
    REPLY = "reply"
    PEER_REVIEW = "peer-review"
    UPLOAD = "upload"
    UPLOAD_PENDING = "upload-pending"
    NOTIFY = "notify"
    NOTIFY_QUEUED = "notify-queued"
    IMPORT = "import"
    IMPORT_FAILED = "import-failed"
    IMPORT_OWN = "import-own"  # the user's own files into the library
    PURGE = "purge"
    TRUST = "trust"  # an SSH host key accepted by fingerprint
    CONFIG_CHANGE = "config-change"
    IDENTITY_CREATE = "identity-create"
    IDENTITY_MIGRATE = "identity-migrate"
    PASSPHRASE_CHANGE = "passphrase-change"
    IDENTITY_KEY_FILE = "identity-key-file"  # no OS keyring: the profile's keys kept in a passphrase-sealed file
    SIGN_IN = "sign-in"
    SIGN_IN_FAILED = "sign-in-failed"
    LOCK = "lock"
    DOCUMENTS_SAVED = "documents-saved"  # a copy written outside the app (Save As, Export)
    DOCUMENTS_OPENED_OUTSIDE = "documents-opened-outside"  # handed to the system's viewer or printer
    REVOKE = "revoke"  # deleted from the server before it expired
    PACS_RETRIEVE = "pacs-retrieve"  # a study retrieved from a PACS and filed into the library
    PACS_RETRIEVE_FAILED = "pacs-retrieve-failed"
    PACS_SEND = "pacs-send"  # documents stored in a PACS (C-STORE or STOW-RS)
    PACS_SEND_FAILED = "pacs-send-failed"
    IMPORT_DISC = "import-disc"  # series from a CD/DVD (DICOMDIR or headers) into the library
    CONFIG_PACS_NODE = "config-pacs-node"  # a PACS node saved or removed (System → PACS Nodes)

    def __str__(self) -> str:
        return self.value


# Names release 0.1.0 and the first services wrote, read as today's names (never rewritten in the file).
LEGACY: dict[str, AuditEvent] = {"trust-host": AuditEvent.TRUST, "library-import": AuditEvent.IMPORT_OWN}

# The areas the viewer offers as kinds, in menu order.
AREAS = [
    "send",
    "reply",
    "peer-review",
    "upload",
    "notify",
    "import",
    "purge",
    "revoke",
    "trust",
    "config",
    "identity",
    "sign-in",
    "lock",
    "documents",
    "pacs",
]


@dataclass(frozen=True)
class Spec:
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    open: bool = False  # further fields allowed (Peer Review reports grow with the engine)


def _spec(required: str = "", optional: str = "", open: bool = False) -> Spec:
    return Spec(frozenset(required.split()), frozenset(optional.split()), open)


_SEND_FIELDS = (
    "remote_name size files unlock_by_key unlock_by_phrase to cc expires peer_review left_out notified signed"
)
SPECS: dict[AuditEvent, Spec] = {
    AuditEvent.SEND: _spec(_SEND_FIELDS, "delivery"),
    AuditEvent.REPLY: _spec(_SEND_FIELDS + " in_reply_to", "delivery"),
    AuditEvent.SEND_FAILED: _spec("reason to cc", "in_reply_to"),
    AuditEvent.PEER_REVIEW: _spec("inputs outputs left_out", open=True),
    AuditEvent.UPLOAD: _spec(
        "remote_name size", "attempts seconds cipher engine via outbox_id published_by verified_by"
    ),
    AuditEvent.UPLOAD_PENDING: _spec("remote_name size outbox_id"),
    AuditEvent.NOTIFY: _spec("remote_name to cc via", "outbox_id attempts"),
    AuditEvent.NOTIFY_QUEUED: _spec("remote_name to cc outbox_id"),
    AuditEvent.IMPORT: _spec("documents duplicates", "bytes signer signed delivery in_reply_to threaded"),
    AuditEvent.IMPORT_FAILED: _spec("reason", "container_size"),
    AuditEvent.IMPORT_OWN: _spec("documents duplicates"),
    AuditEvent.PURGE: _spec("remote_name reason"),
    AuditEvent.TRUST: _spec("host port fingerprint"),
    AuditEvent.CONFIG_CHANGE: _spec("keys"),
    AuditEvent.IDENTITY_CREATE: _spec("protection recipient"),
    AuditEvent.IDENTITY_MIGRATE: _spec("protection recipient"),
    AuditEvent.PASSPHRASE_CHANGE: _spec("recipient"),
    AuditEvent.IDENTITY_KEY_FILE: _spec(),
    AuditEvent.SIGN_IN: _spec("protection", "via"),
    AuditEvent.SIGN_IN_FAILED: _spec("reason", "via"),
    AuditEvent.LOCK: _spec("reason"),
    AuditEvent.DOCUMENTS_SAVED: _spec("documents how"),
    AuditEvent.DOCUMENTS_OPENED_OUTSIDE: _spec("documents how"),
    AuditEvent.REVOKE: _spec("remote_name found"),
    AuditEvent.PACS_RETRIEVE: _spec("method instances documents duplicates"),
    AuditEvent.PACS_RETRIEVE_FAILED: _spec("method reason"),
    AuditEvent.PACS_SEND: _spec("method instances stored failed not_dicom"),
    AuditEvent.PACS_SEND_FAILED: _spec("method reason"),
    AuditEvent.IMPORT_DISC: _spec("series documents duplicates dicomdir"),
    AuditEvent.CONFIG_PACS_NODE: _spec("change nodes", "kind"),
}


def event_of(name: str) -> AuditEvent | None:
    """The typed event a stored name means (today's names and the legacy ones); None if unknown."""
    if name in LEGACY:
        return LEGACY[name]
    try:
        return AuditEvent(name)
    except ValueError:
        return None


def area_of(name: str) -> str:
    """The kind the viewer filters by: `send-failed` -> send, `identity-create` -> identity."""
    event = event_of(name)
    text = event.value if event else name
    if text.startswith("sign-in"):
        return "sign-in"
    if text in ("passphrase-change",) or text.startswith("identity"):
        return "identity"
    if text.startswith("config"):
        return "config"
    if text == "import-own":
        return "import"
    for area in sorted(AREAS, key=len, reverse=True):
        if text == area or text.startswith(area + "-"):
            return area
    return text.split("-", 1)[0]


def check(event: AuditEvent | str, fields: dict) -> str:
    """The name to store for `event`, after checking its fields; ValueError names what is wrong."""
    typed = event if isinstance(event, AuditEvent) else event_of(str(event))
    if typed is None:
        raise ValueError(f"unknown audit event {event!r}: add it to sodclient.audit_events.AuditEvent")
    if str(event) in LEGACY:
        raise ValueError(f"audit event {event!r} is a legacy name; record {typed.value!r}")
    spec = SPECS[typed]
    missing = spec.required - set(fields)
    unknown = set() if spec.open else set(fields) - spec.required - spec.optional
    if missing or unknown:
        raise ValueError(f"audit event {typed.value!r}: missing {sorted(missing)}, unexpected {sorted(unknown)}")
    return typed.value
