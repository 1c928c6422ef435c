"""`sodclient identity`: show the state of your key; create, protect or re-wrap it; keep SOD Send's keys in a
passphrase-protected key file where there is no OS keyring. Also the one place every command that needs your
key or that key file asks for the passphrase: `--identity-passphrase-file`, else the file named by
SODCLIENT_PASSPHRASE_FILE (for scripts), else a prompt when there is a terminal, else a one-line error."""

from __future__ import annotations

import getpass
import os
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


PASSPHRASE_FILE_VARIABLE = "SODCLIENT_PASSPHRASE_FILE"
KEY_IS_PROTECTED = "your key is protected by your SOD Send passphrase"  # why a command asks


def _ask(prompt: str, why: str = KEY_IS_PROTECTED) -> str:
    if not sys.stdin.isatty():
        raise identity.SignInRequired(
            f"{why}: give --identity-passphrase-file or set {PASSPHRASE_FILE_VARIABLE} to a file holding it "
            "(no terminal to ask on)"
        )
    return getpass.getpass(prompt)


def _passphrase(args, why: str = KEY_IS_PROTECTED) -> str:
    """The SOD Send passphrase from the option, the variable or the terminal; asked at most once a command
    (the key file and the key take the same one)."""
    known = getattr(args, "_sod_passphrase", None)
    if known:
        return known
    path = getattr(args, "identity_passphrase_file", None) or os.environ.get(PASSPHRASE_FILE_VARIABLE)
    passphrase = _read(Path(path)) if path else _ask("SOD Send passphrase: ", why)
    args._sod_passphrase = passphrase
    return passphrase


def give_key_file_passphrase(args, profile) -> None:
    """Every command: where the profile keeps its keys in a key file, the passphrase is read (or asked)
    when the key file is first needed, never before and never for a command that does not need it."""
    identity.ask_for_key_file_passphrase_with(
        profile, lambda: _passphrase(args, "SOD Send's keys are in a file protected by your SOD Send passphrase")
    )


def unlock_identity(args, profile) -> Identity | None:
    """Your key for this command, or None when you have none. Asks only when a passphrase protects it."""
    status = identity.start_status(profile)
    if status.state == "none":
        return None
    if status.state != identity.PASSPHRASE:
        return identity.sign_in(profile, via="cli")
    return identity.sign_in(profile, _passphrase(args), via="cli")


def register(sub) -> None:
    p = sub.add_parser("identity", help="your own key: show it, create or protect it, change its passphrase")
    p.add_argument(
        "action",
        nargs="?",
        default="show",
        choices=["show", "create", "protect", "change-passphrase", "key-file"],
        help="show (default); create a key; protect a release 0.1.0 key file; change the passphrase; "
        "key-file: keep SOD Send's keys in a file protected by your SOD Send passphrase (computers "
        "without an OS keyring)",
    )
    add_identity_passphrase_option(p)
    p.add_argument(
        "--new-passphrase-file",
        type=Path,
        metavar="F",
        help="file with the new passphrase (create, protect, change-passphrase, key-file)",
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


def _key_file(args, profile, status) -> int:
    if identity.key_store(profile) != "none":
        raise InputError("SOD Send's keys are already kept (in this computer's keyring or a key file); nothing to do")
    if status.state == identity.PASSPHRASE:  # the key file takes the passphrase that opens your key
        passphrase = _passphrase(args)
    elif args.new_passphrase_file:
        passphrase = _read(args.new_passphrase_file)
    elif not sys.stdin.isatty():
        raise InputError("give --new-passphrase-file with the passphrase for the key file (no terminal to ask on)")
    else:
        passphrase = _ask("New SOD Send passphrase: ")
        if passphrase != _ask("Repeat it: "):
            raise InputError("the two passphrases differ")
    identity.create_key_file(profile, passphrase)
    print("SOD Send's keys are now kept in a file protected by your SOD Send passphrase")
    return 0


_STORES = {
    "keyring": "this computer's keyring",
    "key-file": "a file protected by your SOD Send passphrase",
    "key-file-open": "a file protected by your SOD Send passphrase",
    "local": "the demo's own file",
    "none": "nowhere yet (no keyring on this computer: see `sodclient identity key-file`)",
}


def _run(args, profile) -> int:
    status = identity.start_status(profile)
    if args.action == "key-file":
        return _key_file(args, profile, status)
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
    print(f"keys kept in: {_STORES[identity.key_store(profile)]}")
    if recipient:
        print(f"public key:  {recipient}\nsigning key: {signer}")
    return 0
