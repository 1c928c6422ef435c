"""`sodclient trust-host [--fingerprint SHA256:...]`: see, then explicitly trust, the SFTP server's key."""

from __future__ import annotations

from sodclient.exit_codes import Exit
from sodclient.services.connection import trust_host


def register(sub) -> None:
    p = sub.add_parser("trust-host", help="show the SFTP server's key fingerprint; trust it with --fingerprint")
    p.add_argument(
        "--fingerprint", metavar="SHA256:...", help="trust the server only if its key has exactly this fingerprint"
    )
    p.set_defaults(handler=_run)


def _run(args, profile) -> int:
    status = trust_host(profile, args.fingerprint)
    if not status.trusted:
        print(
            f"{status.host} port {status.port} presents a {status.key_type} key with fingerprint\n"
            f"  {status.fingerprint}"
        )
        print(
            "It is NOT trusted yet. Compare it with the fingerprint from your IT department, then run:\n"
            f"  sodclient trust-host --fingerprint {status.fingerprint}"
        )
        return Exit.SERVER
    print(f"{status.host} port {status.port} is trusted ({status.key_type} {status.fingerprint})")
    return Exit.OK
