"""Vendor region templates: text bands known from CTP's pixel anonymizer script, blanked even if OCR misses.

The data file (data/ctp_pixel_regions.json) records its source. Conditions are evaluated on the original
header (before cleaning), because the profile removes some of the attributes they test (Series Description).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from pydicom.dataset import Dataset

from sodclient.deid.boxes import Box


@lru_cache(maxsize=1)
def _templates() -> tuple[str, list[dict]]:
    data = json.loads(resources.files("sodclient.deid").joinpath("data/ctp_pixel_regions.json").read_text("utf-8"))
    return data["source"], data["templates"]


def source() -> str:
    return _templates()[0]


def _text(value) -> str:
    return "\\".join(map(str, value)) if isinstance(value, (list, tuple)) or \
        type(value).__name__ == "MultiValue" else str(value)


def _could_match(template: dict, facts: dict[str, str]) -> bool:
    """The template's Modality/Manufacturer conditions (tested first: two attributes decide most files)."""
    for name in ("Modality", "Manufacturer"):
        want = template.get("contains", {}).get(name)
        if want is not None and not any(alt.lower() in facts.get(name, "").lower() for alt in want.split("|")):
            return False
    return True


def header_facts(ds: Dataset) -> dict[str, str]:
    """The attribute values the templates test, as text (taken before cleaning). Only Modality and
    Manufacturer are read unless some template could still match (most images: two values read)."""
    facts = {name: _text(ds.get(name, "") or "") for name in ("Modality", "Manufacturer")}
    candidates = [t for t in _templates()[1] if _could_match(t, facts)]
    names = {name for t in candidates for cond in ("contains", "equals") for name in t.get(cond, {})} - set(facts)
    for name in names:
        holder = ds.file_meta if name == "ImplementationVersionName" and hasattr(ds, "file_meta") else ds
        value = holder.get(name)
        if value is None:
            found = [item.get(name) for seq in ("ConceptNameCodeSequence",) for item in ds.get(seq, []) or []]
            value = next((v for v in found if v is not None), None)
        if value is not None:
            facts[name] = _text(value)
    return facts


def matching_boxes(facts: dict[str, str]) -> list[Box]:
    """Every region of every template whose conditions all hold."""
    boxes: list[Box] = []
    for template in _templates()[1]:
        if not _could_match(template, facts):
            continue
        ok = all(any(alt.lower() in facts.get(name, "").lower() for alt in want.split("|"))
                 for name, want in template.get("contains", {}).items())
        ok = ok and all(facts.get(name, "").strip() in want.split("|")
                        for name, want in template.get("equals", {}).items())
        if ok:
            boxes += [Box(x, y, w, h, None, f"template: {template['label']}") for x, y, w, h in template["regions"]]
    return boxes
