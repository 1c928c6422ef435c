"""The installers: the Linux association for real (install.sh into a scratch XDG home, then xdg-mime names the
app), the Windows and macOS files agreeing with it (names, ProgID/UTI, extension, MIME type, version), the
icons generated from the SVGs, and the site defaults the installers ship."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import sodclient
from sodformat import limits

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
RESOURCES = ROOT / "resources"
MIME_TYPE = "application/x-sod-container"
NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


def test_desktop_entry_declares_the_sod_type():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(INSTALLER / "linux" / "sodsend.desktop")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Exec"] == "sodclient %f"
    assert "application/x-sod-container" in d["MimeType"].split(";")
    assert d["Categories"].endswith(";") and d["Icon"] == "sodsend"


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils not installed")
def test_desktop_entry_validates():
    out = subprocess.run(
        ["desktop-file-validate", str(INSTALLER / "linux" / "sodsend.desktop")], capture_output=True, text=True
    )
    assert out.returncode == 0 and "error:" not in out.stdout, out.stdout


def test_mime_magic_matches_the_container():
    root = ET.parse(INSTALLER / "linux" / "sodsend-mime.xml").getroot()
    mime = root.find("m:mime-type", NS)
    assert mime.get("type") == "application/x-sod-container"
    assert {g.get("pattern") for g in mime.findall("m:glob", NS)} >= {"*.sod"}
    value = mime.find("m:magic/m:match", NS).get("value")
    assert value.encode("latin-1").decode("unicode_escape").encode("latin-1") == limits.MAGIC


@pytest.mark.skipif(not shutil.which("update-mime-database"), reason="shared-mime-info not installed")
def test_install_script_registers_the_association(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share"), "SODSEND_SKIP_PIP": "1", "HOME": str(tmp_path)}
    subprocess.run(["sh", str(INSTALLER / "linux" / "install.sh")], env=env, check=True, capture_output=True)
    share = tmp_path / "share"
    assert (share / "applications" / "sodsend.desktop").exists()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "sodsend.svg").exists()
    globs = (share / "mime" / "globs2").read_text()
    assert "application/x-sod-container:*.sod" in globs


def _xdg_env(home: Path) -> dict[str, str]:
    """A scratch XDG home and nothing of the machine's desktop session (generic xdg-mime back end)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "share"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_DIRS": f"{home / 'share'}:/usr/local/share:/usr/share",
        "SODSEND_SKIP_PIP": "1",
    }


