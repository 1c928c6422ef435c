"""Library/import tests audit through the real keyring code path: a file keyring under the test's tmp folder."""

import pytest


@pytest.fixture(autouse=True)
def _file_keyring(tmp_path, monkeypatch):
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    keyring.core.init_backend()
    yield
    keyring.core.init_backend()
