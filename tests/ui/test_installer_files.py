"""The Linux file association: desktop entry and MIME type parse, the magic matches the container format,
and install.sh registers them (files only) in a scratch XDG data folder."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sodformat import limits

INSTALLER = Path(__file__).resolve().parents[2] / "installer"
NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


def test_desktop_entry_declares_the_sod_type():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(INSTALLER / "linux" / "sodsend.desktop")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Exec"] == "sodclient %f"
    assert "application/x-sod-container" in d["MimeType"].split(";")
    assert d["Categories"].endswith(";")


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
