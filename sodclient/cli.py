"""The `sodclient` command: the same core the desktop UI drives, for admins and scripts."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from sodformat.errors import SodError

from sodclient import __version__, commands
from sodclient.errors import UserError


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sodclient",
        description="SOD Send: send medical documents securely. Run without a command to open the app; "
        "give a .sod file to open it for import.",
    )
    parser.add_argument("--version", action="version", version=f"sodclient {__version__}")
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
    return not argv or (len(argv) == 1 and argv[0].lower().endswith(".sod"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if _gui_requested(argv):
        from sodclient.ui.app import run_app  # Qt is imported only here

        return run_app(argv)
    parser = build_parser(only=argv[0] if not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"sodclient: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except SodError as exc:  # the container's own one-line errors (damaged, expired, wrong key...)
        print(f"sodclient: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sodclient: cancelled", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for a user; the type says where to look
        print(f"sodclient: error: unexpected failure ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
