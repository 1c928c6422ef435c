"""The demo in the app: a sender's window, a recipient's window and a "Demo inbox", all labelled
"Demo — local only", over `services.demo` (two throw-away profiles and servers on loopback).

Help → "Try the demo" and `sodclient demo` both start a `DemoSession`. The windows are the app's own
`MainWindow`, so the newcomer uses the real FTPSend, Peer Review, Open .SOD and Reply. Closing the
sender's or the recipient's window (or Demo → End the demo) ends the demo: every demo window closes,
the servers stop and the demo folder is deleted.
"""

from __future__ import annotations

import html
import logging
import re

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from sodclient.services.demo import RECIPIENT, SENDER, TITLE, CaughtMail, Demo, start_demo
from sodclient.ui.common import app_icon, plain_error
from sodclient.ui.job_progress import JobProgress
from sodclient.ui.main_window import MainWindow
from sodclient.ui.worker import Job
from sodformat.errors import CancelledError

log = logging.getLogger("sodclient.ui.demo")
SUFFIX = f" — {TITLE}"
_LINK = re.compile(r"https?://\S+\.sod\b")
_SESSIONS: set[DemoSession] = set()  # a session lives until its demo ends, whoever started it


class DemoLabeller(QObject):
    """Application-wide event filter: every window that belongs to a demo window (itself, or a dialog
    whose parent chain leads to one) gets " — Demo — local only" in its title, whenever it is shown or
    retitled. One place, so no dialog can forget it."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.roots: list[QWidget] = []

    def belongs(self, widget: QWidget) -> bool:
        w = widget
        while w is not None:
            if any(w is r for r in self.roots):
                return True
            w = w.parentWidget()
        return False

    def eventFilter(self, obj, event) -> bool:
        if (
            event.type() in (QEvent.Show, QEvent.WindowTitleChange)
            and isinstance(obj, QWidget)
            and obj.isWindow()
            and self.belongs(obj)
        ):
            title = obj.windowTitle()
            if not title.endswith(SUFFIX):
                obj.setWindowTitle((title or "SOD Send") + SUFFIX)
        return False


class InboxWindow(QWidget):
    """The mails the demo's mail catcher received, newest last; a link downloads the .SOD from the demo's
    download site and opens it in the recipient's window."""

    link_followed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.Window)
        self.setWindowTitle("Demo inbox")
        self.setWindowIcon(app_icon())
        self.resize(640, 420)
        self.mails: list[CaughtMail] = []
        layout = QVBoxLayout(self)
        note = QLabel(
            "Mails the demo's own mail server caught on this computer. Nothing leaves it. "
            f"These are {RECIPIENT[0]}'s mails ({RECIPIENT[1]}) and the demo's other addresses."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        split = QSplitter(Qt.Vertical)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._show)
        self.body = QTextBrowser()
        self.body.setOpenLinks(False)
        self.body.anchorClicked.connect(lambda url: self.link_followed.emit(url.toString()))
        split.addWidget(self.list)
        split.addWidget(self.body)
        split.setSizes([120, 300])
        layout.addWidget(split, 1)
        row = QHBoxLayout()
        self.status = QLabel("No mail yet: send something from the sender's window (FTPSend).")
        self.status.setWordWrap(True)
        self.open_button = QPushButton("Download and open as the recipient")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_current)
        row.addWidget(self.status, 1)
        row.addWidget(self.open_button)
        layout.addLayout(row)

    def add_mail(self, mail: CaughtMail) -> None:
        self.mails.append(mail)
        item = QListWidgetItem(f"{mail.received:%H:%M:%S}   to {', '.join(mail.to)}   {mail.subject}")
        self.list.addItem(item)
        self.list.setCurrentRow(len(self.mails) - 1)
        self.status.setText(f"{len(self.mails)} mail(s).")

    def current_link(self) -> str:
        row = self.list.currentRow()
        if not 0 <= row < len(self.mails):
            return ""
        found = _LINK.search(self.mails[row].body)
        return found.group(0) if found else ""

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.mails):
            self.body.clear()
            self.open_button.setEnabled(False)
            return
        mail = self.mails[row]
        text = html.escape(_reflow(mail.body))
        text = _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', text)
        self.body.setHtml(
            f"<p><b>From:</b> {html.escape(mail.sender)}<br><b>To:</b> "
            f"{html.escape(', '.join(mail.to))}<br><b>Subject:</b> {html.escape(mail.subject)}</p>"
            f"<pre style='white-space: pre-wrap'>{text}</pre>"
        )
        self.open_button.setEnabled(bool(self.current_link()))

    def _open_current(self) -> None:
        link = self.current_link()
        if link:
            self.link_followed.emit(link)


