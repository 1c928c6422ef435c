"""The manifest's delivery (id, in-reply-to, message): round trip, signed with the manifest, strict parsing."""

import pytest

import sodformat
from sodformat import Delivery, FormatError
from sodformat.keys import generate_identity
from sodformat.manifest import Entry, encode_manifest, parse_delivery, parse_manifest


def test_delivery_round_trips_and_is_signed(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("hello")
    me = generate_identity()
    sent = Delivery(sodformat.new_delivery_id(), sodformat.new_delivery_id(), "Thanks, see the report.")
    sodformat.pack(
        tmp_path / "c.sod", sodformat.collect_sources([tmp_path / "in"]), [me.recipient], signer=me, delivery=sent
    )
    contents = sodformat.verify(tmp_path / "c.sod", [me])
    assert contents.delivery == sent and contents.signer == me.signing_public


def test_container_without_delivery_reads_as_none(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    me = generate_identity()
    sodformat.pack(tmp_path / "c.sod", sodformat.collect_sources([tmp_path / "a.txt"]), [me.recipient])
    assert sodformat.verify(tmp_path / "c.sod", [me]).delivery is None


@pytest.mark.parametrize(
    "delivery",
    [
        b'{"id":"ABC"}',
        b'{"id":"0123456789abcdef0123456789abcdef","extra":1}',
        b'{"in_reply_to":"x"}',
        b'{"id":"0123456789abcdef0123456789abcdef","message":""}',
        b'{"id":"0123456789abcdef0123456789abcdef","in_reply_to":"0123"}',
        b'"0123456789abcdef0123456789abcdef"',
    ],
)
def test_malformed_delivery_is_refused(delivery):
    manifest = b'{"delivery":' + delivery + b',"entries":[]}'
    with pytest.raises(FormatError):
        parse_delivery(manifest)


def test_writer_refuses_bad_ids_and_long_messages():
    with pytest.raises(FormatError):
        encode_manifest([], Delivery("not-an-id"))
    with pytest.raises(FormatError):
        encode_manifest([], Delivery(sodformat.new_delivery_id(), message="x" * 70000))
    data = encode_manifest([Entry("a", True)], Delivery(sodformat.new_delivery_id()))
    assert parse_manifest(data) == [Entry("a", True)]
