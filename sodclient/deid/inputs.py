"""Which files a Peer Review run reads: files as given, folders recursively, minus system clutter."""

from __future__ import annotations

import os
from pathlib import Path

from sodclient.errors import InputError

# Files the operating system drops into folders. Inside a chosen folder they are skipped (never sent) and
# counted in the report, rather than flagged one by one as "left out". Thumbs.db even holds thumbnails.
_SYSTEM_FILES = {".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", ".directory"}


def is_system_file(name: str) -> bool:
    return name.lower() in _SYSTEM_FILES or name.startswith("._")  # "._x": macOS AppleDouble metadata


def expand_inputs(paths: list[Path], exclude: Path | None = None, skipped: list[Path] | None = None) -> list[Path]:
    """Files as given, folders recursively in a stable order; `exclude` (the output folder) is skipped,
    and so are operating-system files found inside folders (appended to `skipped`)."""
    files: list[Path] = []
    for number, path in enumerate(paths, 1):
        path = Path(path)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                root_path = Path(root)
                if exclude is not None and _is_within(root_path, exclude):
                    dirs.clear()
                    continue
                for name in sorted(names):
                    if is_system_file(name):
                        if skipped is not None:
                            skipped.append(root_path / name)
                        continue
                    files.append(root_path / name)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"input path {number} does not exist or is not a file or folder")
    return files


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False