def _reflow(body: str) -> str:
    """The mail is wrapped at 76 columns for mail programs; the inbox wraps to its own width instead.
    Indented lines (the link) stay on their own line."""
    paragraphs = []
    for block in body.replace("\r\n", "\n").strip().split("\n\n"):
        lines = block.split("\n")
        out = lines[0]
        for line in lines[1:]:
            out += ("\n" + line) if line.startswith(" ") or out.endswith(":") else (" " + line)
        paragraphs.append(out)
    return "\n\n".join(paragraphs)


class DemoSession(QObject):
    """Starts the demo off the GUI thread, opens its windows, and ends it when they close."""

    mail_caught = Signal(object)  # from the mail server's thread; queued to the GUI thread
    ready = Signal()
    ended = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.demo: Demo | None = None
        self.sender: MainWindow | None = None
        self.recipient: MainWindow | None = None
        self.inbox: InboxWindow | None = None
        self.labeller = DemoLabeller(self)
        self.job: Job | None = None
        self.download_job: Job | None = None
        self.last_open = None  # the recipient's Open .SOD dialog for the last followed link
        self.failure: BaseException | None = None
        self._ending = False
        self.mail_caught.connect(self._on_mail)

    def start(self) -> None:
        _SESSIONS.add(self)
        app = QApplication.instance()
        app.installEventFilter(self.labeller)
        app.aboutToQuit.connect(self._end_at_quit)  # the app quits with the demo still open: clean up anyway
        emit = self.mail_caught.emit
        self.job = Job(
            lambda progress, cancel: start_demo(on_mail=emit, progress=progress, cancel=cancel),
            self,
            title="demo start",
        )
        self.job.succeeded.connect(self._started)
        self.job.failed.connect(self._failed)
        self.job.start()
        self._progress = JobProgress("Starting the demo", self.job, QApplication.activeWindow())
        self.labeller.roots.append(self._progress)
        self._progress.show()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, CancelledError):  # Cancel on "Starting the demo": start_demo undid it all
            self._end()
            return
        self.failure = exc
        log.error("the demo could not start: %s", type(exc).__name__)
        QMessageBox.warning(
            QApplication.activeWindow(), "Try the demo" + SUFFIX, plain_error(exc, "Nothing of yours was changed.")
        )
        self._end()

    def _started(self, demo: Demo) -> None:
        if self._ending:  # ended while starting (the app quit): undo at once
            demo.stop()
            return
        self.labeller.roots.clear()
        self.demo = demo
        self.sender = self._window(demo.sender, f"SOD Send: {SENDER[0]} (sender)")
        self.recipient = self._window(demo.recipient, f"SOD Send: {RECIPIENT[0]} (recipient)")
        self.inbox = InboxWindow()
        self.labeller.roots.append(self.inbox)
        self.inbox.link_followed.connect(self.follow_link)
        for mail in demo.mails():  # caught before the windows existed (none, normally)
            self.inbox.add_mail(mail)
        screen = QApplication.primaryScreen().availableGeometry()
        self.sender.move(screen.left() + 20, screen.top() + 20)
        self.recipient.move(screen.left() + 80, screen.top() + 80)
        self.inbox.move(screen.left() + 140, screen.top() + 140)
        self.recipient.show()
        self.inbox.show()
        self.sender.show()
        self.sender.raise_()
        self.sender.statusBar().showMessage(
            "Select a study and click FTPSend; the mail arrives in the Demo inbox.", 20000
        )
        self.ready.emit()

    def _window(self, profile, title: str) -> MainWindow:
        window = MainWindow(profile)
        self.labeller.roots.append(window)
        window.setWindowTitle(title)
        window.demo_action.setEnabled(False)  # one demo at a time from a demo window
        note = QLabel(f"  {TITLE}: synthetic patients, servers on this computer  ")
        note.setStyleSheet("background: #fff3cd; color: #664d03; border-radius: 3px;")
        window.statusBar().addPermanentWidget(note)
        menu = window.menuBar().addMenu("De&mo")
        menu.addAction("Demo &inbox", lambda: self._raise(self.inbox))
        menu.addAction("&Sender's window", lambda: self._raise(self.sender))
        menu.addAction("&Recipient's window", lambda: self._raise(self.recipient))
        menu.addSeparator()
        menu.addAction("&End the demo", self.end)
        window.installEventFilter(self)
        return window

    @staticmethod
    def _raise(widget: QWidget | None) -> None:
        if widget is not None:
            widget.showNormal()
            widget.raise_()
            widget.activateWindow()

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Close:  # after MainWindow.closeEvent decided; check once it is done
            QTimer.singleShot(0, self._maybe_end)
        return False

    def _maybe_end(self) -> None:
        if any(w is not None and not w.isVisible() for w in (self.sender, self.recipient)):
            self.end()

    def _on_mail(self, mail: CaughtMail) -> None:
        if self.inbox is not None:
            self.inbox.add_mail(mail)
            self._raise(self.inbox)

    # -- the recipient follows the link ---------------------------------------------------------------
    def follow_link(self, link: str) -> Job | None:
        demo = self.demo
        if demo is None:
            return None
        self.download_job = Job(lambda progress, cancel: demo.download(link), self, title="demo download")
        self.download_job.succeeded.connect(self._downloaded)
        self.download_job.failed.connect(lambda exc: QMessageBox.warning(self.inbox, "Demo inbox", plain_error(exc)))
        self.inbox.status.setText("Downloading from the demo's download site…")
        self.download_job.start()
        return self.download_job

    def _downloaded(self, path) -> None:
        self.inbox.status.setText(f"Downloaded {path.name}; the recipient's window opens it.")
        self._raise(self.recipient)
        self.last_open = self.recipient.open_sod(path)

    # -- the end --------------------------------------------------------------------------------------
    def end(self) -> None:
        if self._ending:
            return
        self._ending = True
        for job in (self.job, self.download_job):
            if job is not None and job.running:
                job.cancel()
        for window in (self.sender, self.recipient):
            if window is None:
                continue
            for flow in list(window.flows):
                if hasattr(flow, "cancel"):
                    flow.cancel()
        self._end_when_idle(0)

    def _end_when_idle(self, waited_ms: int) -> None:
        """Wait for cancelled work (an upload, an import) to stop before the folder goes."""
        busy = [
            w
            for w in (self.sender, self.recipient)
            if w is not None and any(getattr(f, "busy", False) for f in w.flows)
        ]
        if busy and waited_ms < 30000:
            QTimer.singleShot(100, lambda: self._end_when_idle(waited_ms + 100))
            return
        self._end()

    def _end_at_quit(self) -> None:
        if self in _SESSIONS:
            self._end()

    def _end(self) -> None:
        for window in (self.inbox, self.recipient, self.sender):
            if window is not None:
                window.removeEventFilter(self)
                window.close()
                window.deleteLater()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.labeller)
            try:
                app.aboutToQuit.disconnect(self._end_at_quit)
            except (RuntimeError, TypeError):
                pass
        if self.demo is not None:
            self.demo.stop()
        self.sender = self.recipient = self.inbox = None
        _SESSIONS.discard(self)
        log.info("demo ended")
        self.ended.emit()


def start_demo_session() -> DemoSession:
    """Help → Try the demo: a session of its own; the user's window stays as it is."""
    session = DemoSession()
    session.start()
    return session


def run_demo(debug: bool = False) -> int:
    """`sodclient demo`: the demo alone; the app quits when the demo ends."""
    from sodclient.ui.app import build_app

    app = build_app([])
    if debug:
        logging.basicConfig(level=logging.INFO)
    session = DemoSession()
    session.ended.connect(app.quit)
    QTimer.singleShot(0, session.start)
    code = app.exec()
    return 1 if session.failure is not None else code


__all__ = ["DemoLabeller", "DemoSession", "InboxWindow", "run_demo", "start_demo_session"]
