"""UI tests: real dialogs offscreen and helpers to wait for flows without exec()."""

from __future__ import annotations

import pytest

from sodclient.ui.main_window import MainWindow
from tests.profiles import current


@pytest.fixture
def window(qtbot):
    w = MainWindow(current())
    w.show()
    yield w
    close_when_idle(qtbot, w)


def close_when_idle(qtbot, w) -> None:
    """Cancel the window's work, wait for it to end, then close it. Not left to pytest-qt, which closes
    widgets before fixtures finish: with a job still running, closeEvent would ask its (modal) "cancel
    and quit?" question, and nobody answers in a test run."""
    jobs = [*w.jobs, *(w.view.jobs() if hasattr(w, "view") else [])]
    for job in jobs:
        job.cancel()
    for flow in list(w.flows):
        if hasattr(flow, "cancel"):
            flow.cancel()
    qtbot.waitUntil(
        lambda: not any(j.running for j in jobs) and not any(getattr(f, "busy", False) for f in w.flows), timeout=60000
    )
    w.close()
    w.deleteLater()


def import_and_wait(qtbot, window, paths, timeout=20000, confirm=True):
    """Imports as a user would; when the import dialog asks (documents that need a case, files it cannot take),
    `confirm` clicks Import with what the dialog proposes."""
    run = window.import_paths(paths)
    done = []
    run.finished.connect(lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done) or (run.dialog is not None and run.dialog.isVisible()), timeout=timeout)
    if not done and confirm and run.dialog.import_button.isEnabled():
        run.dialog.import_button.click()
    elif not done and confirm:
        run.dialog.reject()
    if confirm:
        qtbot.waitUntil(lambda: bool(done), timeout=timeout)
    return run
