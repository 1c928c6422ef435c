"""Replying to an imported delivery: back to its sender, threaded to it.

`reply_target(profile, delivery_id)` says where a reply goes: the sender's address (the known contact's,
else the one the sender put in the authenticated delivery) and, when the delivery was signed by a known
contact, that contact's public key, so the reply needs no passphrase. `reply_request(...)` builds the
`SendRequest` (message, files from disk and library documents) that `services.send.send` sends; the send
records a `reply` audit event and files the reply under the original's case in the library.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from sodclient.errors import InputError
from sodclient.keys import contact_for_signer
from sodclient.library import Document, Message
from sodclient.profile import Profile
from sodclient.services.send import SendRequest


@dataclass(frozen=True)
class ReplyTarget:
    delivery_id: str
    to: str  # the original sender's e-mail address ("" if the delivery did not say)
    recipient_key: str  # their sod1... key when the delivery was signed by a known contact, else ""
    contact_name: str
    case_id: int | None  # the case the original was filed under


def received(profile: Profile, case_id: int) -> list[Message]:
    """The deliveries received under a case, newest first (what Reply answers)."""
    return [m for m in reversed(profile.library().thread(case_id)) if m.direction == "received"]


def thread(profile: Profile, case_id: int) -> list[Message]:
    """The case's conversation, oldest first: the original delivery and every reply, both ways."""
    return profile.library().thread(case_id)


def all_messages(profile: Profile) -> list[Message]:
    return profile.library().messages()


def case_documents(profile: Profile, case_id: int) -> list[Document]:
    return profile.library().documents(case_id=case_id)


def reply_target(profile: Profile, delivery_id: str) -> ReplyTarget:
    original = profile.library().message(delivery_id.strip().lower(), "received")
    if original is None:
        raise InputError("no received delivery with that id in your library (`sodclient import` it first)")
    contact = contact_for_signer(profile.paths, original.signer)
    to = (contact.email if contact and contact.email else "") or original.counterpart
    return ReplyTarget(
        original.delivery_id,
        to,
        contact.recipient if contact else "",
        contact.name if contact else "",
        original.case_id,
    )


def documents_by_id(profile: Profile, ids: list[int]) -> list[Document]:
    library = profile.library()
    found = []
    for number in ids:
        doc = library.document(number)
        if doc is None:
            raise InputError(f"there is no library document {number}")
        found.append(doc)
    return found


def stage_documents(profile: Profile, documents: list[Document]) -> tuple[list[Path], Path]:
    """Library documents as files to attach (in a private spool folder the caller removes)."""
    work = profile.ensure().paths.spool / f"reply-{uuid.uuid4().hex}"
    try:
        return profile.library().stage(documents, work, keep_titles=True), work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def reply_request(
    profile: Profile,
    delivery_id: str,
    paths: list[Path],
    *,
    message: str = "",
    passphrases: list[str] | None = None,
    to: list[str] | None = None,
    cc: list[str] | None = None,
    expires_in_days: int | None = None,
    sign: bool = True,
) -> SendRequest:
    """A reply: to the original sender (unless `to` says otherwise), with their key when they are a known
    signed contact, else with a passphrase (the caller gives one)."""
    target = reply_target(profile, delivery_id)
    recipients = list(to or ([target.to] if target.to else []))
    if not recipients:
        raise InputError("the delivery did not say where replies go: give the address (--to)")
    keys = [target.recipient_key] if target.recipient_key else []
    if not keys and not passphrases:
        raise InputError(
            "the sender is not a contact with a known key: give a passphrase for the reply "
            "(--passphrase-file) and tell them it another way"
        )
    days = expires_in_days if expires_in_days is not None else profile.settings().max_expiry_days()
    return SendRequest(
        paths=list(paths),
        to=recipients,
        cc=list(cc or []),
        passphrases=list(passphrases or []),
        recipient_keys=keys,
        message=message,
        expires_in_days=days,
        sign=sign,
        in_reply_to=target.delivery_id,
        case_id=target.case_id,
    )


__all__ = [
    "ReplyTarget",
    "all_messages",
    "case_documents",
    "documents_by_id",
    "received",
    "reply_request",
    "reply_target",
    "stage_documents",
    "thread",
]
