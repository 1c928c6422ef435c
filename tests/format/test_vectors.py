"""Pinned test vectors: containers made once and committed; every reader must keep opening them exactly."""

import json
from pathlib import Path

import pytest

import sodformat
from sodformat import Delivery, Entry, ExpiredError, PassphraseIdentity
from sodformat.keys import Identity, load_identity

VECTORS = Path(__file__).parent.parent / "vectors"
SPEC = json.loads((VECTORS / "vectors.json").read_text())


def test_identity_derivation_is_pinned():
    identity = Identity(bytes.fromhex(SPEC["identity_seed_hex"]))
    assert identity.secret_string() == SPEC["identity_secret"]
    assert str(identity.recipient) == SPEC["recipient"]
    assert identity.signing_public == SPEC["signer"]
    assert str(load_identity(VECTORS / "identity.key").recipient) == SPEC["recipient"]


@pytest.mark.parametrize("name", sorted(SPEC["containers"]))
@pytest.mark.parametrize("how", ["identity", "passphrase"])
def test_vector_opens_to_pinned_contents(name, how):
    case = SPEC["containers"][name]
    info = sodformat.inspect(VECTORS / name)
    if {"identity": "x25519", "passphrase": "argon2id"}[how] not in info.recipients:
        pytest.skip(f"{name} has no {how} recipient")
    ident = load_identity(VECTORS / "identity.key") if how == "identity" else PassphraseIdentity(SPEC["passphrase"])
    assert info.aead == case["aead"] and int(info.created.timestamp()) == case["created"]
    assert int(info.expires.timestamp()) == case["expires"] and info.expired()
    with pytest.raises(ExpiredError):
        sodformat.verify(VECTORS / name, [ident])
    contents = sodformat.verify(VECTORS / name, [ident], allow_expired=True)
    expected = [
        Entry(e["name"], True)
        if e["type"] == "dir"
        else Entry(e["name"], False, e["size"], e["sha256"], e["media_type"], e["compression"])
        for e in case["entries"]
    ]
    assert contents.entries == expected
    assert contents.signer == (SPEC["signer"] if case["signed"] else None)
    expected_delivery = case.get("delivery")  # only vectors written since the delivery field carry one
    assert contents.delivery == (Delivery(**expected_delivery) if expected_delivery else None)


def test_reply_vector_carries_its_thread():
    assert {"x25519-signed.sod", "passphrase.sod", "multi-chacha.sod"} <= set(SPEC["containers"])  # old kept
    case = SPEC["containers"]["reply-signed.sod"]
    assert case["delivery"]["in_reply_to"] and case["delivery"]["message"] and case["signed"]
