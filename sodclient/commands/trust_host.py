"""`sodclient trust-host [--fingerprint SHA256:...]`: see, then explicitly trust, the SFTP server's key."""

from __future__ import annotations

from sodclient import audit
from sodclient.config import load_settings
from sodclient.transport import hostkeys
from sodclient.transport.errors import FingerprintMismatch, UnknownHostKey
from sodclient.transport.session import SftpSession, SftpTarget


def register(sub) -> None:
    p = sub.add_parser("trust-host", help="show the SFTP server's key fingerprint; trust it with --fingerprint")
    p.add_argument("--fingerprint", metavar="SHA256:...",
                   help="trust the server only if its key has exactly this fingerprint")
    p.set_defaults(handler=_run)


def _run(args) -> int:
    settings = load_settings()
    settings.require("sftp.host")
    target = SftpTarget(settings["sftp.host"], settings["sftp.port"], settings["sftp.username"],
                        settings["sftp.remote_dir"])
    try:
        with SftpSession(target, accept_fingerprint=args.fingerprint, host_key_only=True) as s:
            fp, kind = s.server_fingerprint, s.server_key_type
    except UnknownHostKey as exc:
        if args.fingerprint:
            raise FingerprintMismatch(target.host, exc.fingerprint, args.fingerprint) from None
        print(f"{target.host} port {target.port} presents a {exc.key_type} key with fingerprint\n  {exc.fingerprint}")
        print("It is NOT trusted yet. Compare it with the fingerprint from your IT department, then run:\n"
              f"  sodclient trust-host --fingerprint {exc.fingerprint}")
        return 1
    if args.fingerprint and not hostkeys.same_fingerprint(args.fingerprint, fp):
        raise FingerprintMismatch(target.host, fp, args.fingerprint)
    if args.fingerprint:
        audit.record("trust-host", host=target.host, port=target.port, fingerprint=fp)
    print(f"{target.host} port {target.port} is trusted ({kind} {fp})")
    return 0
