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


# -- layer rules (docs/architecture.md) ------------------------------------------------------------------
# Read from the source with `ast`, so imports inside functions (the lazy ones) count as much as top-level ones.

import ast  # noqa: E402


def _sodclient_imports(path: Path) -> set[tuple[str, str]]:
    """(module, name) pairs for every `import sodclient...` / `from sodclient... import name` in a file."""
    found: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {(a.name, "") for a in node.names if a.name.startswith("sodclient")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("sodclient"):
            found |= {(node.module, a.name) for a in node.names}
    return found


def _graph() -> dict[str, set[tuple[str, str]]]:
    graph = {}
    for path in sorted((ROOT / "sodclient").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        module = ".".join(p for p in rel.parts if p != "__init__")
        graph[module] = _sodclient_imports(path)
    return graph


def _targets(imports: set[tuple[str, str]]) -> set[str]:
    """The modules an import statement reaches: `from sodclient.services import outbox` reaches both."""
    out = set()
    for module, name in imports:
        out.add(module)
        if name:
            out.add(f"{module}.{name}")
    return out


def _under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _violations(rule) -> list[str]:
    return sorted(f"{src} -> {dst}" for src, imports in _graph().items() for dst in _targets(imports) if rule(src, dst))


def test_transport_and_notify_are_leaves():
    upper = (
        "sodclient.config",
        "sodclient.audit",
        "sodclient.library",
        "sodclient.services",
        "sodclient.profile",
        "sodclient.vault",
        "sodclient.keys",
        "sodclient.deliveries",
        "sodclient.ui",
        "sodclient.commands",
    )
    assert _violations(lambda s, d: _under(s, "sodclient.transport", "sodclient.notify") and _under(d, *upper)) == []


def test_pacs_is_a_leaf():
    upper = (
        "sodclient.config",
        "sodclient.audit",
        "sodclient.library",
        "sodclient.services",
        "sodclient.profile",
        "sodclient.vault",
        "sodclient.keys",
        "sodclient.deliveries",
        "sodclient.ui",
        "sodclient.commands",
        "sodclient.transport",
        "sodclient.notify",
        "sodclient.deid",
    )
    assert _violations(lambda s, d: _under(s, "sodclient.pacs") and _under(d, *upper)) == []


def test_peer_review_engine_is_a_leaf():
    upper = (
        "sodclient.config",
        "sodclient.audit",
        "sodclient.library",
        "sodclient.services",
        "sodclient.profile",
        "sodclient.vault",
        "sodclient.transport",
        "sodclient.notify",
        "sodclient.ui",
        "sodclient.commands",
    )
    assert _violations(lambda s, d: _under(s, "sodclient.deid") and _under(d, *upper)) == []


def test_demo_servers_and_samples_are_a_leaf():
    base = (
        "sodclient.errors",
        "sodclient.progress",
        "sodclient.files",
        "sodclient.paths",
        "sodclient.logs",
        "sodclient.demo",
    )
    assert _violations(lambda s, d: _under(s, "sodclient.demo") and not _under(d, *base)) == []


def test_nothing_below_services_imports_them():
    assert (
        _violations(
            lambda s, d: (
                not _under(s, "sodclient.services", "sodclient.ui", "sodclient.commands", "sodclient.cli")
                and _under(d, "sodclient.services")
            )
        )
        == []
    )


def test_ui_is_imported_only_by_the_entry_point():
    assert (
        _violations(lambda s, d: _under(d, "sodclient.ui") and not _under(s, "sodclient.ui") and s != "sodclient.cli")
        == []
    )


def test_only_the_command_line_maps_exit_codes():
    assert (
        _violations(
            lambda s, d: (
                _under(d, "sodclient.exit_codes")
                and not _under(s, "sodclient.cli", "sodclient.commands", "sodclient.exit_codes")
            )
        )
        == []
    )


# What the command line and the UI may use: the services, the profile, and plain values and types.
_EDGE_MAY_USE = (
    "sodclient.services",
    "sodclient.profile",
    "sodclient.errors",
    "sodclient.progress",
    "sodclient.exit_codes",
    "sodclient.logs",
    "sodclient.passphrase_policy",
    "sodclient.library.imaging",
    "sodclient.deid.options",
    "sodclient.transport.errors",
    "sodclient.ui",
    "sodclient.commands",
    "sodclient.wording",
    "sodclient.audit_text",
)
_EDGE_VALUES = {
    ("sodclient", "__version__"),
    ("sodclient", "commands"),
    ("sodclient", "passphrase_policy"),
    ("sodclient", "wording"),
    ("sodclient", "audit_text"),
    ("sodclient.library", "Document"),
    ("sodclient.config", "KEYS"),
    ("sodclient.config", "ConfigError"),
    ("sodclient.config", "Settings"),
    ("sodclient.config", "label"),
}


def test_cli_and_ui_call_services_and_nothing_below():
    bad = []
    for src, imports in _graph().items():
        if not _under(src, "sodclient.ui", "sodclient.commands", "sodclient.cli"):
            continue
        for module, name in imports:
            if (module, name) in _EDGE_VALUES or _under(module, *_EDGE_MAY_USE):
                continue
            bad.append(f"{src} -> {module}{'.' + name if name else ''}")
    assert bad == []


def test_environment_is_read_only_at_the_edge():
    """SODCLIENT_HOME and friends select a profile in one place (Profile.from_environment)."""
    readers = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "sodclient").rglob("*.py")
        if "SODCLIENT_HOME" in p.read_text(encoding="utf-8")
        or "SODCLIENT_SITE_DEFAULTS" in p.read_text(encoding="utf-8")
    )
    assert readers == ["sodclient/profile.py"]


def test_no_module_builds_profile_paths_itself():
    assert [p for p in (ROOT / "sodclient").rglob("*.py") if "app_paths" in p.read_text(encoding="utf-8")] == []
