"""The main window: patient/case tree, document table with thumbnails, and the toolbar that starts flows."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHeaderView, QInputDialog, QLabel, QListWidget,
                               QListWidgetItem, QMainWindow, QMenu, QMessageBox, QSplitter, QTableWidget,
                               QTableWidgetItem,
                               QToolBar,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from sodclient.errors import LibraryError, UserError
from sodclient.library import Document
from sodclient.profile import Profile
from sodclient.services.identity import start_status
from sodclient.services.receive import import_files
from sodclient.services.reply import received, reply_target, thread
from sodclient.ui.common import app_icon, human_size, plain_error
from sodclient.ui.worker import Job, running_jobs

PATIENT, CASE = 1, 2


def identity_state(profile: Profile) -> str:
    return start_status(profile).state
_MAX_ROW_ICONS = 300
_ROLE = Qt.UserRole


class MainWindow(QMainWindow):
    library_changed = Signal()

    def __init__(self, profile: Profile):
        super().__init__()
        self.profile = profile
        self.library = profile.library()
        self.jobs: set[Job] = set()
        self.flows: list = []           # running send/open flows, kept alive here
        self._thumb_job: Job | None = None
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
        self.import_files_action = self._action("&Import Files…", self.import_files, "Ctrl+I",
                                                "Add files to the library (DICOM is filed automatically)")
        self.import_folder_action = self._action("Import &Folder…", self.import_folder, None,
                                                 "Add a folder (for example a DICOM CD) to the library")
        self.new_patient_action = self._action("New &Patient…", self.new_patient)
        self.new_case_action = self._action("New &Case…", self.new_case)
        self.ftpsend_action = self._action("FTPSend", self.ftpsend, "Ctrl+Shift+S",
                                           "Send the selected or all documents securely")
        self.open_sod_action = self._action("Open .SOD", self.open_sod_dialog, "Ctrl+O",
                                            "Open a received .SOD file and import it")
        self.reply_action = self._action("Reply", self.reply, "Ctrl+R",
                                         "Reply to the sender of the selected case")
        self.view_action = self._action("&View", self.view_current, "Return", "Look at the selected image")
        self.remove_action = self._action("&Remove from Library", self.remove_selected, "Delete")
        self.ftp_config_action = self._action("FTP &Config…", self.ftp_config,
                                              tip="Server and mail settings (fields your site locks are read-only)")
        self.keys_action = self._action("My &Key and Contacts…", self.keys_dialog)
        self.audit_action = self._action("&Audit Log…", self.audit_log)
        self.lock_action = self._action("&Lock", lambda: self.session_lock.lock("user"), "Ctrl+L",
                                        "Lock SOD Send now (transfers keep running)")
        self.lock_action.setShortcutContext(Qt.ApplicationShortcut)
        self.passphrase_action = self._action("Change &Passphrase…", self.change_passphrase)
        self.sent_action = self._action("Sent &Deliveries…", self.sent_deliveries,
                                        tip="What was sent from this computer; delete from the server, send again")
        self.outbox_action = self._action("&Outbox…", self.outbox,
                                          tip="Uploads and e-mails that could not be finished yet")
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        self.about_action = self._action("&About SOD Send", self.about)
        self.demo_action = self._action("Try the &demo", self.try_demo,
                                        tip="A sender, a recipient and their servers on this computer, with "
                                        "synthetic patients; nothing of yours is used or changed")
        self.log_folder_action = self._action("Open &Log Folder", self.open_log_folder,
                                              tip="The support log (it never holds patient data)")
        from sodclient.ui.document_actions import DocumentActions

        self.document_actions = DocumentActions(self)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for a in (self.import_files_action, self.import_folder_action, None, self.new_patient_action,
                  self.new_case_action, None, self.open_sod_action, None, self.quit_action):
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
        m.addSeparator()
        m.addAction(self.sent_action)
        m = mb.addMenu("S&ystem")
        m.addAction(self.ftp_config_action)
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
        self.import_toolbar_action = self._action("Import", self.import_files,
                                                  tip="Add files or a folder to the library")
        import_menu = QMenu(self)
        import_menu.addAction(self.import_files_action)
        import_menu.addAction(self.import_folder_action)
        self.import_toolbar_action.setMenu(import_menu)
        for a in (self.import_toolbar_action, self.ftpsend_action, self.open_sod_action, self.reply_action):
            tb.addAction(a)
        self.addToolBar(tb)
        self.toolbar = tb

    def _build_central(self) -> None:
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Patients and cases"])
        self.tree.currentItemChanged.connect(lambda *_: self._load_documents())
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Document", "Type", "Series", "Size", "Modality"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setIconSize(QSize(32, 32))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda *_: self.view_current())
        self.preview = QLabel("No document selected", alignment=Qt.AlignCenter)
        self.preview.setMinimumWidth(180)
        self.preview_info = QLabel(alignment=Qt.AlignCenter)
        self.preview_info.setWordWrap(True)
        self.thread_list = QListWidget()   # the case's conversation: deliveries sent and received
        self.thread_list.setObjectName("case-thread")
        self.thread_list.setWordWrap(True)
        self.thread_list.setToolTip("Deliveries of this case, oldest first: what was sent and every reply")
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.addWidget(self.preview, 1)
        sl.addWidget(self.preview_info)
        sl.addWidget(QLabel("Conversation"))
        sl.addWidget(self.thread_list, 1)
        right = QSplitter(Qt.Horizontal)
        right.addWidget(self.table)
        right.addWidget(side)
        right.setStretchFactor(0, 3)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setSizes([260, 840])
        self.setCentralWidget(split)
        self.setAcceptDrops(True)
        self.statusBar()

    # -- data ----------------------------------------------------------------------------------------
    def blank(self) -> None:
        """Empties every view that shows patient data (the app locked); refresh() fills them again."""
        self.tree.blockSignals(True)
        self.tree.clear()
        self.tree.blockSignals(False)
        self.table.setRowCount(0)
        self._docs = []
        self.thread_list.clear()
        self.preview.clear()
        self.preview.setText("")
        self.preview_info.clear()
        self.statusBar().clearMessage()

    def refresh(self, select_case: int | None = None) -> None:
        keep = select_case if select_case is not None else self.current_case_id()
        keep_patient = self.current_patient_id()
        self.tree.blockSignals(True)
        self.tree.clear()
        chosen = None
        for p in self.library.patients():
            label = p.name + (f"  ({p.birth_date[:4]})" if len(p.birth_date) >= 4 else "")
            pi = QTreeWidgetItem([label])
            pi.setData(0, _ROLE, (PATIENT, p.id))
            self.tree.addTopLevelItem(pi)
            if keep is None and keep_patient == p.id:
                chosen = pi
            for c in self.library.cases(p.id):
                date = f"{c.date[:4]}-{c.date[4:6]}-{c.date[6:8]}  " if len(c.date) == 8 else ""
                ci = QTreeWidgetItem([f"{date}{c.description}"])
                ci.setData(0, _ROLE, (CASE, c.id))
                pi.addChild(ci)
                if c.id == keep:
                    chosen = ci
            pi.setExpanded(True)
        self.tree.blockSignals(False)
        if chosen is None and self.tree.topLevelItemCount():
            first = self.tree.topLevelItem(0)
            chosen = first.child(0) if first.childCount() else first
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
        self._load_documents()
        n_pat, n_case, n_doc = self.library.counts()
        self.statusBar().showMessage(f"{n_pat} patient(s), {n_case} case(s), {n_doc} document(s)")
        self.library_changed.emit()

    def _current(self) -> tuple[int, int] | None:
        item = self.tree.currentItem()
        return item.data(0, _ROLE) if item is not None else None

    def current_case_id(self) -> int | None:
        cur = self._current()
        return cur[1] if cur and cur[0] == CASE else None

    def current_patient_id(self) -> int | None:
        cur = self._current()
        if not cur:
            return None
        if cur[0] == PATIENT:
            return cur[1]
        case = self.library.case(cur[1])
        return case.patient_id if case else None

    def current_documents(self) -> list[Document]:
        """All documents of the current case, or of the current patient when a patient is selected."""
        cur = self._current()
        if not cur:
            return []
        if cur[0] == CASE:
            return self.library.documents(case_id=cur[1])
        return self.library.documents(patient_id=cur[1])

    def selected_documents(self) -> list[Document]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self._docs[r] for r in rows]

    def _load_thread(self) -> None:
        self.thread_list.clear()
        case_id = self.current_case_id()
        for m in (thread(self.profile, case_id) if case_id else []):
            arrow = "Received from" if m.direction == "received" else "Sent to"
            kind = " (reply)" if m.in_reply_to else ""
            when = m.at[:16].replace("T", " ")
            text = f"{when}  {arrow} {m.counterpart or 'unknown'}{kind}: {m.documents} document(s)"
            item = QListWidgetItem(text + (f"\n{m.message}" if m.message else ""))
            item.setData(_ROLE, m.delivery_id)
            self.thread_list.addItem(item)

    def _load_documents(self) -> None:
        self._load_thread()
        self._docs = self.current_documents()
        self.table.setRowCount(len(self._docs))
        for r, d in enumerate(self._docs):
            kind = "DICOM" if d.is_dicom else d.media_type.split("/")[-1].upper()
            series = d.series_description + (f" #{d.instance_number}" if d.instance_number is not None else "")
            for col, text in enumerate((d.title, kind, series, human_size(d.size), d.modality)):
                self.table.setItem(r, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self._selection_changed()
        self._load_row_icons()

    def _load_row_icons(self) -> None:
        """Small thumbnails in the table, made in the background (cached by content hash); the first
        _MAX_ROW_ICONS rows only, so opening a 5000-image study does not decode 5000 images."""
        docs, lib = list(self._docs)[:_MAX_ROW_ICONS], self.library
        if not any(d.is_dicom or d.is_image for d in docs):
            return

        def make_all(progress, cancel):
            from sodclient.library.imaging import thumbnail

            out = {}
            for d in docs:
                cancel.raise_if_cancelled()
                if d.is_dicom or d.is_image:
                    out[d.id] = thumbnail(d.path, d.media_type, lib.thumbs_dir, d.sha256)
            return out

        if getattr(self, "_icons_job", None) is not None:
            self._icons_job.cancel()
        job = Job(make_all, self)
        job.succeeded.connect(lambda paths, shown=docs: self._show_row_icons(shown, paths))
        self._icons_job = job
        job.start()

    def _show_row_icons(self, shown: list[Document], paths: dict) -> None:
        if [d.id for d in shown] != [d.id for d in self._docs[:len(shown)]]:
            return  # the view changed meanwhile
        for row, d in enumerate(shown):
            if paths.get(d.id):
                self.table.item(row, 0).setIcon(QIcon(str(paths[d.id])))

    def select_document(self, document_id: int) -> None:
        rows = [r for r, d in enumerate(self._docs) if d.id == document_id]
        if rows:
            self.select_rows(rows)

    def select_rows(self, rows: list[int]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.MultiSelection)
        for r in rows:
            self.table.selectRow(r)
        self.table.setSelectionMode(mode)

    def _selection_changed(self) -> None:
        docs = self.selected_documents() if self.table.selectionModel() else []
        if len(docs) != 1:
            self.preview.setPixmap(QPixmap())
            self.preview.setText(f"{len(docs)} documents selected" if docs else "No document selected")
            self.preview_info.setText("")
            return
        doc = docs[0]
        self.preview_info.setText(f"{doc.title}\n{human_size(doc.size)}")
        self.preview.setText("…")
        lib = self.library

        def make_thumbnail(progress, cancel):
            from sodclient.library.imaging import thumbnail  # numpy/pydicom load on first use, not at start

            return thumbnail(doc.path, doc.media_type, lib.thumbs_dir, doc.sha256)

        job = Job(make_thumbnail, self)
        job.succeeded.connect(lambda path, d=doc: self._show_thumb(d, path))
        self._thumb_job = job
        job.start()

    def _show_thumb(self, doc: Document, path) -> None:
        current = self.selected_documents()
        if len(current) != 1 or current[0].id != doc.id:
            return
        if path:
            self.preview.setPixmap(QPixmap(str(path)))
        else:
            self.preview.setText("No preview for this document")

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
        target = reply_target(self.profile, answered[0].delivery_id) if answered else None   # the newest one
        flow = SendFlow(self, selected=self.selected_documents(), all_documents=self.current_documents(),
                        reply_to=(target.to if target else "") or (case.reply_to if case else ""),
                        reply_subject=f"Re: {case.description}" if case else "Re: documents",
                        in_reply_to=target.delivery_id if target else "",
                        reply_key=target.recipient_key if target else "", case_id=case_id)
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
        dlg.accepted.connect(self._apply_idle_time)   # a new "Lock after idle" applies at once
        dlg.open()
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
            self.show_message("Change Passphrase", "Your key is held in this computer's keyring (your site's "
                              "choice), so there is no SOD Send passphrase to change.")
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

        QMessageBox.about(self, "About SOD Send",
                          f"<b>SOD Send {__version__}</b><p>Send medical documents and images securely: "
                          "encrypted .SOD containers, SFTP upload and a download link by e-mail.</p>")

    def closeEvent(self, event) -> None:
        busy = [j for j in running_jobs() if j is not self._thumb_job]
        if busy:
            answer = QMessageBox.question(self, "Quit", "A transfer or import is still running. Cancel it and quit?")
            if answer != QMessageBox.Yes:
                event.ignore()
                return
            for j in running_jobs():
                j.cancel()
        super().closeEvent(event)
