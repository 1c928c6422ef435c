"""The main window: patient/case tree, document table with thumbnails, and the toolbar that starts flows."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
)

from sodclient.errors import LibraryError, UserError
from sodclient.library import Document
from sodclient.profile import Profile
from sodclient.services.identity import start_status
from sodclient.services.reply import received, reply_target, thread
from sodclient.ui.common import app_icon, plain_error
from sodclient.ui.library_view import LibraryView
from sodclient.ui.worker import Job, running_jobs

_ROLE = Qt.UserRole


def identity_state(profile: Profile) -> str:
    return start_status(profile).state


class MainWindow(QMainWindow):
    library_changed = Signal()

    def __init__(self, profile: Profile):
        super().__init__()
        self.profile = profile
        self.library = profile.library()
        self.jobs: set[Job] = set()
        self.flows: list = []  # running send/open flows, kept alive here
        self.setWindowTitle("SOD Send")
        self.setWindowIcon(app_icon())
        self.resize(1100, 680)
        if self.screen() is not None:  # a 1024 x 768 laptop (or 150 % scaling) must see the whole window
            self.resize(self.size().boundedTo(self.screen().availableGeometry().size() * 0.95))
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_central()
        self.refresh()
        from sodclient.ui.session_lock import SessionLock

        self.session_lock = SessionLock(self, profile)

    # -- construction --------------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        a = QAction(text, self)
        a.triggered.connect(slot)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        return a

    def _build_actions(self) -> None:
        self.import_files_action = self._action(
            "&Import Files…", self.import_files, "Ctrl+I", "Add files to the library (DICOM is filed automatically)"
        )
        self.import_folder_action = self._action(
            "Import &Folder…", self.import_folder, None, "Add a folder (for example a DICOM CD) to the library"
        )
        self.import_disc_action = self._action(
            "Import from CD/&DVD…", self.import_disc, None, "List a patient's disc (DICOMDIR) and import chosen series"
        )
        self.query_pacs_action = self._action(
            "&Query PACS…", self.query_pacs, "Ctrl+Shift+Q", "Search a PACS and retrieve studies into the library"
        )
        self.send_to_pacs_action = self._action(
            "Send to &PACS…", self.send_to_pacs, None, "Store the selected (or all) DICOM images in a PACS"
        )
        self.pacs_nodes_action = self._action(
            "PACS &Nodes…", self.pacs_nodes, tip="DICOM and DICOMweb nodes, with Echo"
        )
        self.new_patient_action = self._action("New &Patient…", self.new_patient)
        self.new_case_action = self._action("New &Case…", self.new_case)
        self.ftpsend_action = self._action(
            "FTPSend", self.ftpsend, "Ctrl+Shift+S", "Send the selected or all documents securely"
        )
        self.open_sod_action = self._action(
            "Open .SOD", self.open_sod_dialog, "Ctrl+O", "Open a received .SOD file and import it"
        )
        self.reply_action = self._action("Reply", self.reply, "Ctrl+R", "Reply to the sender of the selected case")
        self.view_action = self._action("&View", self.view_current, "Return", "Look at the selected image")
        self.remove_action = self._action("&Remove from Library", self.remove_selected, "Delete")
        self.ftp_config_action = self._action(
            "FTP &Config…", self.ftp_config, tip="Server and mail settings (fields your site locks are read-only)"
        )
        self.keys_action = self._action("My &Key and Contacts…", self.keys_dialog)
        self.audit_action = self._action("&Audit Log…", self.audit_log)
        self.lock_action = self._action(
            "&Lock", lambda: self.session_lock.lock("user"), "Ctrl+L", "Lock SOD Send now (transfers keep running)"
        )
        self.lock_action.setShortcutContext(Qt.ApplicationShortcut)
        self.passphrase_action = self._action("Change &Passphrase…", self.change_passphrase)
        self.sent_action = self._action(
            "Sent &Deliveries…",
            self.sent_deliveries,
            tip="What was sent from this computer; delete from the server, send again",
        )
        self.outbox_action = self._action(
            "&Outbox…", self.outbox, tip="Uploads and e-mails that could not be finished yet"
        )
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        self.about_action = self._action("&About SOD Send", self.about)
        self.demo_action = self._action(
            "Try the &demo",
            self.try_demo,
            tip="A sender, a recipient and their servers on this computer, with "
            "synthetic patients; nothing of yours is used or changed",
        )
        self.log_folder_action = self._action(
            "Open &Log Folder", self.open_log_folder, tip="The support log (it never holds patient data)"
        )
        from sodclient.ui.document_actions import DocumentActions

        self.document_actions = DocumentActions(self)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for a in (
            self.import_files_action,
            self.import_folder_action,
            self.import_disc_action,
            self.query_pacs_action,
            None,
            self.new_patient_action,
            self.new_case_action,
            None,
            self.open_sod_action,
            None,
            self.quit_action,
        ):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&Documents")
        m.addAction(self.view_action)
        for a in self.document_actions.actions():
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.remove_action)
        m = mb.addMenu("&Send")
        m.addAction(self.ftpsend_action)
        m.addAction(self.reply_action)
        m.addAction(self.send_to_pacs_action)
        m.addSeparator()
        m.addAction(self.sent_action)
        m = mb.addMenu("S&ystem")
        m.addAction(self.ftp_config_action)
        m.addAction(self.pacs_nodes_action)
        m.addAction(self.keys_action)
        m.addAction(self.outbox_action)
        m.addAction(self.audit_action)
        m.addSeparator()
        m.addAction(self.passphrase_action)
        m.addAction(self.lock_action)
        m = mb.addMenu("&Help")
        m.addAction(self.demo_action)
        m.addAction(self.log_folder_action)
        m.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.setIconSize(QSize(24, 24))
        tb.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.import_toolbar_action = self._action(
            "Import", self.import_files, tip="Add files or a folder to the library"
        )
        import_menu = QMenu(self)
        import_menu.addAction(self.import_files_action)
        import_menu.addAction(self.import_folder_action)
        import_menu.addAction(self.import_disc_action)
        import_menu.addAction(self.query_pacs_action)
        self.import_toolbar_action.setMenu(import_menu)
        for a in (self.import_toolbar_action, self.ftpsend_action, self.open_sod_action, self.reply_action):
            tb.addAction(a)
        self.addToolBar(tb)
        self.toolbar = tb

    def _build_central(self) -> None:
        self.view = LibraryView(self.library, self)
        self.tree, self.table, self.preview, self.preview_info = (
            self.view.tree,
            self.view.table,
            self.view.preview,
            self.view.preview_info,
        )
        self.thread_list = QListWidget()  # the case's conversation: deliveries sent and received
        self.thread_list.setObjectName("case-thread")
        self.thread_list.setWordWrap(True)
        self.thread_list.setToolTip("Deliveries of this case, oldest first: what was sent and every reply")
        self.view.side_layout.addWidget(QLabel("Conversation"))
        self.view.side_layout.addWidget(self.thread_list, 1)
        self.view.current_changed.connect(self._load_thread)
        self.table.doubleClicked.connect(lambda *_: self.view_current())
        self.setCentralWidget(self.view)
        self.setAcceptDrops(True)
        self.statusBar()

    # -- data (the study browser, sodclient/ui/library_view.py) -----------------------------------------
    def blank(self) -> None:
        """Empties every view that shows patient data (the app locked); refresh() fills them again."""
        self.view.blank()
        self.thread_list.clear()
        self.statusBar().clearMessage()

    def refresh(self, select_case: int | None = None) -> None:
        self.view.refresh(select_case)
        n_pat, n_case, n_doc = self.library.counts()
        self.statusBar().showMessage(f"{n_pat} patient(s), {n_case} case(s), {n_doc} document(s)")
        self.library_changed.emit()

    def current_case_id(self) -> int | None:
        return self.view.current_case_id()

    def current_patient_id(self) -> int | None:
        return self.view.current_patient_id()

    def current_documents(self) -> list[Document]:
        """ "All Documents": the current study, or all documents of the current patient."""
        return self.view.current_documents()

    def selected_documents(self) -> list[Document]:
        return self.view.selected_documents()

    def _load_thread(self) -> None:
        self.thread_list.clear()
        case_id = self.current_case_id()
        for m in thread(self.profile, case_id) if case_id else []:
            arrow = "Received from" if m.direction == "received" else "Sent to"
            kind = " (reply)" if m.in_reply_to else ""
            when = m.at[:16].replace("T", " ")
            text = f"{when}  {arrow} {m.counterpart or 'unknown'}{kind}: {m.documents} document(s)"
            item = QListWidgetItem(text + (f"\n{m.message}" if m.message else ""))
            item.setData(_ROLE, m.delivery_id)
            self.thread_list.addItem(item)

    def select_rows(self, rows: list[int]) -> None:
        self.view.select_rows(rows)

    def open_series_of_case(self, case_id: int, index: int = 0) -> int | None:
        return self.view.open_series_of_case(case_id, index)

    @property
    def _icons_job(self) -> Job | None:
        return self.view._icons_job

    @property
    def _thumb_job(self) -> Job | None:
        return self.view._thumb_job

    # -- importing into the library ------------------------------------------------------------------
    def import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import documents")
        if paths:
            self.import_paths([Path(p) for p in paths])

    def import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder")
        if folder:
            self.import_paths([Path(folder)])

    def import_paths(self, paths: list[Path]):
        """Looks at the files, asks where needed (ImportDialog), then imports off the GUI thread. Returns the
        ImportRun; its `finished` signal fires once, whatever the outcome."""
        from sodclient.ui.import_dialog import ImportRun

        run = ImportRun(self, paths)
        self.import_run = run
        run.start()
        return run

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        """Dropped .sod files open for import; other files and folders go into the library."""
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        sods = [p for p in paths if p.suffix.lower() == ".sod"]
        others = [p for p in paths if p.suffix.lower() != ".sod"]
        for p in sods:
            self.open_sod(p)
        if others:
            self.import_paths(others)
        event.acceptProposedAction()

    def show_message(self, title: str, text: str) -> QMessageBox:
        """A warning that does not block the event loop (opened, not exec'd)."""
        box = QMessageBox(QMessageBox.Warning, title, text, QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        self.last_message = box
        box.open()
        return box

    def new_patient(self) -> None:
        name, ok = QInputDialog.getText(self, "New patient", "Patient name:")
        if ok and name.strip():
            try:
                self.library.create_patient(name)
            except LibraryError as exc:
                QMessageBox.warning(self, "New patient", str(exc))
            self.refresh()

    def new_case(self) -> None:
        pid = self.current_patient_id()
        if pid is None:
            QMessageBox.information(self, "New case", "Select or create a patient first.")
            return
        text, ok = QInputDialog.getText(self, "New case", "Case description:")
        if ok and text.strip():
            case = self.library.create_case(pid, text)
            self.refresh(select_case=case.id)

    def remove_selected(self) -> None:
        docs = self.selected_documents()
        if not docs:
            return
        answer = QMessageBox.question(self, "Remove", f"Remove {len(docs)} document(s) from the library?")
        if answer == QMessageBox.Yes:
            self.library.remove_documents(d.id for d in docs)
            self.refresh()

    def view_current(self) -> None:
        from sodclient.ui.viewer import ViewerDialog

        if self.view.opened_series is None and self.view.open_selected_series():
            return
        docs = self.selected_documents()
        if len(docs) == 1 and not (docs[0].is_dicom or docs[0].is_image):
            self.document_actions.open_with_system()  # PDFs, text...: the system's viewer, after a warning
        elif len(docs) == 1:
            doc = docs[0]
            series = [d for d in self._docs if doc.series_uid and d.series_uid == doc.series_uid] or [doc]
            series.sort(key=lambda d: (d.instance_number is None, d.instance_number or 0, d.title))
            dlg = ViewerDialog(doc, self, series=series)
            dlg.setAttribute(Qt.WA_DeleteOnClose)
            dlg.open()

    # -- flows ---------------------------------------------------------------------------------------
    def _send_setup_problem(self) -> str:
        """Why sending cannot work yet (servers not configured), or ""; checked before the dialogs open."""
        try:
            self.profile.settings().preflight()
        except UserError as exc:
            return plain_error(exc)
        return ""

    def _ensure_send_setup(self) -> bool:
        problem = self._send_setup_problem()
        if problem:
            dlg = self.ftp_config()
            dlg.diagnosis.setText(html.escape(f"Set up the servers before sending: {problem}"))
        return not problem

    def ftpsend(self):
        from sodclient.ui.send_flow import SendFlow

        if not self._ensure_send_setup():
            return None
        flow = SendFlow(self, selected=self.selected_documents(), all_documents=self.current_documents())
        self._keep(flow)
        flow.start()
        return flow

    def reply(self):
        from sodclient.ui.send_flow import SendFlow

        if not self._ensure_send_setup():
            return None
        case_id = self.current_case_id()
        case = self.library.case(case_id) if case_id else None
        answered = received(self.profile, case_id) if case_id else []
        target = reply_target(self.profile, answered[0].delivery_id) if answered else None  # the newest one
        flow = SendFlow(
            self,
            selected=self.selected_documents(),
            all_documents=self.current_documents(),
            reply_to=(target.to if target else "") or (case.reply_to if case else ""),
            reply_subject=f"Re: {case.description}" if case else "Re: documents",
            in_reply_to=target.delivery_id if target else "",
            reply_key=target.recipient_key if target else "",
            case_id=case_id,
        )
        self._keep(flow)
        flow.start()
        return flow

    def sent_deliveries(self):
        from sodclient.ui.sent_view import SentDialog

        dlg = SentDialog(self.profile, self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        self.sent_dialog = dlg
        dlg.open()
        return dlg

    def open_sod_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a received .SOD file", "", "SOD containers (*.sod *.SOD)")
        if path:
            self.open_sod(Path(path))

    def open_sod(self, path: Path):
        from sodclient.ui.open_sod import OpenSodDialog

        self.raise_()
        self.activateWindow()
        dlg = OpenSodDialog(Path(path), self.profile, self)
        dlg.imported.connect(lambda result: self.refresh(select_case=result.case_ids[0] if result.case_ids else None))
        self._keep(dlg)
        dlg.finished.connect(lambda *_: self._release(dlg))
        dlg.open()
        return dlg

    def _keep(self, obj) -> None:
        self.flows.append(obj)
        if hasattr(obj, "done_signal"):
            obj.done_signal.connect(lambda *_: self._release(obj))

    def _release(self, obj) -> None:
        if obj in self.flows:
            self.flows.remove(obj)

    def ftp_config(self):
        from sodclient.ui.ftp_config import FtpConfigDialog

        dlg = FtpConfigDialog(self.profile, self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.accepted.connect(self._apply_idle_time)  # a new "Lock after idle" applies at once
        dlg.open()
        return dlg

    # -- PACS and discs (dialogs in pacs_nodes.py, pacs_query.py, send_to_pacs.py, cd_import.py) ----------
    def _dialog(self, dlg):
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        self._keep(dlg)
        dlg.finished.connect(lambda *_: self._release(dlg))
        dlg.open()
        return dlg

    def _show_imported(self, case_ids: list[int]) -> None:
        self.refresh(select_case=case_ids[0] if case_ids else None)

    def pacs_nodes(self):
        from sodclient.ui.pacs_nodes import PacsNodesDialog

        return self._dialog(PacsNodesDialog(self.profile, self))

    def query_pacs(self):
        from sodclient.ui.pacs_query import PacsQueryDialog

        dlg = PacsQueryDialog(self.profile, self)
        dlg.retrieved.connect(lambda outcome: self._show_imported(outcome.case_ids))
        return self._dialog(dlg)

    def send_to_pacs(self):
        from sodclient.ui.send_to_pacs import SendToPacsDialog

        docs = self.selected_documents() or self.current_documents()
        if not docs:
            self.statusBar().showMessage("Choose a study, series or documents to send to the PACS.", 5000)
            return None
        return self._dialog(SendToPacsDialog(self.profile, docs, self))

    def import_disc(self, folder: Path | None = None):
        from sodclient.ui.cd_import import CdImportDialog

        folder = folder if isinstance(folder, Path) else None  # a menu's triggered(checked) passes a bool
        dlg = CdImportDialog(self.profile, self, folder)
        dlg.imported.connect(lambda result: self._show_imported(result.case_ids))
        self._dialog(dlg)
        if folder is None:
            dlg._browse()
        else:
            dlg.read()
        return dlg

    def _apply_idle_time(self) -> None:
        try:
            self.session_lock.set_idle_ms(self.profile.settings().idle_minutes() * 60_000)
        except UserError:
            pass

    def keys_dialog(self):
        from sodclient.ui.keys_dialog import KeysDialog

        dlg = KeysDialog(self.profile, self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def outbox(self):
        from sodclient.ui.outbox import OutboxDialog

        dlg = OutboxDialog(self.profile, self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def audit_log(self):
        from sodclient.ui.audit_dialog import AuditDialog

        dlg = AuditDialog(self.profile, self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def change_passphrase(self):
        from sodclient.ui.sign_in import SignInDialog

        if identity_state(self.profile) != "passphrase":
            self.show_message(
                "Change Passphrase",
                "Your key is held in this computer's keyring (your site's "
                "choice), so there is no SOD Send passphrase to change.",
            )
            return None
        dlg = SignInDialog(self.profile, "change", self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def try_demo(self):
        from sodclient.ui.demo_window import start_demo_session

        return start_demo_session()

    def open_log_folder(self) -> bool:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        folder = self.profile.paths.log_dir
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def about(self) -> None:
        from sodclient import __version__

        QMessageBox.about(
            self,
            "About SOD Send",
            f"<b>SOD Send {__version__}</b><p>Send medical documents and images securely: "
            "encrypted .SOD containers, SFTP upload and a download link by e-mail.</p>",
        )

    def closeEvent(self, event) -> None:
        busy = [j for j in running_jobs() if j not in self.view.jobs()]  # thumbnails need no question
        if busy:
            answer = QMessageBox.question(self, "Quit", "A transfer or import is still running. Cancel it and quit?")
            if answer != QMessageBox.Yes:
                event.ignore()
                return
            for j in running_jobs():
                j.cancel()
        super().closeEvent(event)
