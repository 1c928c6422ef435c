"""Suite-wide isolation: every test gets its own SODCLIENT_HOME and Qt runs offscreen."""

import os

import pytest

pytest_plugins = ["tests.servers"]  # real sshd, SMTP, download site (shared fixtures)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("sodhome")
    monkeypatch.setenv("SODCLIENT_HOME", str(home))
    return home
