"""Forced logout: after the idle time (or from the menu / Ctrl+L) the app locks.

Locking hides every window (the library, dialogs showing patient data, contacts, the audit log),
blanks the main window's views, closes FTP Config outright (it holds the settings' secrets in its fields),
and drops the decrypted key (`services.identity.lock`). A lock screen then asks for the passphrase (or,
where the site keeps the key in the OS keyring, just for a click). Running transfers go on: the lock
screen lists them by task and stage only (no names, no addresses). Unlocking signs in again, shows the
hidden windows and reloads the library views.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QListWidget, QMenu, QPushButton, QVBoxLayout, QWidget

from sodclient.errors import UserError
from sodclient.profile import Profile
from sodclient.services import identity
from sodclient.ui.common import app_icon, plain_error
from sodclient.ui.worker import running_jobs

log = logging.getLogger("sodclient.ui.lock")

_INPUT = {QEvent.KeyPress, QEvent.MouseButtonPress, QEvent.MouseMove, QEvent.Wheel, QEvent.TouchBegin}


class LockScreen(QWidget):
    """The only window shown while locked: passphrase field, Unlock, and PHI-free transfer progress."""

    unlock_requested = Signal(str)

    def __init__(self, needs_passphrase: bool):
        super().__init__(None, Qt.Window)
        self.setObjectName("lock-screen")
        self.setWindowTitle("SOD Send is locked")
        self.setWindowIcon(app_icon())
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        title = QLabel("<b>SOD Send is locked</b>")
        layout.addWidget(title)
        note = QLabel(
            "Enter your SOD Send passphrase to continue."
            if needs_passphrase
            else "Click Unlock to continue (your key is held in this computer's keyring)."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("lock-passphrase")
        self.passphrase.setEchoMode(QLineEdit.Password)
        self.passphrase.setVisible(needs_passphrase)
        self.passphrase.returnPressed.connect(self._submit)
        layout.addWidget(self.passphrase)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.clicked.connect(self._submit)
        layout.addWidget(self.unlock_button)
        self.error = QLabel()
        self.error.setObjectName("lock-error")
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        layout.addWidget(QLabel("Transfers still running:"))
        self.transfers = QListWidget()
        self.transfers.setObjectName("lock-transfers")
        layout.addWidget(self.transfers)

    def _submit(self) -> None:
        text = self.passphrase.text()
        self.passphrase.clear()
        self.unlock_requested.emit(text)

    def show_transfers(self, lines: list[str]) -> None:
        self.transfers.clear()
        self.transfers.addItems(lines or ["(none)"])


class SessionLock(QObject):
    """Watches input across the whole app; locks after `idle_ms` without any."""

    locked_changed = Signal(bool)

    def __init__(self, window, profile: Profile, idle_ms: int | None = None):
        super().__init__(window)
        self.window, self.profile = window, profile
        self.locked = False
        self.screen: LockScreen | None = None
        self._hidden: list[QWidget] = []
        self._pending: list = []  # what waits for the unlock (a .sod handed over while locked)
        self._progress: dict[int, str] = {}  # job serial -> "send: upload 42%"
        if idle_ms is None:
            try:
                idle_ms = profile.settings().idle_minutes() * 60_000
            except UserError:  # unreadable settings: lock at the default rather than never
                idle_ms = 30 * 60_000
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(idle_ms)
        self.timer.timeout.connect(lambda: self.lock("idle"))
        self._poll = QTimer(self)
        self._poll.setInterval(250)
        self._poll.timeout.connect(self._show_progress)
        QApplication.instance().installEventFilter(self)
        self.timer.start()

    def after_unlock(self, action) -> None:
        """Runs `action` once the user has unlocked (at once when not locked)."""
        if not self.locked:
            action()
            return
        self._pending.append(action)
        if self.screen is not None:
            self.screen.raise_()
            self.screen.activateWindow()

    def set_idle_ms(self, idle_ms: int) -> None:
        self.timer.setInterval(idle_ms)
        if not self.locked:
            self.timer.start()

    def eventFilter(self, obj, event) -> bool:
        if not self.locked:
            if event.type() in _INPUT:
                self.timer.start()
        elif (
            event.type() == QEvent.Show
            and isinstance(obj, QWidget)
            and obj.isWindow()
            and not isinstance(obj, (LockScreen, QMenu))
            and obj not in self._hidden
        ):
            # A flow finished while locked and opened its next window (a report, a result): it waits too.
            self._hidden.append(obj)
            QTimer.singleShot(0, lambda w=obj: self._keep_hidden(w))
        return False

    def _keep_hidden(self, widget: QWidget) -> None:
        try:
            if self.locked:
                widget.hide()
        except RuntimeError:  # already deleted
            pass

    # -- locking -------------------------------------------------------------------------------------
    def lock(self, reason: str = "user") -> None:
        if self.locked:
            return
        self.locked = True
        self.timer.stop()
        for widget in QApplication.topLevelWidgets():
            if not widget.isVisible() or isinstance(widget, (QMenu, LockScreen)):
                continue
            if getattr(widget, "close_on_lock", False):  # holds secrets in its fields: closed, not hidden
                widget.close()
                continue
            widget.hide()
            self._hidden.append(widget)
        self.window.blank()
        try:
            identity.lock(self.profile, reason)
        except UserError as exc:  # the audit store failing must not keep the app unlocked
            log.warning("lock was not audited: %s", type(exc).__name__)
            self.profile.identity.lock()
        status = identity.start_status(self.profile)
        self.screen = LockScreen(needs_passphrase=status.state == identity.PASSPHRASE)
        self.screen.unlock_requested.connect(self.unlock)
        self._watch_jobs()
        self._show_progress()
        self._poll.start()
        self.screen.show()
        self.screen.raise_()
        self.screen.activateWindow()
        log.info("app locked (%s)", reason)
        self.locked_changed.emit(True)

    def _watch_jobs(self) -> None:
        for job in running_jobs():
            if job.serial not in self._progress:
                self._progress[job.serial] = f"{job.title}: running"
                job.progressed.connect(lambda r, j=job: self._progressed(j, r))

    def _progressed(self, job, report) -> None:
        pct = f" {100 * report.done // report.total}%" if report.total else ""
        self._progress[job.serial] = f"{job.title}: {report.stage}{pct}"

    def _show_progress(self) -> None:
        if self.screen is None:
            return
        self._watch_jobs()
        live = {j.serial for j in running_jobs()}
        self.screen.show_transfers([text for serial, text in sorted(self._progress.items()) if serial in live])

    def unlock(self, passphrase: str = "") -> bool:
        """Signs in again; True when unlocked. A wrong passphrase stays locked with a one-line error."""
        if not self.locked:
            return True
        try:
            identity.sign_in(self.profile, passphrase or None, via="unlock")
        except UserError as exc:
            if self.screen is not None:
                self.screen.error.setText(plain_error(exc))
            return False
        self.locked = False
        self._poll.stop()
        if self.screen is not None:
            self.screen.close()
            self.screen.deleteLater()
            self.screen = None
        for widget in self._hidden:
            try:
                widget.show()
            except RuntimeError:  # deleted while locked (a finished dialog)
                pass
        self._hidden = []
        self.window.refresh()
        self.timer.start()
        log.info("app unlocked")
        self.locked_changed.emit(False)
        pending, self._pending = self._pending, []
        for action in pending:
            action()
        return True
