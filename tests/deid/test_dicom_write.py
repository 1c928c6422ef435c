"""The fast writer must produce exactly what pydicom's own writer produces."""

from __future__ import annotations

import warnings

import pydicom
import pytest

from sodclient.deid.dicom_clean import clean_dataset
from sodclient.deid.dicom_file import _ensure_file_meta
from sodclient.deid.dicom_write import save_dicom
from sodclient.deid.identifiers import IdentifierSet
from sodclient.deid.keys import SendKeys
from tests.deid.conftest import plant_phi, sample

SAMPLES = [
    "CT_small.dcm",
    "MR_small.dcm",
    "MR_small_implicit.dcm",
    "MR_small_bigendian.dcm",
    "rtplan.dcm",
    "rtdose.dcm",
    "JPEG2000.dcm",
    "MR_small_RLE.dcm",
    "examples_overlay.dcm",
    "waveform_ecg.dcm",
    "image_dfl.dcm",
    "liver_1frame.dcm",
    "badVR.dcm",
]


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("planted", [False, True])
def test_fast_writer_is_byte_identical_to_pydicom(tmp_path, name, planted):
    keys = SendKeys(b"k" * 32)
    copies = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = sample(name)
        if planted:
            ds = pydicom.dcmread(source)
            plant_phi(ds)
            source = tmp_path / "planted.dcm"
            ds.save_as(source)
        for _ in range(2):
            ds = pydicom.dcmread(source)
            clean_dataset(ds, keys, False, IdentifierSet())
            _ensure_file_meta(ds, str(ds.file_meta.get("TransferSyntaxUID", "")))
            copies.append(ds)
        copies[0].save_as(tmp_path / "pydicom.dcm", enforce_file_format=True)
        save_dicom(copies[1], tmp_path / "fast.dcm")
    assert (tmp_path / "fast.dcm").read_bytes() == (tmp_path / "pydicom.dcm").read_bytes()
