"""`sodclient identity`: show the state of your key; create, protect or re-wrap it. Also the one place
every command that needs your key asks for the passphrase (`--identity-passphrase-file`, or a prompt)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from sodclient.errors import InputError
from sodclient.services import identity
from sodformat import Identity
from sodformat.errors import SodError
from sodformat.recipients import read_passphrase_file


def add_identity_passphrase_option(parser) -> None:
    parser.add_argument(
        "--identity-passphrase-file",
        type=Path,
        metavar="F",
        help="file whose first line is your SOD Send passphrase (unlocks your key; without it "
        "the command asks on the terminal when it needs your key)",
    )


def _read(path: Path) -> str:
    try:
        return read_passphrase_file(str(path))
    except SodError as exc:
        raise InputError(str(exc)) from None


def _ask(prompt: str) -> str:
    if not sys.stdin.isatty():
        raise identity.SignInRequired(
            "your key is protected by your SOD Send passphrase: give --identity-passphrase-file (no terminal to ask on)"
        )
    return getpass.getpass(prompt)


def unlock_identity(args, profile) -> Identity | None:
    """Your key for this command, or None when you have none. Asks only when a passphrase protects it."""
    status = identity.start_status(profile)
    if status.state == "none":
        return None
    if status.state != identity.PASSPHRASE:
        return identity.sign_in(profile, via="cli")
    path = getattr(args, "identity_passphrase_file", None)
    passphrase = _read(path) if path else _ask("SOD Send passphrase: ")
    return identity.sign_in(profile, passphrase, via="cli")


def register(sub) -> None:
    p = sub.add_parser("identity", help="your own key: show it, create or protect it, change its passphrase")
    p.add_argument(
        "action",
        nargs="?",
        default="show",
        choices=["show", "create", "protect", "change-passphrase"],
        help="show (default); create a key; protect a release 0.1.0 key file; change the passphrase",
    )
    add_identity_passphrase_option(p)
    p.add_argument(
        "--new-passphrase-file",
        type=Path,
        metavar="F",
        help="file with the new passphrase (create, protect, change-passphrase)",
    )
    p.set_defaults(handler=_run)


def new_passphrase(args, profile) -> str | None:
    """The passphrase for a new or re-wrapped key: none where the site keeps keys in the keyring (except to
    change one), else --new-passphrase-file or asked twice on the terminal."""
    if identity.site_protection(profile) == identity.KEYRING and getattr(args, "action", "") != "change-passphrase":
        return None
    if args.new_passphrase_file:
        return _read(args.new_passphrase_file)
    first, second = _ask("New SOD Send passphrase: "), _ask("Repeat it: ")
    if first != second:
        raise InputError("the two passphrases differ")
    return first


def _run(args, profile) -> int:
    status = identity.start_status(profile)
    if args.action == "create":
        created = identity.create_identity(profile, new_passphrase(args, profile))
        print(f"created your key ({identity.site_protection(profile)} protection)\n{created.recipient}")
        return 0
    if args.action == "protect":
        if status.state != "plain":
            raise InputError("there is no unprotected key file to protect")
        identity.migrate_identity(profile, new_passphrase(args, profile))
        print("your key is now protected; the unprotected file was removed")
        return 0
    if args.action == "change-passphrase":
        old = _read(args.identity_passphrase_file) if args.identity_passphrase_file else _ask("Current passphrase: ")
        new = new_passphrase(args, profile)
        assert new is not None  # changing asks for one whatever the site's protection
        identity.change_passphrase(profile, old, new)
        print("passphrase changed")
        return 0
    recipient, signer = identity.public_keys(profile) if status.state != "plain" else ("", "")
    print(f"state: {status.state}")
    if recipient:
        print(f"public key:  {recipient}\nsigning key: {signer}")
    return 0
