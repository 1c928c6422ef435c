"""Apply the Basic Application Level Confidentiality Profile to one parsed DICOM dataset, recursively.

Every element at every sequence depth goes through one decision: Table E.1-1 (with the Retain and Clean
Descriptors options the sender chose), else the keep-list generated from the DICOM dictionary (keep_list.py),
else removal. Sequences are walked, UIDs replaced, private tags removed unless on the safe list with the
VR and bytes it expects. So an attribute the table does not name, a retired or an unknown even-group tag is
removed by default. The identifying values seen on the way are collected for the residual scan. Pixel Data
is never touched here, so it stays bit-identical.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID

from sodclient.deid import dicom_rules as rules
from sodclient.deid import raw_values
from sodclient.deid.identifiers import IDENTIFYING_TAGS, IdentifierSet
from sodclient.deid.keep_list import KEEP, TECHNICAL_TEXT
from sodclient.deid.keys import SendKeys
from sodclient.deid.profile_table import CLEAN_DESCRIPTORS_TAGS, MODIFIED_DATES_TAGS, PATIENT_CHARACTERISTICS_TAGS
from sodclient.deid.vocabulary import ROI_NAME, SEGMENT_LABEL, is_tg263

DEID_METHOD = "SOD Send Peer Review: PS3.15 Basic Profile"
_FREE_TEXT_VRS = {"LT", "ST", "UT"}
_DUMMY_TEXT = "ANONYMIZED"
_DUMMY_BY_VR = {
    "DA": "19000101",
    "TM": "000000",
    "DT": "19000101000000",
    "AS": "000D",
    "IS": "0",
    "DS": "0",
    "UR": "",
    "UI": None,
}
_BINARY_VRS = {"OB", "OW", "OD", "OF", "OL", "OV", "UN"}
_NUMBER_VRS = {"US", "SS", "UL", "SL", "FL", "FD", "UV", "SV", "AT"}
# File meta elements that survive; the rest (source/sending AE titles, private information) identify sites.
_META_KEEP = {0x00020001, 0x00020002, 0x00020003, 0x00020010, 0x00020012, 0x00020013}
_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(.*)$", re.S)
SOP_CLASS_UID, SOP_INSTANCE_UID = 0x00080016, 0x00080018
ICON_IMAGE_SEQUENCE = 0x00880200
TEXT_VALUE = 0x0040A160
STRUCTURE_SET_ROI_SEQUENCE = 0x30060020
_AGE_RE = re.compile(r"^\s*(\d{1,3})\s*([DWMY])\s*$")
_AGE_DAYS = {"D": 1, "W": 7, "M": 30.44, "Y": 365.25}


@dataclass
class CleanStats:
    """Counts for the report; no values."""

    removed: int = 0
    emptied: int = 0
    dummied: int = 0
    uids_replaced: int = 0
    dates_shifted: int = 0
    private_removed: int = 0
    private_kept: int = 0
    unknown_vr_removed: int = 0
    overlays_curves_removed: int = 0
    free_text_removed: int = 0
    meta_removed: int = 0
    not_on_keep_list: int = 0
    ages_capped: int = 0
    roi_names_kept: int = 0
    roi_names_replaced: int = 0
    descriptors_kept: int = 0

    def summary(self) -> list[str]:
        parts = [
            (self.removed, "attribute(s) removed by the confidentiality profile"),
            (self.emptied, "attribute(s) emptied"),
            (self.dummied, "attribute(s) replaced by neutral values"),
            (self.uids_replaced, "UID(s) replaced consistently"),
            (self.dates_shifted, "date(s) shifted by the patient's offset"),
            (self.private_removed, "private attribute(s) removed"),
            (self.private_kept, "safe private attribute(s) kept (numeric diffusion parameters)"),
            (self.unknown_vr_removed, "attribute(s) of unknown type removed"),
            (self.overlays_curves_removed, "overlay/curve/icon attribute(s) removed"),
            (self.free_text_removed, "free-text attribute(s) removed"),
            (self.meta_removed, "file meta attribute(s) removed"),
            (
                self.not_on_keep_list,
                "attribute(s) removed because they are not on the keep-list of attributes known to carry no identity",
            ),
            (self.ages_capped, "age(s) over 89 years set to 090Y"),
            (self.roi_names_kept, "RT structure / segment name(s) kept (AAPM TG-263 standard names)"),
            (
                self.roi_names_replaced,
                "RT structure / segment name(s) replaced by 'ROI n' / 'Segment n' (not TG-263 standard names)",
            ),
            (self.descriptors_kept, "descriptor(s) kept by the Clean Descriptors option (checked by the final scan)"),
        ]
        return [f"{n} {text}" for n, text in parts if n]


@dataclass
class PatientPseudonym:
    name: str
    patient_id: str
    date_offset_days: int


@dataclass
class _Context:
    keys: SendKeys
    keep_dates: bool
    keep_characteristics: bool
    enhanced: bool
    pseudonym: PatientPseudonym
    found: IdentifierSet
    structured: bool = False  # SR / KOS: report text is kept for redaction, not removed
    clean_descriptors: bool = False
    stats: CleanStats = field(default_factory=CleanStats)


def patient_key(ds: Dataset) -> str:
    """What makes two files the same patient within a send: the original ID (else the name)."""
    pid = str(ds.get("PatientID", "") or "").strip()
    if pid:
        return "id:" + pid
    return "name:" + str(ds.get("PatientName", "") or "").strip()


def pseudonym_for(ds: Dataset, keys: SendKeys) -> PatientPseudonym:
    key = patient_key(ds)
    code = keys.patient_code(key)
    return PatientPseudonym(f"PEER REVIEW^{code}", f"PR-{code}", keys.date_offset_days(key))


def clean_dataset(
    ds: Dataset,
    keys: SendKeys,
    keep_dates: bool,
    found: IdentifierSet,
    keep_characteristics: bool = False,
    structured: bool = False,
    clean_descriptors: bool = False,
) -> tuple[CleanStats, PatientPseudonym]:
    """De-identify `ds` in place (file meta included); collect identifying values into `found`."""
    pseudonym = pseudonym_for(ds, keys)
    enhanced = "PerFrameFunctionalGroupsSequence" in ds or "SharedFunctionalGroupsSequence" in ds
    if keep_characteristics and not ds.get("PatientAge"):
        age = age_at_exam(ds)
        if age:
            ds.PatientAge = age
    ctx = _Context(keys, keep_dates, keep_characteristics, enhanced, pseudonym, found, structured, clean_descriptors)
    _clean(ds, ctx)
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        _clean_meta(meta, ctx)
    ds.PatientName = pseudonym.name
    ds.PatientID = pseudonym.patient_id
    _mark(ds, keep_dates, keep_characteristics, clean_descriptors)
    return ctx.stats, pseudonym


def cap_age(value: str) -> str | None:
    """'095Y' -> '090Y'; any age string over 89 years (in days, weeks, months or years) becomes 090Y.
    Returns None when the value is not over 89 years (or not an age)."""
    m = _AGE_RE.match(str(value))
    if not m:
        return None
    days = int(m.group(1)) * _AGE_DAYS[m.group(2)]
    return "090Y" if days >= 90 * 365.25 else None


def _name_roi(ds: Dataset, key, ctx: _Context) -> None:
    """RT structure and segment names: TG-263 standard names stay; anything else (it may be a person or a
    note) becomes 'ROI n' / 'Segment n' with n the item's ROI / Segment Number (both are Type 1)."""
    name = str(ds[key].value or "")
    if name and is_tg263(name):
        ctx.stats.roi_names_kept += 1
    elif int(key) == ROI_NAME:
        ds[key].value = f"ROI {ds.get('ROINumber', '')}".strip()
        ctx.stats.roi_names_replaced += 1
    else:
        ds[key].value = f"Segment {ds.get('SegmentNumber', '')}".strip()
        ctx.stats.roi_names_replaced += 1


