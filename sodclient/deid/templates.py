"""Vendor region templates: text bands known from CTP's pixel anonymizer script, blanked even if OCR misses.

The data file (data/ctp_pixel_regions.json) records its source. Conditions are evaluated on the original
header (before cleaning), because the profile removes some of the attributes they test (Series Description).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from pydicom.dataset import Dataset

from sodclient.deid import raw_values
from sodclient.deid.boxes import Box


@lru_cache(maxsize=1)
def _templates() -> tuple[str, list[dict]]:
    data = json.loads(resources.files("sodclient.deid").joinpath("data/ctp_pixel_regions.json").read_text("utf-8"))
    return data["source"], data["templates"]


def source() -> str:
    return _templates()[0]


def _text(value) -> str:
    return (
        "\\".join(map(str, value))
        if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue"
        else str(value)
    )


@lru_cache(maxsize=256)
def _candidates(modality: str, manufacturer: str) -> tuple[int, ...]:
    """Indexes of the templates whose Modality/Manufacturer conditions hold (two attributes decide most)."""
    facts = {"Modality": modality, "Manufacturer": manufacturer}
    found = []
    for index, template in enumerate(_templates()[1]):
        for name in ("Modality", "Manufacturer"):
            want = template.get("contains", {}).get(name)
            if want is not None and not any(alt.lower() in facts[name] for alt in want.split("|")):
                break
        else:
            found.append(index)
    return tuple(found)


def _candidate_templates(facts: dict[str, str]) -> list[dict]:
    templates = _templates()[1]
    return [templates[i] for i in _candidates(facts.get("Modality", "").lower(), facts.get("Manufacturer", "").lower())]


def _fact(ds: Dataset, name: str) -> str:
    if name in ("Modality", "Manufacturer"):
        return raw_values.text(ds, 0x00080060 if name == "Modality" else 0x00080070)
    holder = ds.file_meta if name == "ImplementationVersionName" and hasattr(ds, "file_meta") else ds
    value = holder.get(name)
    if value is None and name == "CodeMeaning":
        value = next(
            (item.get(name) for item in ds.get("ConceptNameCodeSequence", None) or [] if item.get(name) is not None),
            None,
        )
    return "" if value is None else _text(value)


def boxes_for(ds: Dataset) -> list[Box]:
    """The template regions for this image; call before cleaning (templates test removed attributes).
    Attributes are read only as far as the conditions need them (most images: Modality, Manufacturer)."""
    facts = {name: _fact(ds, name) for name in ("Modality", "Manufacturer")}

    def get(name: str) -> str:
        if name not in facts:
            facts[name] = _fact(ds, name)
        return facts[name]

    boxes: list[Box] = []
    for template in _candidate_templates(facts):
        ok = all(
            any(alt.lower() in get(name).lower() for alt in want.split("|"))
            for name, want in template.get("contains", {}).items()
        )
        ok = ok and all(get(name).strip() in want.split("|") for name, want in template.get("equals", {}).items())
        if ok:
            boxes += [Box(x, y, w, h, None, f"template: {template['label']}") for x, y, w, h in template["regions"]]
    return boxes
