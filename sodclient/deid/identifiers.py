"""Collect the original identifying values of a send, in the spellings they may reappear in.

The residual scan searches every output for these. Names are split into components (family, given, ...)
and recombined without separators; dates of birth get the common written forms; phone numbers also their
bare digits. Short values are counted, not searched: they would match random bytes everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Tags whose values identify the patient (or a person in the record) beyond the PN-valued attributes.
IDENTIFYING_TAGS: dict[int, str] = {
    0x00100020: "patient ID",
    0x00101000: "patient ID",            # Other Patient IDs
    0x00100030: "date of birth",
    0x00080050: "accession number",
    0x00101040: "address",               # Patient's Address
    0x00102154: "phone number",          # Patient's Telephone Numbers
    0x00102155: "phone number",          # Patient's Telecom Information
    0x00101090: "patient ID",            # Medical Record Locator
    0x00380010: "patient ID",            # Admission ID
    0x00400512: "patient ID",            # Issuer of the Container Identifier
    0x00200010: "study ID",
    0x00401102: "address",               # Person's Address
    0x00401103: "phone number",          # Person's Telephone Numbers
    0x00080092: "address",               # Referring Physician's Address
    0x00080094: "phone number",          # Referring Physician's Telephone Numbers
    0x00102152: "address",               # Region of Residence
    0x00101002: "patient ID",            # Other Patient IDs Sequence (values collected from items)
}

_NAME_SPLIT = re.compile(r"[\^=\s,]+")
_ADDRESS_SPLIT = re.compile(r"[\^,;\r\n]+")


@dataclass
class IdentifierSet:
    """Identifying values by category; merged across all inputs of one send."""

    values: dict[str, str] = field(default_factory=dict)    # value -> category (first seen)

    def add(self, value: str, category: str) -> None:
        value = value.strip().strip("\x00").strip()
        if value and value not in self.values:
            self.values[value] = category

    def merge(self, other: "IdentifierSet") -> None:
        for value, category in other.values.items():
            self.values.setdefault(value, category)

    def add_name(self, name: str) -> None:
        """A person name: the whole, each component, and the components glued together in both orders."""
        self.add(name, "name")
        for group in name.split("="):            # alphabetic, ideographic, phonetic representations
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
        y, mo, d = m.groups()
        for form in (f"{y}{mo}{d}", f"{y}-{mo}-{d}", f"{y}/{mo}/{d}", f"{y}.{mo}.{d}", f"{d}.{mo}.{y}",
                     f"{d}/{mo}/{y}", f"{mo}/{d}/{y}", f"{d}-{mo}-{y}", f"{mo}-{d}-{y}"):
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
        if category == "date of birth":
            self.add_date_of_birth(value)
        elif category == "phone number":
            self.add_phone(value)
        elif category == "address":
            self.add_address(value)
        else:
            self.add(value, category)
