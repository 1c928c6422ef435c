"""Adds the format's missing test vectors: `python tests/vectors/make_vectors.py`.

The containers are random by design (file keys, salts, ephemeral keys), so they are generated once and
committed; test_vectors.py pins that every future reader still opens them to exactly these contents.
Existing vectors are never remade (they are what older writers produced): a format addition adds a case.
"""

import json
import random
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import sodformat
from sodformat.keys import Identity

HERE = Path(__file__).parent
SEED = bytes(range(32))
PASSPHRASE = "Vector-Passphrase-1"
CREATED = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())


def _tree(root: Path) -> Path:
    rng = random.Random(1)
    top = root / "case-001"
    (top / "series" / "deep").mkdir(parents=True)
    (top / "empty").mkdir()
    (top / "note.txt").write_text("Vector note.\n" * 100)
    (top / "series" / "noise.bin").write_bytes(rng.randbytes(150_000))
    (top / "series" / "deep" / "zeros.bin").write_bytes(bytes(70_000))
    (top / "series" / "empty.dat").write_bytes(b"")
    return top


DELIVERY = sodformat.Delivery(
    "0123456789abcdef0123456789abcdef",
    in_reply_to="fedcba9876543210fedcba9876543210",
    message="Vector reply: see the attached note.",
    reply_to="replier@example.org",
)


def main() -> None:
    identity = Identity(SEED)
    existing = HERE / "vectors.json"
    vectors = (
        json.loads(existing.read_text())
        if existing.exists()
        else {
            "identity_seed_hex": SEED.hex(),
            "identity_secret": identity.secret_string(),
            "recipient": str(identity.recipient),
            "signer": identity.signing_public,
            "containers": {},
        }
    )
    if not (HERE / "identity.key").exists():
        identity.save(HERE / "identity.key")
    with tempfile.TemporaryDirectory() as tmp:
        sources = sodformat.collect_sources([_tree(Path(tmp))])
        cases = {
            "x25519-signed.sod": dict(recipients=[identity.recipient], signer=identity),
            "passphrase.sod": dict(recipients=[sodformat.PassphraseRecipient(PASSPHRASE)]),
            "multi-chacha.sod": dict(
                recipients=[sodformat.PassphraseRecipient(PASSPHRASE), identity.recipient],
                aead="chacha20-poly1305",
                chunk=65536,
            ),
            "reply-signed.sod": dict(
                recipients=[identity.recipient, sodformat.PassphraseRecipient(PASSPHRASE)],
                signer=identity,
                delivery=DELIVERY,
            ),
        }
        for name, kw in cases.items():
            if name in vectors["containers"] and (HERE / name).exists():
                continue
            result = sodformat.pack(HERE / name, sources, created=CREATED, **kw)
            vectors["containers"][name] = {
                "aead": result.header.aead,
                "created": CREATED,
                "expires": CREATED + 14 * 86400,
                "signed": "signer" in kw,
                "entries": [e.to_json() for e in result.entries],
            }
            if "delivery" in kw:
                vectors["containers"][name]["delivery"] = kw["delivery"].to_json()
    vectors["passphrase"] = PASSPHRASE
    (HERE / "vectors.json").write_text(json.dumps(vectors, indent=1) + "\n")


if __name__ == "__main__":
    main()
