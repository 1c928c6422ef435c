"""Entry names: relative POSIX paths that are safe to create on Linux, Windows and macOS.

The writer checks names with the same rules the reader enforces, so a sender learns at pack time,
not the recipient at unpack time, that a name cannot travel."""

from __future__ import annotations

import re
import unicodedata

from sodformat import limits
from sodformat.errors import FormatError

_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f\\:*?"<>|]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}


def check_name(name: object) -> str:
    """Return `name` if it is a safe relative path, else raise FormatError saying why."""
    if not isinstance(name, str) or not name:
        raise FormatError("an entry has an empty or invalid name")
    if len(name.encode("utf-8", "surrogatepass")) > limits.MAX_NAME_BYTES:
        raise FormatError("an entry name is too long")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise FormatError(f"refusing absolute path in container: {name!r}")
    parts = name.split("/")
    if len(parts) > limits.MAX_NAME_DEPTH:
        raise FormatError("an entry name is nested too deeply")
    for part in parts:
        if part in ("", ".", ".."):
            raise FormatError(f"refusing unsafe path in container: {name!r}")
        if _FORBIDDEN.search(part):
            raise FormatError(f"refusing path with a forbidden character: {name!r}")
        try:
            encoded = part.encode("utf-8")
        except UnicodeEncodeError:
            raise FormatError("an entry name is not valid UTF-8") from None
        if len(encoded) > limits.MAX_NAME_COMPONENT_BYTES:
            raise FormatError("an entry name component is too long")
        if part.endswith((" ", ".")) or part.split(".")[0].lower() in _WINDOWS_RESERVED:
            raise FormatError(f"refusing path that cannot be created on every system: {name!r}")
    return name


def collision_key(name: str) -> str:
    """Two names that would land on the same file on a case-insensitive or normalising file system."""
    return unicodedata.normalize("NFC", name).casefold()


class NameSet:
    """Tracks names already used: refuses duplicates and a file that is also used as a folder."""

    def __init__(self) -> None:
        self._files: set[str] = set()
        self._dirs: set[str] = set()  # every folder, named or implied by a file's path
        self._named_dirs: set[str] = set()  # folders that have an entry of their own

    def add(self, name: str, is_dir: bool) -> None:
        key = collision_key(name)
        parts = key.split("/")
        parents = ["/".join(parts[:i]) for i in range(1, len(parts))]
        taken = self._named_dirs if is_dir else self._dirs
        if key in self._files or key in taken or any(p in self._files for p in parents):
            raise FormatError(f"duplicate or conflicting entry name: {name!r}")
        if is_dir:
            self._named_dirs.add(key)
            self._dirs.add(key)
        else:
            self._files.add(key)
        self._dirs.update(parents)
