"""The SFTP client key is opened once per key and passphrase, kept sealed in the profile, and never in clear."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from sodclient.errors import InputError
from sodclient.transport import FileSource, client_key, new_remote_name, upload
from tests.backend.helpers import configure, trust
from tests.profiles import current


def _raw_private(pem: bytes) -> bytes:
    key = serialization.load_ssh_private_key(pem, None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


@pytest.mark.parametrize("engine", ["builtin", "openssh"])
def test_a_send_keeps_the_opened_key_sealed_and_never_in_clear(sshd, tmp_path, engine):
    client_key._LOADED.clear()  # this process may have opened the same key for an earlier test's profile
    configure(sshd, **{"sftp.engine": engine})
    trust(sshd, tmp_path)
    src = tmp_path / "payload.bin"
    src.write_bytes(os.urandom(100_000))
    name = new_remote_name()
    assert upload(current().settings().sftp(), FileSource(src), name).library == (
        "openssh" if engine == "openssh" else "paramiko"
    )
    assert (sshd.upload_dir / name).read_bytes() == src.read_bytes()
    sealed = current().paths.sftp_key_cache
    assert sealed.exists() and sealed.stat().st_mode & 0o777 == 0o600
    opened = client_key.unlocked(str(sshd.client_key), sshd.client_key_passphrase)
    secret = _raw_private(opened)
    blob = sealed.read_bytes()
    for clear in (secret, base64.b64encode(secret), opened, sshd.client_key_passphrase.encode()):
        assert clear not in blob


def test_the_sealed_key_is_used_and_bound_to_the_file_and_passphrase(sshd, tmp_path):
    configure(sshd)
    target = current().settings().sftp()
    path, passphrase, cache = target.key_file, target.key_passphrase, target.key_cache
    assert cache is not None
    first = client_key.unlocked(path, passphrase, cache)
    # the cache answers for this file and passphrase: put another key under that name and it comes back
    other = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    binding = client_key._binding(open(path, "rb").read(), passphrase)
    cache.put(binding, other)
    assert client_key.unlocked(path, passphrase, cache) == other
    # another passphrase is another binding: the file is opened again, and a wrong one is said plainly
    with pytest.raises(InputError, match="wrong passphrase"):
        client_key.unlocked(path, passphrase + "x", cache)
    assert _raw_private(client_key.unlocked(path, passphrase, None)) == _raw_private(first)  # (random check bytes)


def test_changing_the_key_settings_drops_the_sealed_key(sshd, tmp_path):
    configure(sshd)
    trust(sshd, tmp_path)
    target = current().settings().sftp()
    client_key.unlocked(target.key_file, target.key_passphrase, target.key_cache)
    assert current().paths.sftp_key_cache.exists()
    src = tmp_path / "p.bin"
    src.write_bytes(b"x" * 1000)
    configure(**{"sftp.key_passphrase": "Wrong-passphrase1"})
    assert not current().paths.sftp_key_cache.exists()
    with pytest.raises(InputError, match="wrong passphrase"):
        upload(current().settings().sftp(), FileSource(src), new_remote_name())


def test_a_damaged_sealed_key_is_opened_again_from_the_file(sshd, tmp_path):
    configure(sshd)
    trust(sshd, tmp_path)
    current().paths.sftp_key_cache.parent.mkdir(parents=True, exist_ok=True)
    current().paths.sftp_key_cache.write_bytes(b"SODVAULT1\n" + b"\0" * 40)
    src = tmp_path / "p.bin"
    src.write_bytes(b"y" * 1000)
    name = new_remote_name()
    upload(current().settings().sftp(), FileSource(src), name)
    assert (sshd.upload_dir / name).read_bytes() == src.read_bytes()
