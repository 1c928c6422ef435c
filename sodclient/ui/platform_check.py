"""Before Qt opens a window: is there a display, and can Qt's xcb plugin load? Otherwise one sentence.

Without this, a missing X library makes Qt abort the process (signal 6) with a hint that names the wrong
package (xcb-cursor0 for every missing library). We ask the dynamic loader (`ldd`) which libraries of the
plugin are missing and name the Debian package of each; scripts/debian-packages-app.txt lists them all.
Nothing here imports Qt: the check must run before anything can abort.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# The libraries Qt's xcb plugin and Qt itself load, and the Debian package that ships each.
DEBIAN_PACKAGE_OF = {
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin, found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    if not spec or not spec.submodule_search_locations:
        return None
    plugin = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(ldd_output: str) -> list[str]:
    """Sonames `ldd` reports as "not found", once each, in order."""
    found: list[str] = []
    for line in ldd_output.splitlines():
        name, _, where = line.strip().partition("=>")
        if where.strip() == "not found" and name.strip() not in found:
            found.append(name.strip())
    return found


def sentence_for(missing: list[str]) -> str:
    packages = list(dict.fromkeys(DEBIAN_PACKAGE_OF.get(lib, "") for lib in missing))
    unknown = [lib for lib in missing if lib not in DEBIAN_PACKAGE_OF]
    packages = [p for p in packages if p]
    what = (
        f"the system library {missing[0]} is missing"
        if len(missing) == 1
        else f"the system libraries {', '.join(missing)} are missing"
    )
    if packages and not unknown:
        return (
            f"SOD Send cannot open its window because {what}; install {'it' if len(packages) == 1 else 'them'} "
            f"with `sudo apt-get install {' '.join(packages)}` (or run scripts/install-debian-packages --app)."
        )
    return (
        f"SOD Send cannot open its window because {what}; install the package that provides "
        f"{'it' if len(missing) == 1 else 'each'} (on Debian: `apt-file search {missing[0]}`)."
    )


def platform_problem(environ=os.environ, platform: str = sys.platform) -> str | None:
    """One sentence saying why Qt cannot open a window here, or None when it can (or we cannot tell)."""
    if not platform.startswith("linux"):
        return None
    wanted = environ.get("QT_QPA_PLATFORM", "")
    if wanted and not wanted.startswith("xcb"):
        return None  # offscreen, wayland, vnc...: the user chose; Qt reports its own problems
    if not wanted and environ.get("WAYLAND_DISPLAY"):
        return None  # Qt prefers Wayland there and falls back to xcb itself
    if not environ.get("DISPLAY"):
        return (
            "SOD Send cannot open its window because there is no display (DISPLAY is not set); start it from "
            "a desktop session, or use the `sodclient` commands (see `sodclient --help`)."
        )
    plugin, ldd = xcb_plugin(), shutil.which("ldd")
    if not plugin or not ldd:
        return None
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    missing = missing_libraries(out)
    return sentence_for(missing) if missing else None
