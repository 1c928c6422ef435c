"""`sodclient test-connection`: check SFTP, SMTP and the link template; print a plain diagnosis."""

from __future__ import annotations

from sodclient.config import load_settings
from sodclient.transport.diagnosis import test_connection


def register(sub) -> None:
    p = sub.add_parser("test-connection", help="check the SFTP and SMTP settings and explain any problem")
    p.set_defaults(handler=_run)


def _run(args) -> int:
    diagnosis = test_connection(load_settings())
    print(diagnosis.to_text())
    return 0 if diagnosis.ok else 4
