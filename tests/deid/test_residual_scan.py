"""The final gate: a surviving identifying value blocks the file, whatever the rules missed."""

from __future__ import annotations

import pydicom

from sodclient.deid import PeerReviewOptions, run_peer_review
from sodclient.deid.identifiers import IdentifierSet
from sodclient.deid.residual import ResidualScanner
from tests.deid.conftest import GIVEN, PATIENT_NAME, sample


def test_name_hidden_in_a_kept_attribute_removes_that_attribute_and_keeps_the_file(tmp_path, out):
    # Manufacturer is kept (keep-list); holding a name that is no vendor, it is removed by the final check.
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.PatientName = PATIENT_NAME
    ds.Manufacturer = f"{GIVEN.upper()} MEDICAL"
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out)
    assert report.all_safe, report.to_text()
    result = pydicom.dcmread(report.outputs[0])
    assert "Manufacturer" not in result and result.PixelData == ds.PixelData
    assert any("Manufacturer" in a and "final check" in a for a in report.changes[0].actions)
    assert GIVEN.lower() not in report.to_text().lower()
    assert GIVEN.lower().encode() not in report.outputs[0].read_bytes().lower()


def test_extra_identifier_blocks_a_photo(tmp_path, out):
    """A photo whose pixels are fine but a kept segment is not: the sender's extra identifier catches it."""
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    # An Adobe APP14 segment is kept (colour transform); here it is abused to carry a name.
    img = Image.fromarray(np.zeros((8, 8, 3), np.uint8))
    img.save(buf, format="JPEG")
    data = buf.getvalue()
    payload = b"Adobe\x00d\x00\x00\x00\x00\x01" + b"Rosalind Quist"
    data = data[:2] + b"\xff\xee" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:]
    (tmp_path / "p.jpg").write_bytes(data)
    report = run_peer_review([tmp_path / "p.jpg"], out, PeerReviewOptions(extra_identifiers=("Rosalind Quist",)))
    assert report.outputs == [] and "name" in report.left_out[0].reason


def test_scanner_matches_case_and_utf16_and_components():
    found = IdentifierSet()
    found.add_name("Quist^Rosalind")
    found.add_date_of_birth("19700203")
    found.add_phone("(030) 123-4567")
    scanner = ResidualScanner.build(found, min_length=4)
    assert scanner.scan(b"...rosalind...") == "name part"
    assert scanner.scan(b"QUIST ROSALIND") is not None
    assert scanner.scan("Rosalind".encode("utf-16-le")) is not None
    assert scanner.scan("ROSALIND".encode("utf-16-be")) is not None
    assert scanner.scan(b"RosalindQuist") is not None  # glued components
    assert scanner.scan(b"born 03.02.1970") == "date of birth"
    assert scanner.scan(b"tel 0301234567") == "phone number"
    assert scanner.scan(b"Quistorp Rosalindes") is None  # not inside longer words
    assert scanner.scan(b"nothing here") is None


def test_short_values_are_skipped_and_reported(tmp_path, out):
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.PatientName = "Li^Bo"
    ds.save_as(tmp_path / "ct.dcm")
    report = run_peer_review([tmp_path / "ct.dcm"], out)
    assert report.all_safe
    assert any("shorter than 4" in note for note in report.notes)


def test_file_scan_finds_values_across_chunk_borders(tmp_path):
    found = IdentifierSet()
    found.add_name("Quist^Rosalind")
    scanner = ResidualScanner.build(found, min_length=4)
    for offset in range(0, 12):
        path = tmp_path / f"f{offset}.bin"
        path.write_bytes(b"\x01" * (64 - offset) + b" Rosalind " + b"\x02" * 100)
        assert scanner.scan_file(path, chunk_size=64) == "name part", offset
        wide = tmp_path / f"w{offset}.bin"
        wide.write_bytes(b"\x01" * (64 - offset) + "ROSALIND".encode("utf-16-be") + b"\x02" * 100)
        assert scanner.scan_file(wide, chunk_size=64) is not None, offset
    clean = tmp_path / "clean.bin"
    clean.write_bytes(b"\x03" * 1000)
    assert scanner.scan_file(clean, chunk_size=64) is None


def test_chunk_borders_do_not_invent_word_boundaries(tmp_path):
    found = IdentifierSet()
    found.add_name("Quist^Rosalind")
    scanner = ResidualScanner.build(found, min_length=4)
    for offset in range(0, 12):
        path = tmp_path / f"f{offset}.bin"
        path.write_bytes(b"\x01" * (64 - offset) + b"xRosalindes" + b"\x02" * 100)
        assert scanner.scan_file(path, chunk_size=64) is None, offset


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_names = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzäöüéß"), min_size=4, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    family=_names,
    given_name=_names,
    noise=st.binary(max_size=300),
    cut=st.integers(0, 300),
    encoding=st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "latin-1"]),
    case=st.sampled_from(["lower", "upper", "title"]),
)
def test_planted_name_is_always_found(family, given_name, noise, cut, encoding, case):
    from hypothesis import assume

    from sodclient.deid.residual import OWN_VALUES

    assume(given_name.lower() not in OWN_VALUES)
    found = IdentifierSet()
    found.add_name(f"{family}^{given_name}")
    scanner = ResidualScanner.build(found, min_length=4)
    planted = getattr(given_name, case)()
    try:
        encoded = planted.encode(encoding)
    except UnicodeEncodeError:
        return
    cut = min(cut, len(noise))
    data = noise[:cut] + b"\x00 " + encoded + b" \x00" + noise[cut:]
    assert scanner.scan(data) is not None


def test_short_numbers_are_not_searched():
    found = IdentifierSet()
    found.add("1601", "study ID")  # equals an ordinary exposure time
    found.add("4471209", "patient ID")
    scanner = ResidualScanner.build(found, min_length=4)
    assert scanner.skipped_short == 1
    assert scanner.scan(b"exposure 1601 ms") is None
    assert scanner.scan(b"id 4471209.") == "patient ID"
