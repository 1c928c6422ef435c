"""`sodclient send`: Peer Review (optional), pack, upload, notify; prints the download link."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from sodclient import wording
from sodclient.commands.deid import add_blank_option, blank_boxes
from sodclient.commands.identity import add_identity_passphrase_option, unlock_identity
from sodclient.deid.options import PeerReviewOptions
from sodclient.errors import InputError, PeerReviewLeftOut
from sodclient.exit_codes import Exit
from sodclient.progress import CancelToken, ProgressReport
from sodclient.services.peer_review import require_all_safe, review
from sodclient.services.reply import documents_by_id, reply_request, stage_documents
from sodclient.services.send import SendRequest, preflight, send
from sodformat.errors import SodError
from sodformat.limits import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS
from sodformat.recipients import read_passphrase_file


def register(sub) -> None:
    p = sub.add_parser("send", help="encrypt, upload and e-mail a download link (or reply to a delivery)")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files and folders to send")
    p.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="EMAIL",
        help="recipient (repeatable; a reply goes to the original sender by default)",
    )
    p.add_argument("--cc", action="append", default=[], metavar="EMAIL", help="copy to (repeatable)")
    p.add_argument(
        "--passphrase-file",
        action="append",
        default=[],
        type=Path,
        metavar="F",
        help="file whose first line is a transfer passphrase (min. 10 chars, upper, lower, digit)",
    )
    p.add_argument("--recipient", action="append", default=[], metavar="PUB", help="recipient public key sod1...")
    p.add_argument("--message", default="", help="text for the mail (NOT encrypted: no patient details)")
    p.add_argument(
        "--expires-in-days",
        type=int,
        default=None,
        metavar="N",
        help=f"1 to {MAX_EXPIRY_DAYS} days, or less where the site caps it (default {DEFAULT_EXPIRY_DAYS} "
        "or the site's maximum)",
    )
    p.add_argument(
        "--in-reply-to",
        metavar="ID",
        default="",
        help="reply to the received delivery with this id (shown by `sodclient thread`): to its sender, "
        "with their key when they are a known contact, threaded under the original's case",
    )
    p.add_argument(
        "--document",
        action="append",
        type=int,
        default=[],
        metavar="N",
        help="also attach library document N (repeatable; ids from `sodclient thread --documents`)",
    )
    p.add_argument("--peer-review", action="store_true", help="de-identify the inputs before packing")
    p.add_argument("--yes", action="store_true", help="if Peer Review leaves inputs out, send the rest without asking")
    add_blank_option(p)
    p.add_argument("--quiet", action="store_true", help="print only the link")
    p.add_argument(
        "--no-sign",
        action="store_true",
        help="do not sign with your own key (by default a send is signed when you have one)",
    )
    add_identity_passphrase_option(p)
    p.set_defaults(handler=_run)


def _read_passphrase(path: Path) -> str:
    try:
        return read_passphrase_file(path)
    except SodError as exc:
        raise InputError(str(exc)) from None


class _Printer:
    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._last = ""

    def __call__(self, r: ProgressReport) -> None:
        if self.quiet:
            return
        pct = f"{100 * r.done / r.total:5.1f}%" if r.total else f"{r.done / 1e6:8.1f} MB"
        rate = f" {r.rate / 1e6:6.1f} MB/s" if r.rate else ""
        eta = f" {r.eta_s:4.0f} s left" if r.eta_s is not None else ""
        line = f"{r.stage:<10} {pct}{rate}{eta} {r.detail}".rstrip()
        if r.stage == "connect":  # seconds waited of the time allowed, not bytes
            if not self.tty and r.done and r.done != r.total:
                return
            line = f"{r.detail}…" + (f" {r.done} s (gives up after {r.total} s)" if r.done != r.total else "")
        if self.tty:
            print("\r" + line.ljust(len(self._last)), end="", file=sys.stderr, flush=True)
        elif r.detail or r.done == r.total:
            print(line, file=sys.stderr)
        self._last = line


def _request(args, profile, paths: list[Path]) -> SendRequest:
    passphrases = [_read_passphrase(p) for p in args.passphrase_file]
    days = args.expires_in_days
    if days is None:
        days = min(DEFAULT_EXPIRY_DAYS, profile.settings().max_expiry_days())
    if args.in_reply_to:
        request = reply_request(
            profile,
            args.in_reply_to,
            paths,
            message=args.message,
            passphrases=passphrases,
            to=args.to,
            cc=args.cc,
            expires_in_days=days,
            sign=not args.no_sign,
        )
        request.recipient_keys += args.recipient
        return request
    if not args.to:
        raise InputError("give the recipient's e-mail address (--to)")
    return SendRequest(
        paths=paths,
        to=args.to,
        cc=args.cc,
        passphrases=passphrases,
        recipient_keys=args.recipient,
        message=args.message,
        expires_in_days=days,
        sign=not args.no_sign,
    )


def _run(args, profile) -> int:
    staged_dir = None
    paths = list(args.paths)
    if args.document:
        staged, staged_dir = stage_documents(profile, documents_by_id(profile, args.document))
        paths += staged
    try:
        return _send(args, profile, paths)
    finally:
        if staged_dir is not None:
            shutil.rmtree(staged_dir, ignore_errors=True)


def _send(args, profile, paths: list[Path]) -> int:
    if not paths:
        raise InputError("nothing to send: give at least one file or folder, or --document")
    boxes = blank_boxes(args.blank)
    if boxes and not args.peer_review:
        raise InputError("--blank is part of Peer Review: add --peer-review")
    request = _request(args, profile, paths)
    if request.sign:
        unlock_identity(args, profile)  # asks for the passphrase only when one protects your key
    printer = _Printer(args.quiet)
    cancel = CancelToken()
    try:
        preflight(profile, request)  # before a long Peer Review: a send that cannot go fails at once
        if args.peer_review:
            options = PeerReviewOptions(extra_boxes=boxes)
            request.reviewed = review(profile, paths, options, progress=printer, cancel=cancel)
            if not args.yes:
                require_all_safe(request.reviewed)
        result = send(profile, request, printer, cancel)
    except PeerReviewLeftOut as exc:
        print(exc.report.to_text(), file=sys.stderr)
        raise
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    finally:
        if request.reviewed is not None:
            request.reviewed.discard()
        if printer.tty and not args.quiet:
            print(file=sys.stderr)
    if args.quiet:
        print(result.link)
        return Exit.OK if result.notified else Exit.MAIL_QUEUED
    print(f"uploaded {wording.human_size(result.size)}; available until {wording.local_time(result.expires)}")
    if result.peer_review is not None:
        print(result.peer_review.to_text())
    if result.notified:
        print(f"notified {', '.join(request.to + request.cc)}")
    else:
        print(
            f"the notification mail could not be sent ({result.notify_error}); it waits in the outbox: "
            "run `sodclient outbox retry` later"
        )
    print(result.link)
    return Exit.OK if result.notified else Exit.MAIL_QUEUED
