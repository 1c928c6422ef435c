"""One audit record as one plain sentence, for the audit viewer and `sodclient audit`.

The trail stores internal event names and `key=value` fields (stable, machine-checkable); people read this
instead: "Sent 3 documents (13.5 KB) to dr@example.org, available until 2026-12-16 10:00 CET." Error kinds
become words; unknown events still read as a sentence listing their details, so a newer trail stays readable.
"""

from __future__ import annotations

from typing import Any

from sodclient.audit_events import event_of
from sodclient.wording import human_size, local_time

# Kinds of failure (exception class names stored in `reason`) in the words a user understands.
REASON_WORDS = {
    "TransferError": "the server could not be reached or refused the upload",
    "InputError": "something given was not valid",
    "SecureStoreError": "the secure store (keyring) could not be used",
    "PeerReviewLeftOut": "Peer Review had to leave documents out",
    "UploadPending": "the upload did not finish and waits in the outbox",
    "AuthenticationError": "the passphrase or key did not open it, or it was altered",
    "NoMatchingIdentityError": "it was not sent to this key or passphrase",
    "ExpiredError": "it had expired",
    "FormatError": "it is damaged or not a SOD container",
    "LimitError": "it is larger than this app accepts",
    "CancelledError": "it was cancelled",
    "LibraryError": "the library could not file the documents",
    "SodError": "the container was refused",
}


def _n(count: Any, one: str, many: str | None = None) -> str:
    count = int(count or 0)
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _people(rec: dict) -> str:
    people = [*(rec.get("to") or []), *(rec.get("cc") or [])]
    return ", ".join(people) if people else "nobody"


def _reason(value: Any) -> str:
    return REASON_WORDS.get(str(value), str(value).replace("_", " ") if value else "for an unknown reason")


