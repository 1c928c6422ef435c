"""The `sodclient` command: the same services the desktop UI drives, for admins and scripts.

This is an edge: it builds the `Profile` from the environment, sets up the support log, and maps every
error to an exit code through the one table in `sodclient.exit_codes`.
"""

from __future__ import annotations

import argparse
import ast
import atexit
import importlib
import logging
import os
import pkgutil
import sys
import threading
from pathlib import Path

from sodclient import __version__, commands
from sodclient.errors import UserError
from sodclient.exit_codes import Exit, exit_code_for, table
from sodformat.errors import CancelledError, SodError

log = logging.getLogger("sodclient.cli")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser when `only` names a command (just that command's module is imported, so a command
    does not pay for every other command's dependencies: paramiko, pydicom...); otherwise, for `--help`,
    `--version` and mistyped commands, a light parser listing every command without importing any."""
    codes = "; ".join(f"{code} {meaning}" for code, meaning in table())
    parser = argparse.ArgumentParser(
        prog="sodclient",
        description="SOD Send: send medical documents securely. Run without a command to open the app; "
        "give a .sod file to open it for import.",
        epilog=f"Exit codes: {codes}.",
    )
    parser.add_argument("--version", action="version", version=f"sodclient {__version__}")
    parser.add_argument("--debug", action="store_true", help="also print the support log on stderr")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation without a display: open and close the main window "
        "offscreen, then send and receive a small container through the demo's servers",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    listing = _command_listing()
    module = _module_for(only, listing)
    if module:
        importlib.import_module(f"{commands.__name__}.{module}").register(sub)
        return parser
    for name, (module, helptext) in listing.items():
        if helptext is None:  # a module the light reading could not understand: import it after all
            importlib.import_module(f"{commands.__name__}.{module}").register(sub)
        elif name not in sub.choices:
            sub.add_parser(name, help=helptext)
    return parser


def _module_for(command: str | None, listing: dict[str, tuple[str, str | None]]) -> str | None:
    if not command:
        return None
    if command in listing:
        return listing[command][0]
    names = {module for module, _ in listing.values()}
    wanted = command.replace("-", "_")
    for candidate in (wanted, wanted + "_"):  # `import` lives in import_.py (a Python keyword)
        if candidate in names:
            return candidate
    return None


def _command_listing() -> dict[str, tuple[str, str | None]]:
    """{command name: (module, one-line help)} for every module under sodclient.commands, read from the
    first `add_parser("name", help="...")` in its source (`ast`, no import: about 1 ms a module). A module
    written some other way is listed with help None and imported when the listing is shown."""
    listing: dict[str, tuple[str, str | None]] = {}
    folder = Path(commands.__path__[0])
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        path = folder / info.name / "__init__.py" if info.ispkg else folder / f"{info.name}.py"
        found = _first_add_parser(path)
        listing[found[0] if found else info.name] = (info.name, found[1] if found else None)
    return listing


def _first_add_parser(path: Path) -> tuple[str, str] | None:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_parser"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            helptext = next((k.value for k in node.keywords if k.arg == "help"), None)
            if isinstance(helptext, ast.Constant) and isinstance(helptext.value, str):
                return node.args[0].value, helptext.value
            return None
    return None


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
    if args.self_test or getattr(args, "window", None):  # commands that open windows: Qt is imported here
        from sodclient.ui.windows import run_window_command

        return run_window_command("self-test" if args.self_test else args.window, debug=args.debug)
    if not getattr(args, "handler", None):
        parser.print_help()
        return Exit.OK
    from sodclient.commands.identity import give_key_file_passphrase
    from sodclient.logs import setup_logging
    from sodclient.profile import Profile

    profile = Profile.from_environment()
    give_key_file_passphrase(args, profile)  # no OS keyring: the key file's passphrase, read when first needed
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
        print(
            f"sodclient: error: unexpected failure ({type(exc).__name__}); details are in the log folder "
            f"{profile.paths.log_dir}",
            file=sys.stderr,
        )
        return Exit.FAILED
    log.info("command %s ended (exit %d)", args.command, code)
    return code


def run() -> None:
    """The console entry point (`sodclient`, `python -m sodclient`): `main()`, then a quick exit.

    Tearing down the interpreter's modules (paramiko, cryptography, Qt...) costs 0.1-0.4 s after a command
    has finished, measured on a send. Everything Python's normal exit does that matters still runs, in the
    same order: waiting for non-daemon threads and stopping thread pools (`threading._shutdown`), the atexit
    handlers (logging.shutdown, temporary folders), flushing stdout and stderr; only the module teardown is
    skipped, with os._exit. The app (no command, or a .sod file) exits the ordinary way: Qt cleans up after
    itself (its single-instance socket, for one)."""
    code = main()
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is None or _gui_requested(sys.argv[1:]):  # another Python, or the app: the ordinary way
        raise SystemExit(code)
    shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(int(code) if code is not None else 0)
