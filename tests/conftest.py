"""Suite-wide isolation: every test gets its own SODCLIENT_HOME and its own real file keyring
(keyrings.alt, under the test's tmp folder), and Qt runs offscreen."""

import os

import pytest

pytest_plugins = ["tests.servers", "tests.pacs.orthanc"]  # real sshd, SMTP, download site, Orthanc (shared fixtures)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("sodhome")
    monkeypatch.setenv("SODCLIENT_HOME", str(home))  # for the command line in-process and in subprocesses
    monkeypatch.delenv("SODCLIENT_SITE_DEFAULTS", raising=False)
    return home


@pytest.fixture
def profile(_isolated_home):
    """The test's own profile: the same one `sodclient` commands run in this test pick from SODCLIENT_HOME."""
    from sodclient.profile import Profile

    return Profile.from_environment()


@pytest.fixture(autouse=True)
def _file_keyring(tmp_path, monkeypatch):
    """A real keyring backend on headless machines: the code under test goes through `keyring` as in use."""
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    keyring.core.init_backend()
    yield
    keyring.core.init_backend()


@pytest.fixture
def no_keyring(monkeypatch):
    """A computer without an OS keyring: keyring's `fail` backend, here and in the processes it starts."""
    import keyring
    import keyring.backends.fail

    before = keyring.get_keyring()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(before)
