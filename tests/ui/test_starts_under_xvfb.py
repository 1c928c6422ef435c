"""The real app, started as a user starts it, on a real X server (Xvfb) with Qt's xcb platform, not offscreen:
the test the "aborts with signal 6 on a fresh Debian" bug would have failed. Also the start-up check's sentence."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sodclient.ui import platform_check

REPO = Path(__file__).resolve().parents[2]

# Runs in its own process on the X server: grabs the root window (what a person would see) once it has content.
GRAB = r"""
import sys, time
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
deadline = time.monotonic() + 40
while time.monotonic() < deadline:
    image = QGuiApplication.primaryScreen().grabWindow(0).toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 16) for y in range(0, image.height(), 16)}
    if len(colours) > 20:
        time.sleep(1.0)  # let the window finish painting
        QGuiApplication.primaryScreen().grabWindow(0).save(sys.argv[1])
        print(len(colours))
        sys.exit(0)
    time.sleep(0.3)
sys.exit("nothing was drawn on the screen")
"""


@pytest.fixture(scope="module")
def xvfb():
    if not shutil.which("Xvfb"):
        pytest.skip("Xvfb is not installed (scripts/debian-packages.txt lists xvfb)")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x700x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        display = ":" + pipe.readline().strip()
    yield display
    server.terminate()
    server.wait(10)


def test_app_opens_its_window_on_xcb_and_can_be_seen(xvfb, tmp_path):
    env = {**os.environ, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb", "SODCLIENT_HOME": str(tmp_path / "home")}
    env.pop("WAYLAND_DISPLAY", None)
    assert platform_check.platform_problem(env) is None, platform_check.platform_problem(env)
    app = subprocess.Popen([sys.executable, "-m", "sodclient"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        shot = tmp_path / "xcb-start.png"
        grab = subprocess.run(
            [sys.executable, "-c", GRAB, str(shot)], env=env, capture_output=True, text=True, timeout=90
        )
        assert app.poll() is None, f"the app ended (exit {app.returncode}): {app.stderr.read()}"
        assert grab.returncode == 0, grab.stderr
        assert shot.stat().st_size > 5000
        keep = os.environ.get("SODSEND_KEEP_SCREENSHOT")  # for a person to look at
        if keep:
            shutil.copy(shot, keep)
    finally:
        app.terminate()
        app.wait(20)


def test_without_a_display_the_app_says_so_in_one_sentence(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["SODCLIENT_HOME"] = str(tmp_path)
    run = subprocess.run([sys.executable, "-m", "sodclient"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "no display" in run.stderr


def test_a_missing_library_is_named_with_its_debian_package():
    ldd = (
        "\tlibxcb-icccm.so.4 => not found\n\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x1)\n"
        "\tlibxcb-keysyms.so.1 => not found\n\tlibxcb-icccm.so.4 => not found\n"
    )
    missing = platform_check.missing_libraries(ldd)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    sentence = platform_check.sentence_for(missing)
    assert "apt-get install libxcb-icccm4 libxcb-keysyms1" in sentence and "\n" not in sentence


def test_every_library_of_the_xcb_plugin_has_its_package_listed():
    """A Qt upgrade that needs a new library fails here, not on a user's machine."""
    listed = {
        line.strip()
        for line in (REPO / "scripts/debian-packages-app.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert set(platform_check.DEBIAN_PACKAGE_OF.values()) - {"libopengl0"} <= listed
    plugin = platform_check.xcb_plugin()
    if not plugin or not shutil.which("readelf"):
        pytest.skip("no xcb plugin or readelf here")
    lib = plugin.parents[2] / "lib"
    needed: set[str] = set()
    for path in (plugin, *lib.glob("libQt6XcbQpa.so*"), *lib.glob("libQt6Gui.so*")):
        out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
        needed |= {line.split("[")[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line}
    system = {
        n
        for n in needed
        if not n.startswith(
            (
                "libQt6",
                "libicu",
                "libc.",
                "libm.",
                "libstdc++",
                "libgcc_s",
                "ld-linux",
                "libz.",
                "libzstd",
                "libpthread",
                "libdl.",
            )
        )
    }
    assert system - set(platform_check.DEBIAN_PACKAGE_OF) == set()
