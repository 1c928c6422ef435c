"""What a finished delivery looks like to its caller, whether it went out at once or from the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sodclient.transport.upload import UploadResult


@dataclass(frozen=True)
class SendResult:
    link: str
    remote_name: str
    expires: datetime
    size: int
    notified: bool  # False: the mail waits in the outbox (see notify_error)
    notify_error: str = ""
    outbox_id: str = ""
    upload: UploadResult | None = None
    peer_review: Any = None  # the PeerReviewReport when Peer Review ran
