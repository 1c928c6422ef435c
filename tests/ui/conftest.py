"""UI tests: real dialogs offscreen, a real file keyring, and helpers to wait for flows without exec()."""

from __future__ import annotations

import pytest

from sodclient.library import Library
from sodclient.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def _file_keyring(tmp_path, monkeypatch):
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    keyring.core.init_backend()
    yield
    keyring.core.init_backend()


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
