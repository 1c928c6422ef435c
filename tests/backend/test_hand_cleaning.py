"""Cleaning by hand through the service: Peer Review again with the sender's boxes, audited as numbers only."""

from __future__ import annotations

import pytest

from sodclient.audit_text import sentence
from sodclient.deid.options import PeerReviewOptions
from sodclient.deid.preview import hand_cleanable
from sodclient.errors import PeerReviewLeftOut
from sodclient.services.peer_review import picture, review
from tests.deid.burned_text import COVER, flagged_ct
from tests.library.dicom_factory import make_dicom


def test_every_input_left_out_raises_unless_the_report_may_be_empty(profile, tmp_path):
    path, _ = flagged_ct(tmp_path / "in" / "ct.dcm")
    with pytest.raises(PeerReviewLeftOut):
        review(profile, [path])
    kept = review(profile, [path], empty_ok=True)
    assert kept.outputs == [] and len(kept.report.left_out) == 1
    kept.discard()
    assert not kept.workdir.exists()


def test_boxes_by_hand_release_the_image_and_the_trail_has_counts_not_places(profile, tmp_path):
    plain = make_dicom(tmp_path / "in" / "plain.dcm")
    path, _ = flagged_ct(tmp_path / "in" / "ct.dcm")
    first = review(profile, [plain, path])
    assert [item.label for item in first.report.left_out] == ["input 2"]
    assert first.report.left_out[0].hand_cleanable  # the report says so: the dialog reads no file to know
    again = review(profile, [plain, path], PeerReviewOptions().with_boxes("input 2", [COVER]))
    assert again.report.all_safe and len(again.outputs) == 2
    first.discard()
    again.discard()

    record = profile.audit.read()[-1]
    assert record["fields"]["boxes_by_hand"] == 1 and record["fields"]["cleaned_by_hand"] == [2]
    assert record["fields"] == {  # how many areas and on which input; never where, never what
        "inputs": 2,
        "outputs": 2,
        "left_out": 0,
        "boxes_by_hand": 1,
        "cleaned_by_hand": [2],
    }
    assert "1 area blanked by hand in document 2" in sentence(record)
    assert "by hand" not in sentence(profile.audit.read()[-2])
    assert profile.audit.verify().ok


def test_what_can_be_cleaned_by_hand_and_its_picture(tmp_path):
    path, _ = flagged_ct(tmp_path / "ct.dcm")
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(b"%PDF-1.4 broken")
    assert hand_cleanable(path) and not hand_cleanable(pdf)
    shown = picture(path)
    assert shown.pixels.shape == (256, 256) and shown.frames == 1


def test_the_command_line_blanks_areas_by_input_number(profile, tmp_path, capsys):
    """`--blank N:X,Y,W,H` is Clean by Hand… for `sodclient deid` and `sodclient send --peer-review`."""
    from sodclient.cli import main as cli_main

    plain = make_dicom(tmp_path / "in" / "plain.dcm")
    path, _ = flagged_ct(tmp_path / "in" / "ct.dcm")
    assert cli_main(["deid", "--quiet", "-o", str(tmp_path / "left"), str(plain), str(path)]) == 5
    blank = "2:" + ",".join(map(str, COVER))
    assert cli_main(["deid", "--quiet", "-o", str(tmp_path / "out"), "--blank", blank, str(plain), str(path)]) == 0
    assert len(list((tmp_path / "out").iterdir())) == 2
    assert profile.audit.read()[-1]["fields"]["cleaned_by_hand"] == [2]

    assert cli_main(["deid", "-o", str(tmp_path / "bad"), "--blank", "2:1,2,3", str(path)]) == 2
    assert "N:X,Y,W,H" in capsys.readouterr().err
    args = ["send", "--to", "a@b.example", "--blank", blank, str(path)]
    assert cli_main(args) == 2 and "add --peer-review" in capsys.readouterr().err
