"""UI tests: real dialogs offscreen and helpers to wait for flows without exec()."""

from __future__ import annotations

import pytest

from sodclient.library import Library
from sodclient.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    w = MainWindow(Library())
    qtbot.addWidget(w)
    w.show()
    yield w
    for job in list(w.jobs):
        job.cancel()


def import_and_wait(qtbot, window, paths, timeout=20000):
    job = window.import_paths(paths)
    with qtbot.waitSignal(job.finished, timeout=timeout):
        pass
    return job
