"""Project-wide promises: the core never imports Qt, the container never touches the network, and the
commands answer --version/--help without a display."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules(package: str, skip: str | None = None) -> list[str]:
    mods = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if skip and rel.parts[:2] == (package, skip):
            continue
        if rel.name == "__main__":
            continue
        mods.append(".".join(p for p in rel.parts if p != "__init__"))
    return mods


def _imports_after(modules: list[str]) -> set[str]:
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def test_core_never_imports_qt():
    loaded = _imports_after(_modules("sodclient", skip="ui"))
    assert not any(m.split(".")[0] in ("PySide6", "shiboken6") for m in loaded)


def test_container_has_no_qt_and_no_network():
    loaded = _imports_after(_modules("sodformat"))
    banned = {"PySide6", "paramiko", "socket", "smtplib", "http", "urllib3", "requests", "sodclient"}
    assert not ({m.split(".")[0] for m in loaded} & banned)


def test_commands_print_version_and_help():
    for prog in ("sodformat.cli", "sodclient"):
        out = subprocess.run([sys.executable, "-m", prog, "--help"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and "usage:" in out.stdout
    version = subprocess.run([sys.executable, "-m", "sodclient", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("sodclient ")
