"""SMTP notification of the recipient, and the store of mails that could not be sent yet (a leaf:
it never imports config, audit, library or services)."""

from sodclient.notify.mail import Notification, compose
from sodclient.notify.outbox import Outbox, OutboxEntry
from sodclient.notify.smtp import MailError, SmtpTarget, TlsUntrusted, send_message

__all__ = [
    "Notification",
    "compose",
    "Outbox",
    "OutboxEntry",
    "MailError",
    "SmtpTarget",
    "TlsUntrusted",
    "send_message",
]
