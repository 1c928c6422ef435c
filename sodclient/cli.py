"""The `sodclient` command: the same services the desktop UI drives, for admins and scripts.

This is an edge: it builds the `Profile` from the environment, sets up the support log, and maps every
error to an exit code through the one table in `sodclient.exit_codes`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from sodformat.errors import CancelledError, SodError

from sodclient import __version__, commands
from sodclient.errors import UserError
from sodclient.exit_codes import Exit, exit_code_for, table

log = logging.getLogger("sodclient.cli")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    codes = "; ".join(f"{code} {meaning}" for code, meaning in table())
    parser = argparse.ArgumentParser(
        prog="sodclient",
        description="SOD Send: send medical documents securely. Run without a command to open the app; "
        "give a .sod file to open it for import.",
        epilog=f"Exit codes: {codes}.",
    )
    parser.add_argument("--version", action="version", version=f"sodclient {__version__}")
    parser.add_argument("--debug", action="store_true", help="also print the support log on stderr")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation without a display: open and close the main window "
                        "offscreen, then send and receive a small container through the demo's servers")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules(only):
        importlib.import_module(f"{commands.__name__}.{name}").register(sub)
    return parser


def _command_modules(only: str | None) -> list[str]:
    """Module names under sodclient.commands; just the one for `only` when it names a command, so a
    command does not pay for importing every other command's dependencies (paramiko, pydicom...)."""
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    if only:
        wanted = only.replace("-", "_")
        for candidate in (wanted, wanted + "_"):  # `import` lives in import_.py (a Python keyword)
            if candidate in names:
                return [candidate]
    return names


def _gui_requested(argv: list[str]) -> bool:
    """No sub-command, or a single .sod file (what the OS double-click sends): open the app."""
    rest = [a for a in argv if a != "--debug"]
    return not rest or (len(rest) == 1 and rest[0].lower().endswith(".sod"))


def _first_command(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if _gui_requested(argv):
        from sodclient.ui.app import run_app  # Qt is imported only here

        return run_app([a for a in argv if a != "--debug"], debug="--debug" in argv)
    parser = build_parser(only=_first_command(argv))
    args = parser.parse_args(argv)
    if args.self_test or getattr(args, "window", None):   # commands that open windows: Qt is imported here
        from sodclient.ui.windows import run_window_command

        return run_window_command("self-test" if args.self_test else args.window, debug=args.debug)
    if not getattr(args, "handler", None):
        parser.print_help()
        return Exit.OK
    from sodclient.logs import setup_logging
    from sodclient.profile import Profile

    profile = Profile.from_environment()
    try:
        setup_logging(profile.paths.log_dir, debug=args.debug)
    except OSError:  # a read-only profile must not stop a command that needs no log
        pass
    log.info("command %s started (version %s)", args.command, __version__)
    try:
        code = int(args.handler(args, profile) or 0)
    except (UserError, SodError, KeyboardInterrupt) as exc:
        code = exit_code_for(exc)
        message = "cancelled" if isinstance(exc, (KeyboardInterrupt, CancelledError)) else f"error: {exc}"
        print(f"sodclient: {message}", file=sys.stderr)
        log.info("command %s ended: %s (exit %d)", args.command, type(exc).__name__, code)
        return code
    except Exception as exc:  # never a traceback for a user; the log has it (redacted)
        log.exception("command %s failed unexpectedly", args.command)
        print(f"sodclient: error: unexpected failure ({type(exc).__name__}); details are in the log folder "
              f"{profile.paths.log_dir}", file=sys.stderr)
        return Exit.FAILED
    log.info("command %s ended (exit %d)", args.command, code)
    return code
