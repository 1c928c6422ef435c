"""Controlled vocabularies: a hit on "Philips" in Manufacturer is a vendor, not a patient called Philips.

The final scan finds a patient's name wherever its letters occur. In attributes whose values come from a
closed vocabulary (vendors, body parts, reconstruction kernels, TG-263 structure names) a hit is judged by
that vocabulary: when the whole value is a vocabulary term, the hit is the term and the attribute stays.
Anything else is treated as a name (the attribute is removed, or the file is left out).

Sources: body parts from DICOM PS3.16 Annex L (Body Part Examined defined terms); kernels from the vendors'
published kernel naming (GE, Siemens, Philips, Canon/Toshiba); TG-263 from data/tg263_roots.txt (its
header names the source); vendors as they appear in Manufacturer (0008,0070); coding scheme designators
(PS3.16 Section 8) by their upper-case form.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

MANUFACTURER, MODEL, BODY_PART, KERNEL, ROI_NAME = 0x00080070, 0x00081090, 0x00180015, 0x00181210, 0x30060026
CODING_SCHEME, SEGMENT_LABEL = 0x00080102, 0x00620005
_SCHEME = re.compile(r"^(?:[A-Z][A-Z0-9_.\-]{0,15}|99[A-Z0-9_.\-]{0,14})$")

_VENDOR_WORDS = frozenset(
    """
ge gems general electric healthcare medical systems system philips siemens healthineers toshiba canon hitachi
fujifilm fuji agfa carestream kodak hologic esaote samsung medison mindray varian elekta accuray brainlab
konica minolta shimadzu neusoft united imaging uih zonare supersonic imagine sonosite acuson atl bk
ultrasound ultrasonix terason planmed planmeca sirona dentsply vatech carl zeiss topcon heidelberg engineering
optos nidek leica olympus pentax storz stryker bruker gmbh inc ltd co corp corporation ag sa nv bv kk llc
oy oyj spa the of and nederland deutschland austria japan china france usa
""".split()
)
_BODY_PARTS = frozenset(
    """
abdomen abdomenpelvis acjoint adrenal ankle anus aorta appendix arm axilla back bilebuduct bladder brain
breast bronchus buttock calcaneus calf carotid cerebellum cervix cheek chest chestabdomen chestabdpelvis
circleofwillis clavicle coccyx colon cornea coronaryartery cspine ctspine duodenum ear elbow esophagus
extremity eye eyelid face femur finger foot forearm gallbladder hand head headneck heart hip humerus ileum
ilium iac jaw jejunum kidney knee larynx leg liver lspine lsspine lung maxilla mediastinum mouth neck
neckchest neckchestabdomen neckchestabdpelv nose orbit ovary pancreas parotid patella pelvis penis pharynx
prostate rectum rib sacrum scapula sclavicle sijoint skull spine spleen sternum stomach subclavian tspine
tlspine tmj testis thigh thumb thymus thyroid tibia toe tongue trachea ureter urethra uterus vagina vulva
wrist zygoma whole wholebody lowerlimb upperlimb
""".split()
)
_KERNEL_WORDS = frozenset(
    """
standard soft bone boneplus lung detail chest edge sharp smooth head body brain abdomen ultra expert
fc yc fl br bv hr qr
""".split()
)
# Siemens B30f / Br40d, Canon FC13, Philips A-E and YA-YF, GE-style short codes
_KERNEL_PATTERN = re.compile(r"^(?:[a-z]{1,2}\d{2}[a-z]?|fc\d{1,2}|fl\d{1,2}|[a-e]|y[a-f]|[a-z]{1,3}_?\d{0,2}[a-z]?)$")
_WORD = re.compile(r"\w+")
_TARGET = re.compile(r"^(?:PTV!?|CTV|GTV|ITV|IGTV|ICTV)(?:n|p|sb|par|v|vas)?(?:\d{1,2})?(?:HR|IR|LR)?$")
_LATERALITY = ("_L", "_R", "_A", "_P", "_I", "_S", "_M", "_LS", "_LI", "_RS", "_RI", "_NAdj", "_Dist", "_Prox")
_SUFFIX = re.compile(r"^(?:_PRV\d{0,2}|_Wall\d{0,2}|_\d{3,5}(?:c?Gy)?|_\d{1,2}p\d(?:Gy)?|_Low|_High|_Mid\d{0,2}|~)$")


@lru_cache(maxsize=1)
def tg263_roots() -> frozenset[str]:
    text = resources.files("sodclient.deid").joinpath("data/tg263_roots.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def is_tg263(name: str) -> bool:
    """A standard TG-263 name: a root, optionally with laterality and the report's qualifiers, or a target
    (GTV/CTV/PTV/ITV...) optionally numbered and followed by a root or a dose."""
    name = name.strip()
    if not name or len(name) > 16 + 8:
        return False
    roots = tg263_roots()
    parts = name.split("_")
    # try every split point: root = first k parts, the rest must be qualifiers
    for k in range(len(parts), 0, -1):
        head = "_".join(parts[:k])
        rest = parts[k:]
        if head in roots or _TARGET.match(head):
            if _qualifiers_ok(rest, roots):
                return True
    for sep in ("-", "+"):
        if sep in name:
            return all(is_tg263(p) for p in name.split(sep))
    return False


def _qualifiers_ok(rest: list[str], roots: frozenset[str]) -> bool:
    i = 0
    while i < len(rest):
        piece = "_" + rest[i]
        if piece in _LATERALITY or _SUFFIX.match(piece):
            i += 1
            continue
        for j in range(len(rest), i, -1):  # an embedded root (e.g. PTV_Lung_R)
            if "_".join(rest[i:j]) in roots:
                i = j
                break
        else:
            return False
    return True


def _words(value: str) -> list[str]:
    return _WORD.findall(value.casefold())


def judged_by_vocabulary(tag: int, value: str) -> bool:
    """True when `value` of attribute `tag` is wholly a term of that attribute's vocabulary."""
    words = _words(value)
    if not words:
        return True
    if tag == MANUFACTURER:
        return all(w in _VENDOR_WORDS for w in words)
    if tag == BODY_PART:
        return all(w in _BODY_PARTS for w in words)
    if tag == KERNEL:
        return all(w in _KERNEL_WORDS or _KERNEL_PATTERN.match(w) for w in words)
    if tag in (ROI_NAME, SEGMENT_LABEL):
        return is_tg263(value)
    if tag == CODING_SCHEME:  # DCM, SCT, LN, 99LOCAL...: names of coding schemes
        return _SCHEME.match(value.strip()) is not None
    return False