def age_at_exam(ds: Dataset) -> str | None:
    """The patient's age (DICOM AS, e.g. '047Y', '003M') at the study, from the dates about to be removed.
    Ages over 89 become '090Y': alone they can single a person out (HIPAA Safe Harbor)."""
    try:
        born = dt.datetime.strptime(str(ds.get("PatientBirthDate", "")), "%Y%m%d").date()
        seen_raw = str(ds.get("StudyDate", "") or ds.get("ContentDate", "") or ds.get("SeriesDate", ""))
        seen = dt.datetime.strptime(seen_raw, "%Y%m%d").date()
    except ValueError:
        return None
    days = (seen - born).days
    if days < 0:
        return None
    years = seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))
    if years >= 2:
        return f"{min(years, 90):03d}Y"
    months = (seen.year - born.year) * 12 + seen.month - born.month - (seen.day < born.day)
    if months >= 1:
        return f"{months:03d}M"
    return f"{days // 7:03d}W" if days >= 7 else f"{days:03d}D"


def _clean_meta(meta: FileMetaDataset, ctx: _Context) -> None:
    for tag in list(meta.keys()):
        if tag == 0x00020000:
            continue
        if tag not in _META_KEEP:
            del meta[tag]
            ctx.stats.meta_removed += 1
    if "MediaStorageSOPInstanceUID" in meta:
        meta.MediaStorageSOPInstanceUID = UID(ctx.keys.uid(str(meta.MediaStorageSOPInstanceUID)))
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "SODSEND_DEID"


