"""The support log: Python `logging` into a rotating file in the profile's log folder, never carrying PHI.

Everything written passes through `redact()`: file paths outside the app's own code, e-mail addresses,
DICOM-style person names, dates, long numbers (record numbers, IDs), SOD keys, and any value the app
registered as sensitive at run time (passphrases typed, patient names read) are replaced by a
placeholder. The formatter redacts the whole record, tracebacks included, so a stray `str(exc)` that
names a patient's file cannot reach the disk. `sodclient --debug` also prints the log on stderr.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

LOG_NAME = "sodsend.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
_MIN_VALUE = 3  # registered values shorter than this would match everywhere

_lock = threading.Lock()
_values: set[str] = set()
_values_re: re.Pattern[str] | None = None

_CODE_ROOTS = tuple(str(p) for p in {Path(__file__).resolve().parent.parent, Path(sys.prefix), Path(sys.base_prefix)})
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)\b(?:sod1|sodsig1|SOD-SECRET-KEY-1|AGE-SECRET-KEY-1)[0-9a-z]{20,}\b"), "<key>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"[^\s^=:'\"(),<>]+\^[^\s'\"(),<>]*"), "<name>"),
    (re.compile(r"\b(?:19|20)\d\d[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])\b"), "<date>"),
    (re.compile(r"\b\d{6,}\b"), "<number>"),
]
_PATH = re.compile(r"(?:[A-Za-z]:\\|\\\\|/)[^\s'\"<>|,;]+")


def register_sensitive(values: Iterable[str]) -> None:
    """Values that must never appear in the log (passphrases typed, patient names and IDs read)."""
    global _values_re
    new = {v.strip() for v in values if v and len(v.strip()) >= _MIN_VALUE}
    if not new - _values:
        return
    with _lock:
        _values.update(new)
        ordered = sorted(_values, key=len, reverse=True)
        _values_re = re.compile("|".join(re.escape(v) for v in ordered), re.IGNORECASE)


def _path(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if text.startswith(_CODE_ROOTS) else "<path>"


def redact(text: str) -> str:
    text = _PATH.sub(_path, text)
    pattern = _values_re
    if pattern is not None:
        text = pattern.sub("<redacted>", text)
    for regex, placeholder in _PATTERNS:
        text = regex.sub(placeholder, text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d/%(threadName)s] %(message)s"


def setup_logging(log_dir: Path, debug: bool = False) -> Path:
    """Once per process, at the edge (CLI or app start). Returns the log file's path."""
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_dir / LOG_NAME
    root = logging.getLogger("sodclient")
    for handler in list(root.handlers):
        if getattr(handler, "_sodsend", False):
            root.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(RedactingFormatter(_FORMAT))
    handler._sodsend = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if debug:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(RedactingFormatter(_FORMAT))
        stderr._sodsend = True  # type: ignore[attr-defined]
        root.addHandler(stderr)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    if os.name == "posix":
        try:
            os.chmod(log_dir, 0o700)
        except OSError:
            pass
    return path
