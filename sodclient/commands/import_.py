"""`sodclient import`: open a received .SOD and file it into the library, like the app does."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sodclient import wording
from sodclient.commands.identity import add_identity_passphrase_option, unlock_identity
from sodclient.errors import InputError, LibraryError
from sodclient.progress import ProgressReport
from sodclient.services.receive import import_container
from sodformat import load_identity
from sodformat.errors import SodError
from sodformat.recipients import read_passphrase_file


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "import",
        help="open a received .sod file and import it into the library",
        description="Decrypt and verify a .sod container, then import every document "
        "into the library (all or nothing).",
    )
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="F",
        help="file whose first line is the passphrase (never pass it on the command line)",
    )
    who.add_argument(
        "--identity",
        type=Path,
        metavar="KEYFILE",
        help="your identity file (default: your own key, when the container was sent to it)",
    )
    p.add_argument("file", type=Path, metavar="FILE.sod", help="the received container")
    add_identity_passphrase_option(p)
    p.set_defaults(handler=run)


def _progress(report: ProgressReport) -> None:
    if sys.stderr.isatty() and report.total:
        print(f"\r{report.stage}: {100 * report.done // max(1, report.total)}%", end="", file=sys.stderr)


def run(args: argparse.Namespace, profile) -> int:
    if not args.file.is_file():
        raise InputError(f"{args.file} does not exist or is not a file.")
    passphrase = None
    identity = None
    if args.passphrase_file:
        try:
            passphrase = read_passphrase_file(args.passphrase_file)
        except SodError as exc:
            raise InputError(str(exc)) from None
    elif args.identity:
        try:
            identity = load_identity(args.identity)
        except SodError as exc:
            raise InputError(str(exc)) from None
    else:
        identity = unlock_identity(args, profile)
        if identity is None:
            raise InputError("Give --passphrase-file or --identity (you have no key of your own yet).")
    try:
        opened, result = import_container(
            profile, args.file, passphrase=passphrase, identity=identity, progress=_progress
        )
    except (SodError, LibraryError) as exc:  # same kind, one line that says nothing was filed
        raise type(exc)(f"{exc} Nothing was imported.") from None
    finally:
        if sys.stderr.isatty():
            print(file=sys.stderr)
    sender = opened.sender_name or (opened.signer or "unsigned")
    print(
        f"Imported {len(result.documents)} document(s) ({result.duplicates} already present); "
        f"sender: {sender}; expires {wording.local_time(opened.expires)}."
    )
    if opened.delivery is not None:
        reply = f"; a reply to {opened.delivery.in_reply_to}" if opened.delivery.in_reply_to else ""
        print(f"Delivery {opened.delivery.id}{reply} (reply with `sodclient send --in-reply-to {opened.delivery.id}`).")
    return 0
