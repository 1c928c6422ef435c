"""The notification mail: the link, the expiry and the sender's own words; nothing else.

Never the passphrase, never file or patient names. The subject is fixed text. The sender's
message is sent as typed (not encrypted: the UI says so next to the field).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sodclient.wording import human_size


@dataclass(frozen=True)
class Notification:
    to: list[str]
    cc: list[str]
    link: str
    expires: datetime  # UTC
    size: int  # bytes of the container
    message: str = ""  # the sender's own text (as typed)


SUBJECT = "Secure delivery for you (SOD Send)"


def compose(n: Notification, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(n.to)
    if n.cc:
        msg["Cc"] = ", ".join(n.cc)
    msg["Subject"] = SUBJECT
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] if "@" in sender else None)
    lines = [f"{sender} sent you an encrypted delivery with SOD Send.", ""]
    if n.message.strip():
        lines += ["Message from the sender:", "", n.message.strip(), ""]
    lines += [
        "Download it here:",
        f"  {n.link}",
        "",
        f"Available until {n.expires.strftime('%Y-%m-%d %H:%M UTC')} ({human_size(n.size)}).",
        "",
        "Open the downloaded .sod file with SOD Send. The passphrase is not in this mail: the sender will",
        "give it to you another way (phone or in person), or the file opens with your own SOD key.",
    ]
    msg.set_content("\n".join(lines) + "\n")
    return msg
