"""Start-up cost of the command lines: `--help` must not import the heavy libraries (issue 14).

`sodclient --help` lists every command from a light reading of the command modules' sources; these tests
check that listing says what the real parsers say, and that no heavy library is loaded to print it.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from sodclient import cli, commands

HEAVY = ("cryptography", "zstandard", "paramiko", "asyncssh", "pydicom", "numpy", "PySide6", "keyring")

PROBE = """
import sys
from {module} import main
try:
    main(["--help"])
except SystemExit:
    pass
print("LOADED", sorted({{m.split(".")[0] for m in sys.modules}}))
"""


@pytest.mark.parametrize("module", ["sodclient.cli", "sodformat.cli"])
def test_help_imports_no_heavy_library(module):
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True, check=True
    ).stdout
    assert "usage:" in out
    loaded = out.split("LOADED", 1)[1]
    assert not [name for name in HEAVY if f"'{name}'" in loaded], loaded


def test_light_listing_matches_every_command_module():
    full = argparse.ArgumentParser().add_subparsers()
    for name in {module for module, _ in cli._command_listing().values()}:
        importlib.import_module(f"{commands.__name__}.{name}").register(full)
    real = {a.dest: a.help for a in full._choices_actions}
    light = {name: helptext for name, (_, helptext) in cli._command_listing().items()}
    assert light == real


def test_a_command_parses_with_only_its_own_module():
    parser = cli.build_parser(only="trust-host")
    assert set(parser._subparsers._group_actions[0].choices) == {"trust-host"}
    assert parser.parse_args(["trust-host"]).handler


def test_sodformat_names_load_on_first_use():
    import sodformat

    assert sodformat.pack is importlib.import_module("sodformat.writer").pack
    with pytest.raises(AttributeError):
        sodformat.no_such_name  # noqa: B018


def test_quick_exit_still_flushes_the_support_log_and_keeps_the_exit_code(profile):
    """`python -m sodclient` skips module teardown at exit (cli.run); the log and the exit code must survive."""
    ok = subprocess.run([sys.executable, "-m", "sodclient", "outbox", "list"], capture_output=True, text=True)
    assert ok.returncode == 0 and "outbox" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "sodclient", "import", str(profile.paths.data / "none.sod")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "does not exist" in bad.stderr
    log = (profile.paths.log_dir / "sodsend.log").read_text()
    assert "command outbox ended (exit 0)" in log and "command import ended: InputError (exit 2)" in log
