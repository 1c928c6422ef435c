"""The `sodclient` command: the same core the desktop UI drives, for admins and scripts."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from sodformat.errors import SodError

from sodclient import __version__, commands
from sodclient.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sodclient",
        description="SOD Send: send medical documents securely. Run without a command to open the app; "
        "give a .sod file to open it for import.",
    )
    parser.add_argument("--version", action="version", version=f"sodclient {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def _gui_requested(argv: list[str]) -> bool:
    """No sub-command, or a single .sod file (what the OS double-click sends): open the app."""
    return not argv or (len(argv) == 1 and argv[0].lower().endswith(".sod"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if _gui_requested(argv):
        from sodclient.ui.app import run_app  # Qt is imported only here

        return run_app(argv)
    parser = build_parser()
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
