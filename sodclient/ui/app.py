"""Entry point of the desktop app: `sodclient` with no command, or `sodclient FILE.sod`."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from sodclient import __version__
from sodclient.logs import setup_logging
from sodclient.profile import Profile
from sodclient.ui.common import KeepContentVisible, app_icon, plain_error
from sodclient.ui.main_window import MainWindow
from sodclient.ui.platform_check import platform_problem
from sodclient.ui.sign_in import ensure_signed_in
from sodclient.ui.single_instance import InstanceServer, hand_over

_T0 = time.perf_counter()
log = logging.getLogger("sodclient.ui")


def build_app(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "sodclient", *argv])
    app.setApplicationName("SOD Send")
    app.setOrganizationName("SODSend")
    app.setDesktopFileName("sodsend")
    app.setWindowIcon(app_icon())
    if not app.property("sod_keep_visible"):
        app.setProperty("sod_keep_visible", True)
        app._keep_visible = KeepContentVisible(app)
        app.installEventFilter(app._keep_visible)
    return app


class _FileOpenFilter(QObject):
    def __init__(self, callback, parent: QObject):
        super().__init__(parent)
        self.callback = callback

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.FileOpen and event.file():
            self.callback(event.file())
            return True
        return False


def _report_unexpected(window):
    """Last resort for a bug in a slot: tell the user in one line (details go to stderr), keep running."""
    previous = sys.excepthook

    def hook(kind, exc, tb):
        log.error("unexpected error in the window", exc_info=(kind, exc, tb))
        previous(kind, exc, tb)
        QMessageBox.warning(window, "SOD Send", plain_error(exc, "Nothing was lost; please report this."))

    return hook


def run_app(argv: list[str], debug: bool = False, profile: Profile | None = None) -> int:
    """Opens the main window (and the given .sod), or hands the file to an already running instance."""
    sod = next((Path(a).resolve() for a in argv if a.lower().endswith(".sod")), None)
    problem = None if QApplication.instance() else platform_problem()
    if problem:  # Qt would abort the process (signal 6) with a misleading hint
        print(problem, file=sys.stderr)
        return 1
    app = build_app([])
    profile = profile or Profile.from_environment()
    if hand_over(profile.paths.data, str(sod) if sod else ""):
        return 0
    try:
        profile.ensure()
        setup_logging(profile.paths.log_dir, debug=debug)
        profile.library()
    except Exception as exc:  # an unreadable profile: say so in a window, not a traceback
        QMessageBox.critical(None, "SOD Send", plain_error(exc, "Your library could not be opened."))
        return 1
    log.info("app started (version %s)", __version__)
    if os.environ.get("SODCLIENT_STARTUP_PROBE") == "1":  # bench/bench_gui.py: time to the first window
        # (the main window, or the sign-in dialog where a passphrase protects the key)
        QTimer.singleShot(
            0, lambda: (print(f"first-window-shown {time.perf_counter() - _T0:.3f}s", flush=True), app.quit())
        )
    try:
        if not ensure_signed_in(profile):  # first start creates the key; later starts ask for the passphrase
            return 0
    except Exception as exc:
        QMessageBox.critical(None, "SOD Send", plain_error(exc, "Your key could not be opened."))
        return 1
    window = MainWindow(profile)
    sys.excepthook = _report_unexpected(window)
    server = InstanceServer(profile.paths.data, window)
    server.listen()

    def on_message(message: str) -> None:
        if window.session_lock.locked:  # a .sod handed over while locked opens after the passphrase
            window.session_lock.after_unlock(lambda: on_message(message))
            return
        window.showNormal()
        window.raise_()
        window.activateWindow()
        if message:
            window.open_sod(Path(message))

    server.message_received.connect(on_message)
    opener = _FileOpenFilter(on_message, app)  # macOS Finder hands files over as QFileOpenEvent
    app.installEventFilter(opener)
    window.show()
    if sod:
        QTimer.singleShot(0, lambda: window.open_sod(sod))
    return app.exec()
