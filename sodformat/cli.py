"""The `sod` command: keygen, pack, unpack, inspect and verify. Every failure is one line on stderr."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sodformat import limits, passphrase_policy
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


class _Version(argparse.Action):
    """--version, looked up only when asked: importlib.metadata pulls in the network modules (email, socket)
    that the container library must not load."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib import metadata

        try:
            version = metadata.version("sod-send")
        except metadata.PackageNotFoundError:  # a source tree that was never installed
            version = "unknown (not installed)"
        print(f"sod {version}")
        parser.exit()


def _checked_passphrase(path: str, allow_weak: bool) -> str:
    """The passphrase in `path`, refused when it fails the policy unless the user says they know."""
    from sodformat.recipients import read_passphrase_file

    passphrase = read_passphrase_file(path)
    problems = passphrase_policy.check(passphrase)
    if problems and not allow_weak:
        raise SodError(
            f"the passphrase in {path} is too weak ({'; '.join(problems)}); choose a stronger one, "
            "or give --allow-weak-passphrase to use it anyway"
        )
    if problems:
        print(
            f"sod: warning: the passphrase in {path} is weak ({'; '.join(problems)}); whoever gets the "
            "container may guess it",
            file=sys.stderr,
        )
    return passphrase


def cmd_pack(args) -> int:
    from sodformat.keys import load_identity, parse_recipient
    from sodformat.recipients import PassphraseRecipient
    from sodformat.writer import collect_sources, pack

    out = Path(args.output)
    if (out.exists() or out.is_symlink()) and not args.force:
        raise SodError(f"{out} already exists; give --force to replace it")
    if not out.absolute().parent.is_dir():
        raise SodError(f"cannot write {out}: the folder {out.absolute().parent} does not exist")
    recipients: list = [
        PassphraseRecipient(_checked_passphrase(f, args.allow_weak_passphrase)) for f in args.passphrase_file
    ]
    recipients += [parse_recipient(r) for r in args.recipient]
    if not recipients:
        raise SodError("give at least one --passphrase-file or --recipient")
    signer = load_identity(args.sign) if args.sign else None
    sources = collect_sources([Path(p) for p in args.paths])
    progress = _Progress("packing")
    try:
        result = pack(
            Path(args.output),
            sources,
            recipients,
            expires_in_days=args.expires_in_days,
            signer=signer,
            progress=progress,
        )
    finally:
        progress.finish()
    files = sum(1 for e in result.entries if not e.is_dir)
    print(
        f"packed {files} file(s), {sum(e.size for e in result.entries)} bytes into {args.output} "
        f"({result.bytes_written} bytes); expires {_when(result.header.expires)}"
    )
    return 0


def _print_contents(contents) -> None:
    print(f"signed by: {contents.signer}" if contents.signer else "signed by: (not signed)")
    print(f"expires:   {_when(contents.header.expires)}")
    if contents.delivery is not None:
        reply = f" (in reply to {contents.delivery.in_reply_to})" if contents.delivery.in_reply_to else ""
        print(f"delivery:  {contents.delivery.id}{reply}")
    for e in contents.entries:
        if e.is_dir:
            print(f"  {'':>12}  {e.name}/")
        else:
            print(f"  {e.size:>12}  {e.name}  [{e.media_type}, sha256 {e.sha256[:16]}...]")


def cmd_unpack(args) -> int:
    parent = Path(args.output).absolute().parent
    if not parent.is_dir():  # create the last folder only: a typo must not build a whole new tree
        raise SodError(f"the folder {parent} does not exist; create it first or choose another output")
    from sodformat.reader import unpack

    progress = _Progress("unpacking")
    try:
        contents = unpack(
            Path(args.input), Path(args.output), _identities(args), allow_expired=args.allow_expired, progress=progress
        )
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
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("keygen", help="create a private identity; prints the public recipient string last")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="KEYFILE",
        help="where to write the new identity (must not exist; written with mode 0600)",
    )
    p.set_defaults(handler=cmd_keygen)

    p = sub.add_parser("pack", help="pack and encrypt files and folders")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.sod",
        help="the container to write (refused if it exists, unless --force)",
    )
    p.add_argument("--force", action="store_true", help="replace OUT.sod if it already exists")
    p.add_argument(
        "--passphrase-file",
        action="append",
        default=[],
        metavar="F",
        help="encrypt to the passphrase in file F (first line; repeatable); it must have at least "
        f"{passphrase_policy.MIN_LENGTH} characters, upper- and lower-case letters and a digit",
    )
    p.add_argument(
        "--allow-weak-passphrase",
        action="store_true",
        help="accept a passphrase that fails that rule (prints a warning)",
    )
    p.add_argument(
        "--recipient",
        action="append",
        default=[],
        metavar="PUB",
        help="encrypt to this public key (sod1..., repeatable)",
    )
    p.add_argument(
        "--expires-in-days",
        type=float,
        default=limits.DEFAULT_EXPIRY_DAYS,
        metavar="N",
        help=f"default {limits.DEFAULT_EXPIRY_DAYS}, at most {limits.MAX_EXPIRY_DAYS}",
    )
    p.add_argument("--sign", metavar="KEYFILE", help="sign with this identity's signing key")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files and folders to pack")
    p.set_defaults(handler=cmd_pack)

    for name, handler, helptext in (
        ("unpack", cmd_unpack, "decrypt, verify and extract (all or nothing)"),
        ("verify", cmd_verify, "decrypt and verify without extracting"),
    ):
        p = sub.add_parser(name, help=helptext)
        if name == "unpack":
            p.add_argument(
                "-o",
                "--output",
                required=True,
                metavar="DIR",
                help="folder to create for the contents (its parent must exist; it must not, or be empty)",
            )
        key = p.add_mutually_exclusive_group(required=True)
        key.add_argument("--passphrase-file", metavar="F", help="the passphrase, in file F (first line)")
        key.add_argument("--identity", metavar="KEYFILE", help="your identity file (from sod keygen)")
        p.add_argument("--allow-expired", action="store_true", help="open a container past its expiry")
        p.add_argument("input", metavar="IN.sod", help="the container")
        p.set_defaults(handler=handler)

    p = sub.add_parser("inspect", help="show what can be known without a key")
    p.add_argument("input", metavar="IN.sod", help="the container")
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
