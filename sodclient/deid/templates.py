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


def header_facts(ds: Dataset) -> dict[str, str]:
    """The attribute values the templates test, as text (taken before cleaning)."""
    names = {name for t in _templates()[1] for cond in ("contains", "equals") for name in t.get(cond, {})}
    facts = {}
    for name in names:
        holder = ds.file_meta if name == "ImplementationVersionName" and hasattr(ds, "file_meta") else ds
        value = holder.get(name)
        if value is None:
            found = [item.get(name) for seq in ("ConceptNameCodeSequence",) for item in ds.get(seq, []) or []]
            value = next((v for v in found if v is not None), None)
        if value is not None:
            facts[name] = "\\".join(map(str, value)) if isinstance(value, (list, tuple)) or \
                type(value).__name__ == "MultiValue" else str(value)
    return facts


def matching_boxes(facts: dict[str, str]) -> list[Box]:
    """Every region of every template whose conditions all hold."""
    boxes: list[Box] = []
    for template in _templates()[1]:
        ok = all(any(alt.lower() in facts.get(name, "").lower() for alt in want.split("|"))
                 for name, want in template.get("contains", {}).items())
        ok = ok and all(facts.get(name, "").strip() in want.split("|")
                        for name, want in template.get("equals", {}).items())
        if ok:
            boxes += [Box(x, y, w, h, None, f"template: {template['label']}") for x, y, w, h in template["regions"]]
    return boxes