@pytest.mark.skipif(
    not (shutil.which("xdg-mime") and shutil.which("update-mime-database")),
    reason="xdg-utils and shared-mime-info not installed (scripts/debian-packages.txt)",
)
def test_xdg_mime_names_the_app_after_install(tmp_path):
    from sodformat import PassphraseRecipient, collect_sources, pack

    env = _xdg_env(tmp_path / "home")
    subprocess.run(["sh", str(INSTALLER / "linux" / "install.sh")], env=env, check=True, capture_output=True)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "note.txt").write_text("synthetic")
    work = tmp_path / "files"
    work.mkdir()
    pack(work / "x.sod", collect_sources([tmp_path / "in"]), [PassphraseRecipient("Pass-phrase-42")])
    (work / "renamed.bin").write_bytes((work / "x.sod").read_bytes())  # no extension: the magic decides

    def query(*args: str) -> str:
        out = subprocess.run(["xdg-mime", "query", *args], env=env, cwd=work, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert query("filetype", "x.sod") == MIME_TYPE
    assert query("filetype", "renamed.bin") == MIME_TYPE
    assert query("default", MIME_TYPE) == "sodsend.desktop"
    share = tmp_path / "home" / "share"
    for size in (16, 48, 256, 512):
        assert (
            share / "icons" / "hicolor" / f"{size}x{size}" / "mimetypes" / "application-x-sod-container.png"
        ).is_file()
    # an untouched XDG home does not know the type: the install made the difference
    assert (
        subprocess.run(
            ["xdg-mime", "query", "default", MIME_TYPE],
            env=_xdg_env(tmp_path / "other"),
            capture_output=True,
            text=True,
        ).stdout.strip()
        == ""
    )


# -- Windows and macOS agree with Linux ------------------------------------------------------------------


def _iss_defines() -> dict[str, str]:
    text = (INSTALLER / "windows" / "sodsend.iss").read_text()
    return dict(re.findall(r'^#define (\w+) "([^"]*)"', text, re.M))


def _spec_constants() -> dict[str, str]:
    text = (INSTALLER / "sodsend.spec").read_text()
    return dict(re.findall(r'^([A-Z_]+) = "([^"]*)"', text, re.M))


def test_windows_macos_and_linux_agree():
    iss, spec = _iss_defines(), _spec_constants()
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str
    desktop.read(INSTALLER / "linux" / "sodsend.desktop")
    mime = ET.parse(INSTALLER / "linux" / "sodsend-mime.xml").getroot().find("m:mime-type", NS)
    # names
    assert iss["AppName"] == spec["APP_NAME"] == desktop["Desktop Entry"]["Name"] == "SOD Send"
    assert iss["AppExe"] == spec["EXE_NAME"] + ".exe"
    # the type: one MIME type, one extension, the ProgID and the UTI
    assert iss["MimeType"] == spec["MIME"] == mime.get("type") == MIME_TYPE
    assert iss["Extension"] == ".sod" and "*.sod" in {g.get("pattern") for g in mime.findall("m:glob", NS)}
    assert iss["ProgId"] == "SODSend.Container" and spec["UTI"] == "org.sodsend.sod"
    iss_text = (INSTALLER / "windows" / "sodsend.iss").read_text()
    assert (
        'Subkey: "Software\\Classes\\{#Extension}"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"'
        in iss_text
    )
    spec_text = (INSTALLER / "sodsend.spec").read_text()
    assert '"LSItemContentTypes": [UTI]' in spec_text and '"public.filename-extension": ["sod", "SOD"]' in spec_text
    # one version: sodclient.__version__, which pyproject reads and the spec parses
    assert iss["AppVersion"] == sodclient.__version__
    assert 'version = { attr = "sodclient.__version__" }' in (ROOT / "pyproject.toml").read_text()
    assert 'VERSION = re.search(r\'__version__ = "([^"]+)"\'' in spec_text
    # icons: the same files everywhere
    assert "SetupIconFile=..\\..\\resources\\sodsend.ico" in iss_text and "sod-document.ico" in iss_text
    assert '"sodsend.icns" if sys.platform == "darwin" else "sodsend.ico"' in spec_text
    assert (INSTALLER / "linux" / "sodsend.desktop").read_text().count("Icon=sodsend") == 1
    # the site defaults travel with every installer
    assert '"site-defaults.ini"' in spec_text
    assert "installer/site-defaults.ini" in (INSTALLER / "linux" / "install.sh").read_text()


# -- icons --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sodsend", "sod-document"])
def test_icons_are_generated_from_the_svg(name):
    from PIL import Image

    ET.parse(RESOURCES / f"{name}.svg")  # well-formed source
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        with Image.open(RESOURCES / "icons" / f"{name}-{size}.png") as png:
            assert png.size == (size, size) and png.mode == "RGBA"
            assert png.getchannel("A").getextrema() == (0, 255)  # a shape on a clear ground
            assert len(png.convert("RGB").getcolors(maxcolors=1 << 20)) > 2  # drawn, not a flat square
    with Image.open(RESOURCES / f"{name}.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(RESOURCES / f"{name}.icns") as icns:
        assert {(16, 16, 2), (128, 128, 1), (256, 256, 1)} <= set(icns.info["sizes"])


# -- site defaults -----------------------------------------------------------------------------------------


def test_shipped_site_defaults_load_and_their_examples_are_real_settings(tmp_path):
    from sodclient.profile import Profile

    shipped = INSTALLER / "site-defaults.ini"
    settings = Profile.at(tmp_path / "a", site_defaults=shipped).settings()
    assert all(origin != "site" for origin in settings.origin.values())  # all commented out: changes nothing
    # uncommented, every documented example is a known, valid, non-secret key the app then uses
    examples = re.sub(r"^# (\w+ = .*)$", r"\1", shipped.read_text(), flags=re.M)
    site = tmp_path / "site.ini"
    site.write_text(examples)
    settings = Profile.at(tmp_path / "b", site_defaults=site).settings()
    from_site = {k for k, origin in settings.origin.items() if origin == "site"}
    assert {"sftp.host", "sftp.remote_dir", "smtp.host", "smtp.security", "smtp.from", "link.template"} <= from_site
    assert settings["sftp.host"] == "sftp.hospital.example"
