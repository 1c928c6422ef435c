"""`sodclient key show [--create]`: print your own public key, in the form the contact form accepts."""

from __future__ import annotations

from pathlib import Path

from sodclient.commands.identity import new_passphrase
from sodclient.errors import InputError
from sodclient.services import identity


def register(sub) -> None:
    p = sub.add_parser("key", help="your own key: `key show` prints the public key to give to people who send to you")
    actions = p.add_subparsers(dest="key_action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print your public key (one line: encryption key, then signing key)")
    show.add_argument(
        "--create",
        action="store_true",
        help="create your key first if you have none yet (protected as `identity create` does)",
    )
    show.add_argument(
        "--new-passphrase-file",
        type=Path,
        metavar="F",
        help="with --create: file with the passphrase that protects the new key",
    )
    show.set_defaults(handler=_show)


def _show(args, profile) -> int:
    if args.create and identity.start_status(profile).state == "none":
        identity.create_identity(profile, new_passphrase(args, profile))
    text = identity.public_key_text(profile)
    if text is None:
        raise InputError(
            "You have no key yet: create it with `sodclient key show --create`, or in the app under "
            "System → My Key and Contacts."
        )
    print(text)
    return 0
