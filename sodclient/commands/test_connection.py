"""`sodclient test-connection`: check SFTP, SMTP and the link template; print a plain diagnosis."""

from __future__ import annotations

from sodclient.exit_codes import Exit
from sodclient.services.connection import test_connection


def register(sub) -> None:
    p = sub.add_parser("test-connection", help="check the SFTP and SMTP settings and explain any problem")
    p.set_defaults(handler=_run)


def _run(args, profile) -> int:
    diagnosis = test_connection(profile)
    print(diagnosis.to_text())
    return Exit.OK if diagnosis.ok else Exit.SERVER
