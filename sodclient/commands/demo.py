"""`sodclient demo`: try the app without servers of one's own.

Opens a sender's and a recipient's window over two throw-away profiles, with an SFTP server, a mail
catcher and a download site on this computer (127.0.0.1) and synthetic sample studies. Nothing of the
user's own profile is read or changed; closing a demo window stops everything and deletes it all.
The windows are Qt, which only `sodclient.cli` may import, so this module only declares the command.
"""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="try SOD Send: a sender, a recipient and their servers on this computer",
        description="Open the demo: a sender's and a recipient's window with synthetic sample studies, an "
        "SFTP server, a mail catcher (the Demo inbox) and a download site, all on 127.0.0.1. Nothing of your "
        "own profile is used; closing a demo window stops and deletes everything.",
    )
    p.set_defaults(handler=None, window="demo")
