"""How each Basic Profile action code becomes one concrete action for a given element.

PS3.15 E.1.1 lets combined codes (X/Z, X/D, X/Z/D, Z/D, X/Z/U*) pick the strictest action that still keeps
the object conformant to its IOD. We resolve them with a small, explicit table of the attributes that are
Type 1 or Type 2 in common IODs (the full module tables are not shipped), erring on the side of removal.
"""

from __future__ import annotations

import re

from pydicom.uid import UID_dictionary

from sodclient.deid.profile_table import ACTIONS, MASKED_ACTIONS

# Concrete actions after resolution.
REMOVE, EMPTY, DUMMY, REPLACE_UID, CLEAN_ITEMS, KEEP = "X", "Z", "D", "U", "U*", "K"

PATIENT_NAME, PATIENT_ID, PATIENT_BIRTH_DATE = 0x00100010, 0x00100020, 0x00100030

# Attributes whose Z/D, X/D, X/Z/D codes must become D (a dummy) because they are Type 1 in the
# multi-frame "enhanced" IODs (Enhanced General Equipment, Multi-frame Functional Groups modules).
_TYPE1_IN_ENHANCED = {
    0x00080023,  # Content Date
    0x00080033,  # Content Time
    0x0008002A,  # Acquisition DateTime
    0x00181000,  # Device Serial Number
}
# Attributes whose X/Z codes must become Z because they are Type 2 in common IODs.
_TYPE2 = {
    0x00400555,  # Acquisition Context Sequence (Type 2 in several image and waveform IODs)
    0x300A00B2,  # Treatment Machine Name (RT Beams)
    0x300E0008,  # Reviewer Name (RT Approval, Type 2C)
}
# X/Z/U* sequences hold references (Referenced/Source Image Sequence); keeping them with every contained
# UID replaced is allowed by the code and keeps the references of the study resolvable.

_NUMBER_SIZES = {"FD": 8, "FL": 4, "US": 2, "SS": 2, "UL": 4, "SL": 4, "UV": 8, "SV": 8}
_NUMBER_STRING = re.compile(rb"[ 0-9+\-.eE\\]*")
# A small allow-list from PS3.15 Table E.3.10-1 (Safe Private Attributes): diffusion parameters that
# reviewers need and that hold numbers only. Kept only when the VR is the one listed here (or UN, from an
# implicit-VR file) and the bytes are what that VR holds: a "number" whose bytes are text is removed.
SAFE_PRIVATE_VR: dict[tuple[str, int, int], str] = {
    ("SIEMENS MR HEADER", 0x0019, 0x0C): "IS",  # B_value
    ("SIEMENS MR HEADER", 0x0019, 0x0E): "FD",  # Diffusion gradient direction
    ("Philips Imaging DD 001", 0x2001, 0x03): "FL",  # Diffusion B-factor
    ("GEMS_PARM_01", 0x0043, 0x39): "IS",  # Slop_int_6..9 (b-value)
}
SAFE_PRIVATE: frozenset[tuple[str, int, int]] = frozenset(SAFE_PRIVATE_VR)


SAFE_PRIVATE_GROUPS: frozenset[int] = frozenset(group for _, group, _ in SAFE_PRIVATE)


def is_safe_private_slot(creator: str | None, tag: int) -> bool:
    """Whether (creator, group, element offset) is on the allow-list; checked before reading the value."""
    return creator is not None and (creator.strip(), tag >> 16, tag & 0xFF) in SAFE_PRIVATE


def is_safe_private(creator: str | None, tag: int, vr: str, value) -> bool:
    """On the list, with the listed VR (or UN), and bytes that really are numbers of that VR."""
    if creator is None:
        return False
    expected = SAFE_PRIVATE_VR.get((creator.strip(), tag >> 16, tag & 0xFF))
    if expected is None or vr not in (expected, "UN"):
        return False
    if value is None:
        return True
    if not isinstance(value, (bytes, bytearray)):
        items = value if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue" else [value]
        return all(isinstance(v, (int, float)) for v in items)
    if expected in ("DS", "IS"):
        return _NUMBER_STRING.fullmatch(bytes(value)) is not None
    # binary numbers: the right length, and no run of letters (a real double almost never spells a word)
    return len(value) % _NUMBER_SIZES[expected] == 0 and re.search(rb"[A-Za-z]{4}", bytes(value)) is None


def profile_action(tag: int) -> str | None:
    """The raw Table E.1-1 code for a public tag, or None when the table does not list it."""
    code = ACTIONS.get(tag)
    if code is not None:
        return code
    for mask, value, masked_code in MASKED_ACTIONS:
        if tag & mask == value:
            return masked_code
    return None


def resolve(code: str, tag: int, enhanced: bool) -> str:
    """One concrete action for a (possibly combined) code; see PS3.15 E.1.1 for the semantics."""
    if code in ("X", "Z", "D", "U", "K"):
        return code
    if code == "C":
        return REMOVE  # "clean" needs a human-made vocabulary; removing is the safe reading
    if code == "X/Z/U*":
        return CLEAN_ITEMS
    if code == "Z/D":
        if tag == PATIENT_ID:
            return DUMMY
        return DUMMY if (enhanced and tag in _TYPE1_IN_ENHANCED) else EMPTY
    if code == "X/Z":
        return EMPTY if tag in _TYPE2 else REMOVE
    if code in ("X/D", "X/Z/D"):
        return DUMMY if (enhanced and tag in _TYPE1_IN_ENHANCED) else REMOVE
    return REMOVE  # an unknown combination: remove


# UID attributes that name kinds of things (classes, syntaxes, coding schemes), never instances: kept even
# when the value is not in pydicom's dictionary (a private SOP class, a coding scheme OID such as SNOMED's).
CLASS_UID_TAGS: frozenset[int] = frozenset(
    {
        0x00080016,  # SOP Class UID
        0x00081150,  # Referenced SOP Class UID
        0x0008001A,  # Related General SOP Class UID
        0x0008001B,  # Original Specialized SOP Class UID
        0x0008010C,  # Coding Scheme UID
        0x00041510,  # Referenced SOP Class UID in File
        0x00041512,  # Referenced Transfer Syntax UID in File
        0x00020002,  # Media Storage SOP Class UID
        0x00020010,  # Transfer Syntax UID
    }
)


def is_well_known_uid(value: str) -> bool:
    """SOP classes, transfer syntaxes, coding schemes: public constants that identify nobody."""
    return value in UID_dictionary


def is_curve_or_overlay_group(group: int) -> bool:
    """Repeating groups 50xx (curves) and 60xx (overlays), even groups only."""
    return group & 1 == 0 and (group & 0xFF00) in (0x5000, 0x6000)
