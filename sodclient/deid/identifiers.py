"""Collect the original identifying values of a send, in the spellings they may reappear in.

The residual scan searches every output for these. Names are split into components (family, given, ...)
and recombined without separators; dates of birth get the common written forms; phone numbers also their
bare digits. Short values are counted, not searched: they would match random bytes everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

# Tags whose values identify the patient (or a person in the record) beyond the PN-valued attributes.
IDENTIFYING_TAGS: dict[int, str] = {
    0x00100020: "patient ID",
    0x00101000: "patient ID",  # Other Patient IDs
    0x00100030: "date of birth",
    0x00080050: "accession number",
    0x00101040: "address",  # Patient's Address
    0x00102154: "phone number",  # Patient's Telephone Numbers
    0x00102155: "phone number",  # Patient's Telecom Information
    0x00101090: "patient ID",  # Medical Record Locator
    0x00380010: "patient ID",  # Admission ID
    0x00400512: "patient ID",  # Issuer of the Container Identifier
    0x00200010: "study ID",
    0x00401102: "address",  # Person's Address
    0x00401103: "phone number",  # Person's Telephone Numbers
    0x00080092: "address",  # Referring Physician's Address
    0x00080094: "phone number",  # Referring Physician's Telephone Numbers
    0x00102152: "address",  # Region of Residence
    0x00101002: "patient ID",  # Other Patient IDs Sequence (values collected from items)
    0x00100033: "date of birth",  # Patient Birth Date in Alternative Calendar
    0x00100034: "date of birth",  # Patient Death Date in Alternative Calendar
    0x00101005: "name",  # Patient's Birth Name
    0x00101060: "name",  # Patient's Mother's Birth Name
}

# Japanese eras (first day, name, romaji initial); the first year of an era is written 元年 or 1.
_ERAS = (
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
    (date(1912, 7, 30), "大正", "T"),
    (date(1868, 1, 1), "明治", "M"),
)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_forms(y: int, mo: int, d: int) -> set[str]:
    """The common written forms of one date: numeric, month names, and era calendars."""
    Y, M, D = f"{y:04d}", f"{mo:02d}", f"{d:02d}"
    forms = {
        f"{Y}{M}{D}",
        f"{Y}-{M}-{D}",
        f"{Y}/{M}/{D}",
        f"{Y}.{M}.{D}",
        f"{D}.{M}.{Y}",
        f"{D}/{M}/{Y}",
        f"{M}/{D}/{Y}",
        f"{D}-{M}-{Y}",
        f"{M}-{D}-{Y}",
        f"{d}.{mo}.{y}",
        f"{d}/{mo}/{y}",
        f"{mo}/{d}/{y}",
        f"{y}年{mo}月{d}日",
        f"{Y}年{M}月{D}日",
        f"{y}년 {mo}월 {d}일",
    }
    name = _MONTHS[mo - 1]
    for m in (name, name[:3]):
        forms |= {f"{d} {m} {Y}", f"{D} {m} {Y}", f"{m} {d}, {Y}", f"{D}-{m}-{Y}", f"{D}{m}{Y}", f"{d}-{m}-{Y}"}
    try:
        day = date(y, mo, d)
    except ValueError:
        return forms
    for start, kanji, initial in _ERAS:
        if day >= start:
            n = y - start.year + 1
            for era_year in {str(n), f"{n:02d}"} | ({"元"} if n == 1 else set()):
                forms |= {f"{kanji}{era_year}年{mo}月{d}日", f"{kanji}{era_year}年{M}月{D}日"}
            forms |= {
                f"{initial}{n:02d}.{M}.{D}",
                f"{initial}{n}.{mo}.{d}",
                f"{initial}{n:02d}/{M}/{D}",
                f"{initial}{n}/{mo}/{d}",
                f"{kanji}{n}.{mo}.{d}",
            }
            break
    be = y + 543  # Thai Buddhist Era
    forms |= {f"{D}/{M}/{be}", f"{d}/{mo}/{be}", f"{be}-{M}-{D}", f"{be}{M}{D}"}
    if y > 1911:  # Minguo (Republic of China) calendar
        roc = y - 1911
        forms |= {f"民國{roc}年{mo}月{d}日", f"民国{roc}年{mo}月{d}日", f"{roc:03d}/{M}/{D}", f"{roc}/{M}/{D}"}
    return forms


_NAME_SPLIT = re.compile(r"[\^=\s,]+")
_ADDRESS_SPLIT = re.compile(r"[\^,;\r\n]+")


@dataclass
class IdentifierSet:
    """Identifying values by category; merged across all inputs of one send."""

    values: dict[str, str] = field(default_factory=dict)  # value -> category (first seen)

    def add(self, value: str, category: str) -> None:
        value = value.strip().strip("\x00").strip()
        if value and value not in self.values:
            self.values[value] = category

    def merge(self, other: IdentifierSet) -> None:
        for value, category in other.values.items():
            self.values.setdefault(value, category)

    def add_name(self, name: str) -> None:
        """A person name: the whole, each component, and the components glued together in both orders."""
        self.add(name, "name")
        for group in name.split("="):  # alphabetic, ideographic, phonetic representations
            self.add(group, "name")
            parts = [p for p in _NAME_SPLIT.split(group) if p]
            for part in parts:
                self.add(part, "name part")
            if len(parts) >= 2:
                self.add(" ".join(parts), "name")
                self.add("".join(parts), "name")
                self.add(" ".join(reversed(parts)), "name")
                self.add("".join(reversed(parts)), "name")
                self.add(", ".join(parts), "name")

    def add_date_of_birth(self, value: str) -> None:
        m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", value.strip())
        if not m:
            self.add(value, "date of birth")
            return
        for form in date_forms(*map(int, m.groups())):
            if len(form) >= 6:
                self.add(form, "date of birth")

    def add_phone(self, value: str) -> None:
        self.add(value, "phone number")
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 6:
            self.add(digits, "phone number")

    def add_address(self, value: str) -> None:
        self.add(value, "address")
        for part in _ADDRESS_SPLIT.split(value):
            self.add(part, "address")

    def add_tagged(self, tag: int, value: str) -> None:
        category = IDENTIFYING_TAGS[tag]
        if category == "name":
            self.add_name(value)
        elif category == "date of birth":
            self.add_date_of_birth(value)
        elif category == "phone number":
            self.add_phone(value)
        elif category == "address":
            self.add_address(value)
        else:
            self.add(value, category)
