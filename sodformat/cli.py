"""The `sod` command: keygen, pack, unpack, inspect and verify. Every failure is one line on stderr."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sodformat import limits
from sodformat.errors import SodError

# The crypto and compression modules are imported inside each command, so `sod --help` (and a typo)
# answers without loading cryptography and zstandard.


class _Progress:
    """A one-line progress indicator on stderr, only when stderr is a terminal."""

    def __init__(self, verb: str):
        self.verb, self.enabled, self._last = verb, sys.stderr.isatty(), 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.2:
            return
        self._last = now
        pct = f"{100 * done / total:5.1f}%" if total else ""
        print(f"\r{self.verb} {done / 1e6:10.1f} MB {pct}", end="", file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.enabled:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def _identities(args) -> list:
    from sodformat.keys import load_identity
    from sodformat.recipients import PassphraseIdentity, read_passphrase_file

    if args.passphrase_file:
        return [PassphraseIdentity(read_passphrase_file(args.passphrase_file))]
    return [load_identity(args.identity)]


def _when(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC")


def cmd_keygen(args) -> int:
    from sodformat.keys import generate_identity

    identity = generate_identity()
    identity.save(Path(args.output))
    print(f"# identity written to {args.output} (keep it secret)")
    print(f"# signing key (shown to recipients when you sign): {identity.signing_public}")
    print(identity.recipient)
    return 0


def cmd_pack(args) -> int:
    from sodformat.keys import load_identity, parse_recipient
    from sodformat.recipients import PassphraseRecipient, read_passphrase_file
    from sodformat.writer import collect_sources, pack

    recipients: list = [PassphraseRecipient(read_passphrase_file(f)) for f in args.passphrase_file]
    recipients += [parse_recipient(r) for r in args.recipient]
    if not recipients:
        raise SodError("give at least one --passphrase-file or --recipient")
    signer = load_identity(args.sign) if args.sign else None
    sources = collect_sources([Path(p) for p in args.paths])
    progress = _Progress("packing")
    try:
        result = pack(Path(args.output), sources, recipients, expires_in_days=args.expires_in_days,
                      signer=signer, progress=progress)
    finally:
        progress.finish()
    files = sum(1 for e in result.entries if not e.is_dir)
    print(f"packed {files} file(s), {sum(e.size for e in result.entries)} bytes into {args.output} "
          f"({result.bytes_written} bytes); expires {_when(result.header.expires)}")
    return 0


def _print_contents(contents) -> None:
    print(f"signed by: {contents.signer}" if contents.signer else "signed by: (not signed)")
    print(f"expires:   {_when(contents.header.expires)}")
    for e in contents.entries:
        if e.is_dir:
            print(f"  {'':>12}  {e.name}/")
        else:
            print(f"  {e.size:>12}  {e.name}  [{e.media_type}, sha256 {e.sha256[:16]}...]")


def cmd_unpack(args) -> int:
    from sodformat.reader import unpack

    progress = _Progress("unpacking")
    try:
        contents = unpack(Path(args.input), Path(args.output), _identities(args),
                          allow_expired=args.allow_expired, progress=progress)
    finally:
        progress.finish()
    _print_contents(contents)
    print(f"unpacked {sum(1 for e in contents.entries if not e.is_dir)} file(s) into {args.output}; all verified")
    return 0


def cmd_verify(args) -> int:
    from sodformat.reader import verify

    progress = _Progress("verifying")
    try:
        contents = verify(Path(args.input), _identities(args), allow_expired=args.allow_expired, progress=progress)
    finally:
        progress.finish()
    _print_contents(contents)
    print("OK: the container is intact and every document verified")
    return 0


def cmd_inspect(args) -> int:
    from sodformat.reader import inspect

    info = inspect(Path(args.input))
    state = "EXPIRED" if info.expired() else "valid"
    print(f"format:     SOD version {info.version}, {info.aead}, {info.chunk // 1024} KiB chunks")
    print(f"created:    {_when(info.created)}")
    print(f"expires:    {_when(info.expires)} ({state})")
    print(f"recipients: {', '.join(info.recipients)}")
    print(f"signer:     {info.signer + ' (claimed; verified on unpack/verify)' if info.signer else '(not signed)'}")
    print("contents:   encrypted (a passphrase or key is needed to list them)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sod", description="Create and open encrypted .SOD containers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("keygen", help="create a private identity; prints the public recipient string last")
    p.add_argument("-o", "--output", required=True, metavar="KEYFILE")
    p.set_defaults(handler=cmd_keygen)

    p = sub.add_parser("pack", help="pack and encrypt files and folders")
    p.add_argument("-o", "--output", required=True, metavar="OUT.sod")
    p.add_argument("--passphrase-file", action="append", default=[], metavar="F")
    p.add_argument("--recipient", action="append", default=[], metavar="PUB")
    p.add_argument("--expires-in-days", type=float, default=limits.DEFAULT_EXPIRY_DAYS, metavar="N",
                   help=f"default {limits.DEFAULT_EXPIRY_DAYS}, at most {limits.MAX_EXPIRY_DAYS}")
    p.add_argument("--sign", metavar="KEYFILE", help="sign with this identity's signing key")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(handler=cmd_pack)

    for name, handler, helptext in (("unpack", cmd_unpack, "decrypt, verify and extract (all or nothing)"),
                                    ("verify", cmd_verify, "decrypt and verify without extracting")):
        p = sub.add_parser(name, help=helptext)
        if name == "unpack":
            p.add_argument("-o", "--output", required=True, metavar="DIR")
        key = p.add_mutually_exclusive_group(required=True)
        key.add_argument("--passphrase-file", metavar="F")
        key.add_argument("--identity", metavar="KEYFILE")
        p.add_argument("--allow-expired", action="store_true", help="open a container past its expiry")
        p.add_argument("input", metavar="IN.sod")
        p.set_defaults(handler=handler)

    p = sub.add_parser("inspect", help="show what can be known without a key")
    p.add_argument("input", metavar="IN.sod")
    p.set_defaults(handler=cmd_inspect)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except SodError as exc:
        print(f"sod: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sod: cancelled", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for the user; the type says where to look
        print(f"sod: error: unexpected failure ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
