"""`sodclient outbox list|retry`: deliveries whose upload or notification mail could not finish yet."""

from __future__ import annotations

from sodclient.exit_codes import Exit
from sodclient.services import outbox


def register(sub) -> None:
    p = sub.add_parser("outbox", help="list or retry notification mails that could not be sent yet")
    actions = p.add_subparsers(dest="outbox_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="show pending mails").set_defaults(handler=_list)
    actions.add_parser("retry", help="try to send every pending mail now").set_defaults(handler=_retry)


def _list(args, profile) -> int:
    entries = outbox.pending(profile)
    if not entries:
        print("the outbox is empty")
        return 0
    for e in entries:
        to = ", ".join(e.to + e.cc)
        what = "upload + mail" if e.upload_pending else "mail"
        print(
            f"{e.id}  {e.created}  {what} to {to}  link {e.link}  attempts {e.attempts}\n    last error: {e.last_error}"
        )
    return 0


def _retry(args, profile) -> int:
    outcomes = outbox.retry(profile)
    if not outcomes:
        print("the outbox is empty")
        return 0
    for o in outcomes:
        print(f"{o.entry.id}: {'sent' if o.sent else 'still pending - ' + o.error}")
    return Exit.OK if all(o.sent for o in outcomes) else Exit.SERVER
