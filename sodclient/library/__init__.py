"""The local library: patients, cases (studies) and their documents, kept in SQLite with managed files.

Qt-free so the CLI importer, the tests and the desktop app share one implementation.
"""

from sodclient.library.models import Case, Document, ImportResult, Message, Patient, Series
from sodclient.library.store import Library, LibraryError

__all__ = ["Case", "Document", "ImportResult", "Library", "LibraryError", "Message", "Patient", "Series"]