def _sentence(event: str, f: dict) -> str:
    name = f.get("remote_name", "")
    if event == "send":
        text = f"Sent {_n(f.get('files'), 'document')} ({human_size(f.get('size', 0))}) to {_people(f)}"
        if f.get("expires"):
            text += f", available until {local_time(f['expires'])}"
        if f.get("peer_review"):
            text += f"; Peer Review made copies without patient details ({_n(f.get('left_out'), 'item')} left out)"
        if f.get("notified") is False:
            text += "; the e-mail waits in the outbox"
        return text + "."
    if event == "send-failed":
        return f"A send to {_people(f)} failed: {_reason(f.get('reason'))}."
    if event == "upload":
        via = " from the outbox" if f.get("via") == "outbox" else ""
        return f"Uploaded {human_size(f.get('size', 0))}{via} as {name}."
    if event == "upload-pending":
        return f"The upload of {name} ({human_size(f.get('size', 0))}) did not finish; it waits in the outbox."
    if event == "notify":
        via = " (from the outbox)" if f.get("via") == "outbox" else ""
        return f"E-mailed the download link for {name} to {_people(f)}{via}."
    if event == "notify-queued":
        return f"The e-mail to {_people(f)} about {name} could not be sent yet; it waits in the outbox."
    if event == "import":
        text = f"Received and filed {_n(f.get('documents'), 'document')} ({human_size(f.get('bytes', 0))})"
        if f.get("duplicates"):
            text += f"; {_n(f.get('duplicates'), 'document was', 'documents were')} already in the library"
        text += ", signed by the sender" if f.get("signed") else ", not signed"
        return text + "."
    if event == "import-failed":
        return f"A received container was not imported: {_reason(f.get('reason'))}."
    if event == "import-own":
        text = f"Imported {_n(f.get('documents'), 'document')} into the library"
        if f.get("duplicates"):
            text += f" ({_n(f.get('duplicates'), 'was', 'were')} already there)"
        return text + "."
    if event == "peer-review":
        text = (
            f"Peer Review checked {_n(f.get('inputs'), 'document')}: {_n(f.get('outputs'), 'copy', 'copies')} "
            f"made without patient details, {_n(f.get('left_out'), 'item')} left out"
        )
        if f.get("boxes_by_hand"):
            numbers = [str(n) for n in f.get("cleaned_by_hand") or []]
            text += f"; {_n(f.get('boxes_by_hand'), 'area')} blanked by hand"
            if numbers:
                text += f" in document{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}"
        return text + "."
    if event == "trust":
        return (
            f"Trusted the server {f.get('host')} (port {f.get('port')}) with the key fingerprint "
            f"{f.get('fingerprint')}."
        )
    if event == "config-change":
        keys = f.get("keys") or []
        return f"Changed the settings: {', '.join(map(str, keys)) if keys else 'none'}."
    if event == "purge":
        why = _reason(f.get("reason")) if f.get("reason") else ""
        return f"Deleted {name} from the server" + (f" ({why})." if why else ".")
    if event == "documents-saved":
        how = {"save as": "with Save As", "export": "to a folder"}.get(str(f.get("how", "")), "")
        return f"Saved a copy of {_n(f.get('documents'), 'document')} outside the app {how}".rstrip() + "."
    if event == "documents-opened-outside":
        how = "for printing" if f.get("how") == "print" else "in another program (the system's viewer)"
        return f"Opened {_n(f.get('documents'), 'document')} {how}, outside the app."
    if event == "revoke":
        return f"Deleted {name} from the server before it expired, at the sender's request."
    if event == "reply":
        return f"Replied to delivery {f.get('in_reply_to')}: sent {_n(f.get('files'), 'document')} to {_people(f)}."
    if event in ("pacs-retrieve", "pacs-send"):
        how = str(f.get("method", "")).upper().replace("_", "-")
        if event == "pacs-retrieve":
            return (
                f"Retrieved {_n(f.get('instances'), 'image')} from a PACS ({how}) into the library"
                f" ({_n(f.get('duplicates'), 'was', 'were')} already there)."
            )
        return (
            f"Sent {_n(f.get('instances'), 'image')} to a PACS ({how}): {_n(f.get('stored'), 'stored')}, "
            f"{_n(f.get('failed'), 'failed')}."
        )
    if event in ("pacs-retrieve-failed", "pacs-send-failed"):
        what = "A retrieve from" if event == "pacs-retrieve-failed" else "A send to"
        return f"{what} a PACS failed: {_reason(f.get('reason'))}."
    if event == "import-disc":
        return (
            f"Imported {_n(f.get('series'), 'series', 'series')} ({_n(f.get('documents'), 'document')}) from a CD/DVD."
        )
    if event == "config-pacs-node":
        return f"Changed the PACS nodes ({str(f.get('change', 'changed')).replace('-', ' ')})."
    if event == "sign-in":
        return "Signed in."
    if event == "sign-in-failed":
        why = {"wrong-passphrase": "wrong passphrase", "no-passphrase": "no passphrase given"}.get(
            str(f.get("reason", "")), _reason(f.get("reason"))
        )
        return f"A sign-in failed ({why})."
    if event == "lock":
        return "Locked after the idle time." if f.get("reason") == "idle" else "Locked."
    if event in ("identity-create", "identity-migrate"):
        verb = "Created" if event == "identity-create" else "Protected the existing"
        return f"{verb} your key ({f.get('protection')} protection)."
    if event == "passphrase-change":
        return "Changed the SOD Send passphrase."
    if event == "identity-key-file":
        return "Started keeping SOD Send's keys in a file protected by the SOD Send passphrase (no OS keyring here)."
    details = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sorted(f.items()))
    return f"{event.replace('-', ' ').capitalize()}" + (f" ({details})." if details else ".")


def sentence(record: dict[str, Any]) -> str:
    """The record's event as one sentence (without its time: see `line`)."""
    name = str(record.get("event", ""))
    typed = event_of(name)  # old trails' names read as today's
    return _sentence(typed.value if typed else name, dict(record.get("fields") or {}))


def line(record: dict[str, Any]) -> str:
    """'2026-12-02 10:15 CET  Sent 3 documents ...': a record as the command line and the viewer list it."""
    when = record.get("time")
    try:
        stamp = local_time(when) if when else "(no time)"
    except ValueError:
        stamp = str(when)
    return f"{stamp}  {sentence(record)}"
