"""What a clinician can do with a document besides viewing it: open it in the system's viewer (after a warning
that it leaves the app), Save As, Export to a folder, and Print where this computer can print.

Works on the window's selected documents; the copying is done by `services.documents` (audited)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox

from sodclient.errors import UserError
from sodclient.services import documents as service
from sodclient.ui.common import plain_error

LEAVES_THE_APP = (
    "“{name}” will open in another program on this computer, outside SOD Send. That program may "
    "keep its own copies (recent files, caches), and what you do there is not protected or "
    "recorded by SOD Send.\n\nOpen it?"
)


class DocumentActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.open_outside = self._action(
            "Open with System &Viewer…",
            self.open_with_system,
            "Open the document in this computer's program for its type",
        )
        self.save_as = self._action("&Save As…", self.save_selected_as, "Save a copy of the document")
        self.export = self._action(
            "&Export to Folder…", self.export_selected, "Save copies of the selected documents into a folder"
        )
        self.print = self._action("&Print…", self.print_selected, "Print the document")
        self.print.setVisible(service.print_command() is not None)
        self.last_saved: list[Path] = []

    def _action(self, text: str, slot, tip: str) -> QAction:
        a = QAction(text, self.window)
        a.setStatusTip(tip)
        a.triggered.connect(lambda *_: slot())
        return a

    def actions(self) -> list[QAction]:
        return [self.open_outside, self.save_as, self.export, self.print]

    def _one(self):
        docs = self.window.selected_documents()
        if len(docs) != 1:
            self.window.statusBar().showMessage("Select one document first.", 5000)
            return None
        return docs[0]

    def _fail(self, title: str, exc: Exception) -> None:
        QMessageBox.warning(self.window, title, plain_error(exc))

    def open_with_system(self, confirm: bool = True) -> Path | None:
        doc = self._one()
        if doc is None:
            return None
        if (
            confirm
            and QMessageBox.question(self.window, "Open with System Viewer", LEAVES_THE_APP.format(name=doc.title))
            != QMessageBox.Yes
        ):
            return None
        try:
            path = service.copy_for_outside(self.window.profile, doc)
        except UserError as exc:
            self._fail("Open with System Viewer", exc)
            return None
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            QMessageBox.information(
                self.window,
                "Open with System Viewer",
                "This computer has no program set up for this type of document. You can "
                "save a copy with Documents → Save As instead.",
            )
        return path

    def save_selected_as(self, dest: str | None = None) -> Path | None:
        doc = self._one()
        if doc is None:
            return None
        if dest is None:
            dest, _ = QFileDialog.getSaveFileName(self.window, "Save As", str(Path.home() / Path(doc.title).name))
        if not dest:
            return None
        try:
            saved = service.save_copy(self.window.profile, doc, Path(dest))
        except UserError as exc:
            self._fail("Save As", exc)
            return None
        self.last_saved = [saved]
        self.window.statusBar().showMessage(f"Saved a copy as {saved}.", 8000)
        return saved

    def export_selected(self, folder: str | None = None) -> list[Path]:
        docs = self.window.selected_documents() or self.window.current_documents()
        if not docs:
            return []
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self.window, "Export to Folder", str(Path.home()))
        if not folder:
            return []
        try:
            written = service.export(self.window.profile, docs, Path(folder))
        except UserError as exc:
            self._fail("Export to Folder", exc)
            return []
        self.last_saved = written
        self.window.statusBar().showMessage(
            f"Exported {len(written)} document{'s' if len(written) != 1 else ''} to {folder}.", 8000
        )
        return written

    def print_selected(self) -> None:
        doc = self._one()
        if doc is None:
            return
        if (
            QMessageBox.question(self.window, "Print", f"Print “{doc.title}” on this computer's default printer?")
            != QMessageBox.Yes
        ):
            return
        try:
            service.print_document(self.window.profile, doc)
        except UserError as exc:
            self._fail("Print", exc)
            return
        self.window.statusBar().showMessage("Sent to the printer.", 5000)