def _mark(ds: Dataset, keep_dates: bool, keep_characteristics: bool, clean_descriptors: bool = False) -> None:
    """Record what was done, as PS3.15 E.1 and PS3.3 C.7.1.1 ask."""
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = DEID_METHOD
    codes = [("113100", "Basic Application Confidentiality Profile")]
    if keep_dates:
        codes.append(("113107", "Retain Longitudinal Temporal Information Modified Dates Option"))
    if keep_characteristics:
        codes.append(("113108", "Retain Patient Characteristics Option"))
    if clean_descriptors:
        codes.append(("113105", "Clean Descriptors Option"))
    ds.DeidentificationMethodCodeSequence = Sequence([_code_item(v, m) for v, m in codes])
    ds.LongitudinalTemporalInformationModified = "MODIFIED" if keep_dates else "REMOVED"


def add_method_code(ds: Dataset, value: str, meaning: str) -> None:
    ds.DeidentificationMethodCodeSequence.append(_code_item(value, meaning))


def _code_item(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = meaning
    return item


def _collect(tag: int, elem, found: IdentifierSet) -> None:
    """Remember identifying values before they are removed, for the residual scan."""
    vr = elem.VR
    if vr == "PN":
        for v in _values(elem):
            found.add_name(str(v))
    elif tag in IDENTIFYING_TAGS and vr != "SQ":
        for v in _values(elem):
            if isinstance(v, (str, bytes)):
                found.add_tagged(tag, v.decode("latin-1") if isinstance(v, bytes) else v)


def _collect_key(ds: Dataset, key, tag: int, vr: str, found: IdentifierSet) -> None:
    """`_collect` for ds[key], reading plain ASCII values from their raw bytes (no conversion: PN values
    would otherwise each become a PersonName object only to be removed)."""
    raw = ds.get_item(key)
    value = raw.value
    if getattr(raw, "is_raw", False) and isinstance(value, bytes) and value.isascii() and b"\x1b" not in value:
        if vr != "PN" and tag not in IDENTIFYING_TAGS:
            return
        for part in value.decode("ascii").strip(" \x00").split("\\"):
            part = part.strip(" \x00")
            if part:
                if vr == "PN":
                    found.add_name(part)
                else:
                    found.add_tagged(tag, part)
        return
    _collect(tag, ds[key], found)


def _collect_all(ds: Dataset, found: IdentifierSet) -> None:
    """Collect identifying values from a subtree that is about to be removed as a whole."""
    for key in ds.keys():
        tag = int(key)
        if tag >> 16 & 1:
            continue
        vr = _raw_vr(ds, key)
        if vr == "SQ":
            for item in ds[key].value or []:
                _collect_all(item, found)
        elif vr == "PN" or tag in IDENTIFYING_TAGS:
            _collect_key(ds, key, tag, vr, found)


def _values(elem) -> list:
    value = elem.value
    if value is None or value == "":
        return []
    if isinstance(value, (MultiValue, list, tuple)):
        return [v for v in value if v not in (None, "")]
    return [value]


def _raw_vr(ds: Dataset, tag: int) -> str:
    """The VR without converting the value (conversion is the slow part of a walk)."""
    return raw_values.vr(ds, tag)


def _clean(ds: Dataset, ctx: _Context) -> None:
    stats = ctx.stats
    creators: dict[tuple[int, int], str] = {}
    used_blocks: set[tuple[int, int]] = set()
    # `key` (pydicom's own tag object) for dataset access: its dict then matches by identity; `tag` (a
    # plain int) for our tables: comparing pydicom tags with ints is a Python-level call, costly per element.
    for key in sorted(ds.keys()):
        tag = int(key)
        group, element = tag >> 16, tag & 0xFFFF
        if element == 0x0000:  # group lengths would be wrong after cleaning
            del ds[key]
            continue
        if group & 1:
            _private(ds, key, creators, used_blocks, ctx)
            continue
        if rules.is_curve_or_overlay_group(group) or tag == ICON_IMAGE_SEQUENCE:
            del ds[key]
            stats.overlays_curves_removed += 1
            continue
        if tag == ROI_NAME or tag == SEGMENT_LABEL:
            _name_roi(ds, key, ctx)
            continue
        code = rules.profile_action(tag)
        if code is None:
            _unlisted(ds, key, tag, ctx)
            continue
        if ctx.keep_characteristics and tag in PATIENT_CHARACTERISTICS_TAGS:
            if _raw_vr(ds, key) == "AS":
                _cap_age_elem(ds[key], ctx)
            continue  # kept as read, by the sender's choice
        if ctx.clean_descriptors and tag in CLEAN_DESCRIPTORS_TAGS and _raw_vr(ds, key) in _DESCRIPTOR_VRS:
            ctx.stats.descriptors_kept += 1
            continue  # kept; the final scan removes it if it names anyone
        vr = _raw_vr(ds, key)
        if vr == "PN" or tag in IDENTIFYING_TAGS:
            _collect_key(ds, key, tag, vr, ctx.found)
        if ctx.keep_dates and tag in MODIFIED_DATES_TAGS and vr in ("DA", "DT", "TM"):
            _shift_dates(ds[key], ctx)
            continue
        action = rules.resolve(code, tag, ctx.enhanced)
        if action == rules.REMOVE:  # removed without converting the value
            if vr == "SQ":  # but first remember who its items name, for the final check
                for item in ds[key].value or []:
                    _collect_all(item, ctx.found)
            del ds[key]
            stats.removed += 1
        elif action == rules.EMPTY and vr != "SQ":
            ds[key] = DataElement(key, vr, None if vr in _NUMBER_VRS | _BINARY_VRS else "")
            stats.emptied += 1
        else:
            _apply(ds, key, ds[key], action, ctx)
    # Private creator elements go when nothing of their block survived.
    for (group, block), _creator in creators.items():
        if (group, block) not in used_blocks:
            del ds[(group << 16) | block]


def _private(ds: Dataset, tag: int, creators: dict, used_blocks: set, ctx: _Context) -> None:
    """Private attributes go, except the few on the safe allow-list (kept only when numeric)."""
    group, element = tag >> 16, tag & 0xFFFF
    if group in rules.SAFE_PRIVATE_GROUPS and element >= 0x0010:
        if element <= 0x00FF:
            value = ds[tag].value
            creators[(group, element)] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            return
        block = element >> 8
        creator = creators.get((group, block))
        if (
            element >= 0x1000
            and rules.is_safe_private_slot(creator, tag)
            and rules.is_safe_private(creator, tag, _raw_vr(ds, tag), ds.get_item(tag).value)
        ):
            used_blocks.add((group, block))
            ctx.stats.private_kept += 1
            return
    # Removed without reading the value: private data is never released, so there is nothing to convert.
    del ds[tag]
    ctx.stats.private_removed += 1


_DESCRIPTOR_VRS = {"LO", "SH", "ST", "LT", "UT", "UC"}


def _unlisted(ds: Dataset, key, tag: int, ctx: _Context) -> None:
    """Attributes Table E.1-1 does not name: sequences are walked, UIDs replaced, what is on the keep-list
    stays as read (never converted), and everything else is removed (its identifying values remembered)."""
    vr = _raw_vr(ds, key)
    if vr == "SQ":
        for item in ds[key].value or []:
            _clean(item, ctx)
    elif vr == "UN":  # unknown content cannot be checked
        del ds[key]
        ctx.stats.unknown_vr_removed += 1
    elif vr == "UI":
        if tag not in rules.CLASS_UID_TAGS:
            _replace_uids(ds[key], ctx, only_unknown=True)
    elif tag in KEEP or tag in TECHNICAL_TEXT or (ctx.structured and tag == TEXT_VALUE):
        if vr == "AS":
            _cap_age_elem(ds[key], ctx)
    else:
        if vr == "PN" or tag in IDENTIFYING_TAGS:
            _collect_key(ds, key, tag, vr, ctx.found)
        del ds[key]
        if vr in _FREE_TEXT_VRS:
            ctx.stats.free_text_removed += 1
        else:
            ctx.stats.not_on_keep_list += 1


def _cap_age_elem(elem, ctx: _Context) -> None:
    capped = cap_age(elem.value)
    if capped is not None:
        elem.value = capped
        ctx.stats.ages_capped += 1


def _apply(ds: Dataset, tag: int, elem, action: str, ctx: _Context) -> None:
    stats = ctx.stats
    if action == rules.REMOVE:
        del ds[tag]
        stats.removed += 1
    elif action == rules.EMPTY:
        elem.value = Sequence() if elem.VR == "SQ" else (None if elem.VR in _NUMBER_VRS | _BINARY_VRS else "")
        stats.emptied += 1
    elif action == rules.DUMMY:
        _dummy(elem, tag, ctx)
        stats.dummied += 1
    elif action == rules.REPLACE_UID:
        if elem.VR == "UI":
            _replace_uids(elem, ctx, only_unknown=False)
        elif elem.VR == "SQ":
            for item in elem.value or []:
                _clean(item, ctx)
        else:
            del ds[tag]
            stats.removed += 1
    elif action in (rules.CLEAN_ITEMS, rules.KEEP):
        if elem.VR == "SQ":
            for item in elem.value or []:
                _clean(item, ctx)


def _dummy(elem, tag: int, ctx: _Context) -> None:
    vr = elem.VR
    if int(tag) == rules.PATIENT_ID:
        elem.value = ctx.pseudonym.patient_id
    elif vr == "SQ":  # keep the items (Type 1), cleaned like everything else
        for item in elem.value or []:
            _clean(item, ctx)
    elif vr == "UI":
        _replace_uids(elem, ctx, only_unknown=False)
    elif vr in ("DA", "DT") and ctx.keep_dates:
        _shift_dates(elem, ctx)
    elif vr in _DUMMY_BY_VR:
        elem.value = _DUMMY_BY_VR[vr]
    elif vr in _NUMBER_VRS:
        elem.value = 0
    elif vr in _BINARY_VRS:
        elem.value = b"\x00\x00"
    else:
        elem.value = _DUMMY_TEXT


def _replace_uids(elem, ctx: _Context, only_unknown: bool) -> None:
    values = _values(elem)
    if not values:
        return
    new = []
    for v in values:
        s = str(v)
        if only_unknown and rules.is_well_known_uid(s):
            new.append(s)
        else:
            new.append(ctx.keys.uid(s))
            ctx.stats.uids_replaced += 1
    elem.value = new if len(new) > 1 else new[0]


def _shift_dates(elem, ctx: _Context) -> None:
    """Shift DA/DT values by the patient's offset; TM values carry no date and are kept."""
    if elem.VR == "TM":
        return
    shifted = []
    for v in _values(elem):
        s = str(v)
        m = _DATE_RE.match(s)
        try:
            if not m:
                raise ValueError
            day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            day += dt.timedelta(days=ctx.pseudonym.date_offset_days)
            shifted.append(day.strftime("%Y%m%d") + (m.group(4) if elem.VR == "DT" else ""))
        except ValueError:
            continue  # a malformed date or a range is dropped, not guessed at
    elem.value = (shifted if len(shifted) > 1 else shifted[0]) if shifted else ""
    ctx.stats.dates_shifted += len(shifted)
