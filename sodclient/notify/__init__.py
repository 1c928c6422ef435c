"""SMTP notification of the recipient, with a persistent outbox for mails that could not go yet."""

from sodclient.notify.mail import Notification, compose
from sodclient.notify.outbox import OutboxEntry, RetryOutcome, pending, retry
from sodclient.notify.smtp import MailError, SmtpTarget, TlsUntrusted, send_message

__all__ = ["Notification", "compose", "OutboxEntry", "RetryOutcome", "pending", "retry", "MailError",
           "SmtpTarget", "TlsUntrusted", "send_message"]
