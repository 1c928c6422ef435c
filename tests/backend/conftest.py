"""Backend tests use a real keyring backend (keyrings.alt) stored under the test's own tmp folder."""

import pytest


@pytest.fixture(autouse=True)
def _real_file_keyring(tmp_path, monkeypatch):
    import keyring
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    keyring.core.init_backend()
    yield
    keyring.core.init_backend()
