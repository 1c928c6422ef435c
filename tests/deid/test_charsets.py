"""Names in every character set pydicom supports are found after decoding, and removed without losing the file
(every Specific Character Set term pydicom decodes; "ISO 2022 GBK" is left out because pydicom itself reads it
back as Latin-1).

Each synthetic CT carries the patient's name in its Specific Character Set, and the family name again in
attributes the profile keeps (Manufacturer's Model Name, Software Versions): only a search of the decoded,
NFKC-normalised, case-folded text finds them there. The whole set is cleaned in one run (module scope).
"""

from __future__ import annotations

import unicodedata

import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

from sodclient.deid import run_peer_review
from tests.deid.conftest import sample

# (Specific Character Set, patient name, family name as written in the kept attribute)
CASES = [
    ("ISO_IR 6", "Quistorpia^Anselm", "Quistorpia"),
    ("ISO_IR 100", "Jürgensöhn^Björn", "JÜRGENSÖHN"),
    ("ISO_IR 101", "Dvořáková^Šárka", "Dvořáková"),
    ("ISO_IR 109", "Ċaruanaġ^Ġorġ", "Ċaruanaġ"),
    ("ISO_IR 110", "Ķēniņšas^Ģirts", "Ķēniņšas"),
    ("ISO_IR 126", "Παπαδόπουλος^Γιώργος", "ΠΑΠΑΔΌΠΟΥΛΟΣ"),
    ("ISO_IR 127", "الحسيني^فاطمة", "الحسيني"),
    ("ISO_IR 138", "כהנוביץ^שרה", "כהנוביץ"),
    ("ISO_IR 144", "Иванова^Татьяна", "ИВАНОВА"),
    ("ISO_IR 148", "Yılmazoğlu^Şükrü", "Yılmazoğlu"),
    ("ISO_IR 166", "สมบูรณ์ชัย^สมชาย", "สมบูรณ์ชัย"),
    ("ISO_IR 13", "ﾔﾏﾀﾞﾀﾞ^ﾀﾛｳ", "ﾔﾏﾀﾞﾀﾞ"),
    ("ISO_IR 192", "Ñandúzoë^Zoë=山本^花子", "山本"),
    ("GB18030", "Wang^Xiaodong=王^小东", "王"),
    ("GBK", "Zhangwei^Liqiang=张^伟", "张"),
    (["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう", "山田"),
    (["", "ISO 2022 IR 87", "ISO 2022 IR 159"], "Suzuki^Ichirou=鈴木^一郎=すずき^いちろう", "すずき"),
    (["", "ISO 2022 IR 149"], "Hong^Gildong=洪^吉洞=홍^길동", "홍"),
    (["", "ISO 2022 IR 58"], "Liuyang^Minhua=刘^敏", "刘"),
    (["ISO 2022 IR 6", "ISO 2022 IR 100"], "Øvregård^Åse", "ØVREGÅRD"),
    (["ISO 2022 IR 6", "ISO 2022 IR 144"], "Смирнова^Ольга", "Смирнова"),
    (["ISO 2022 IR 6", "ISO 2022 IR 126"], "Νικολάου^Ελένη", "Νικολάου"),
    (["ISO 2022 IR 6", "ISO 2022 IR 101"], "Wójcikówna^Żaneta", "Wójcikówna"),
    (["ISO 2022 IR 6", "ISO 2022 IR 109"], "Ħabibġa^Ċensu", "Ħabibġa"),
    (["ISO 2022 IR 6", "ISO 2022 IR 110"], "Žemaitė^Ūla", "Žemaitė"),
    (["ISO 2022 IR 6", "ISO 2022 IR 127"], "القحطاني^نورة", "القحطاني"),
    (["ISO 2022 IR 6", "ISO 2022 IR 138"], "ברקוביץ^רחל", "ברקוביץ"),
    (["ISO 2022 IR 6", "ISO 2022 IR 148"], "Çağlayanoğlu^Ayşe", "Çağlayanoğlu"),
    (["ISO 2022 IR 6", "ISO 2022 IR 166"], "วงศ์สวัสดิ์^มาลี", "วงศ์สวัสดิ์"),
    (["ISO 2022 IR 13", "ISO 2022 IR 87"], "ｻﾄｳﾀﾛｳ^ﾊﾅｺ=佐藤^花子=さとう^はなこ", "佐藤"),
]
ERA_BIRTH = "昭和36年4月12日"  # the birth date 1961-04-12 in the Japanese era calendar


def _raw(ds, tag: int, vr: str, value: bytes) -> None:
    """An element exactly as a device wrote it (pydicom writes ISO 2022 IR 58 without its escape sequence)."""
    if len(value) % 2:
        value += b" "
    ds[tag] = RawDataElement(Tag(tag), vr, len(value), value, 0, False, True)


def _codec(charset) -> str:
    last = charset[-1] if isinstance(charset, list) else charset
    return pydicom.charset.python_encoding[last]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    src = tmp_path_factory.mktemp("charsets")
    template = pydicom.dcmread(sample("CT_small.dcm"))
    for i, (charset, name, family) in enumerate(CASES):
        ds = template.copy()
        ds.SpecificCharacterSet = charset
        ds.PatientName = name
        ds.PatientID = f"CSID{i:04d}77"
        ds.PatientBirthDate = "19610412"
        ds.ManufacturerModelName = family
        ds.SoftwareVersions = family
        if "ISO 2022 IR 87" in charset:
            ds.ManufacturerModelName = ERA_BIRTH  # an era birth date, in ISO 2022 JIS X 0208 bytes
        if "ISO 2022 IR 58" in charset:  # GB 2312 after ESC $ A, as pydicom decodes it
            gb = {c: b"\x1b$A" + c.encode("gb2312") for c in "刘敏"}
            _raw(ds, 0x00100010, "PN", b"Liuyang^Minhua=" + gb["刘"] + b"^" + gb["敏"])
            _raw(ds, 0x00081090, "LO", gb["刘"])
            _raw(ds, 0x00181020, "LO", gb["刘"])
        ds.save_as(src / f"{i:02d}.dcm")
    report = run_peer_review([src], tmp_path_factory.mktemp("charsets-out") / "out")
    return src, report


def test_every_file_is_kept_without_the_attributes_that_named_the_patient(run):
    _src, report = run
    assert report.all_safe, report.to_text()
    assert len(report.outputs) == len(CASES)
    for path in report.outputs:
        ds = pydicom.dcmread(path)
        assert "ManufacturerModelName" not in ds and "SoftwareVersions" not in ds
        assert ds.PixelData == pydicom.dcmread(sample("CT_small.dcm")).PixelData


@pytest.mark.parametrize("index", range(len(CASES)), ids=[str(c[0]) for c in CASES])
def test_no_name_survives_decoded_or_raw(run, index):
    _src, report = run
    charset, name, family = CASES[index]
    ds = pydicom.dcmread(report.outputs[index])
    decoded = " ".join(str(e.value) for e in ds.iterall() if e.VR in ("LO", "SH", "PN", "LT", "ST", "UT", "UC"))
    folded = unicodedata.normalize("NFKC", decoded).casefold()
    data = report.outputs[index].read_bytes()
    for group in name.split("="):
        for part in group.split("^"):
            if not part:
                continue
            assert unicodedata.normalize("NFKC", part).casefold() not in folded, part
            for codec in {_codec(charset), "utf-8", "gb2312" if "58" in str(charset) else "utf-8"}:
                try:
                    encoded = part.encode(codec)
                except UnicodeEncodeError:
                    continue
                if len(encoded) >= 4:
                    assert encoded not in data, (part, codec)
    assert ERA_BIRTH.encode("utf-8") not in data
    assert "昭和" not in decoded


def test_the_report_names_no_one(run):
    _src, report = run
    text = unicodedata.normalize("NFKC", report.to_text()).casefold()
    for _charset, name, _family in CASES:
        for part in name.replace("=", "^").split("^"):
            if len(part) >= 2:
                assert unicodedata.normalize("NFKC", part).casefold() not in text
