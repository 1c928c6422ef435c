"""Synthetic PHI planted into pydicom's bundled sample files (local, no downloads) and into photos/PDFs.

Every planted value is listed in PHI so the tests can search every output byte for it independently of
the engine's own residual scan.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

FAMILY, GIVEN, MIDDLE = "Testperson", "Hannelore", "Wilhelmina"
PATIENT_NAME = f"{FAMILY}^{GIVEN}^{MIDDLE}"
PATIENT_ID = "PID8842913"
BIRTH_DATE = "19610412"
ACCESSION = "ACC7731205"
ADDRESS = "Lindenallee 42, Musterstadt"
PHONE = "+49 30 5550 1234"
OTHER_ID = "OTHERID55501"
PHYSICIAN = "Drfamous^Konstantin"
# Values that must not appear anywhere in any output (bytes, any case, UTF-8 and UTF-16), nor in names.
PHI = [
    FAMILY,
    GIVEN,
    MIDDLE,
    PATIENT_ID,
    BIRTH_DATE,
    "1961-04-12",
    "12.04.1961",
    ACCESSION,
    "Lindenallee",
    "Musterstadt",
    "5550 1234",
    OTHER_ID,
    "Drfamous",
    "Konstantin",
]


def sample(name: str) -> Path:
    path = get_testdata_file(name, download=False)
    assert path is not None, f"{name} is not shipped inside the pydicom wheel"
    return Path(path)


def _person_item(depth: int) -> Dataset:
    """A sequence item carrying PHI, nesting further items down to `depth`."""
    item = Dataset()
    item.PatientName = PATIENT_NAME
    item.PatientID = PATIENT_ID
    item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    item.ReferencedSOPInstanceUID = generate_uid()
    item.add_new(0x00290010, "LO", "ACME PRIVATE 1.0")
    item.add_new(0x00291001, "LO", f"{FAMILY} {GIVEN}")
    if depth > 1:
        item.ReferencedImageSequence = Sequence([_person_item(depth - 1)])
    return item


def plant_phi(ds: Dataset, *, study_uid: str | None = None, sop_uid: str | None = None) -> Dataset:
    """Put synthetic PHI into every place a tool may miss."""
    ds.PatientName = PATIENT_NAME
    ds.PatientID = PATIENT_ID
    ds.PatientBirthDate = BIRTH_DATE
    ds.AccessionNumber = ACCESSION
    ds.PatientAddress = ADDRESS
    ds.PatientTelephoneNumbers = PHONE
    ds.OtherPatientIDs = OTHER_ID
    ds.ReferringPhysicianName = PHYSICIAN
    ds.InstitutionName = "Musterstadt General"
    ds.StudyDate = "20240305"
    ds.SeriesDate = "20240305"
    ds.ContentDate = "20240305"
    ds.ImageComments = f"Patient {FAMILY}, {GIVEN} born 12.04.1961 called from {PHONE}"
    ds.AdditionalPatientHistory = f"Lives at {ADDRESS}"
    ds.StudyDescription = f"CT for {FAMILY}"
    ds.PatientComments = "DOB 1961-04-12, see chart"
    other = Dataset()
    other.PatientID = OTHER_ID
    other.TypeOfPatientID = "TEXT"
    ds.OtherPatientIDsSequence = Sequence([other])
    # nested sequences three deep, each level with names, IDs and a private tag
    ds.ReferencedImageSequence = Sequence([_person_item(3)])
    ds.RequestAttributesSequence = Sequence([_person_item(2)])
    # private tags at top level, one of them a PN
    ds.add_new(0x00090010, "LO", "ACME PRIVATE 1.0")
    ds.add_new(0x00091001, "PN", PATIENT_NAME)
    ds.add_new(0x00091002, "LO", f"MRN {PATIENT_ID}")
    ds.add_new(0x00091003, "OB", f"{FAMILY}".encode("utf-16-le"))
    # an element of unknown VR in a public (even) group, not in any dictionary
    ds.add_new(0x44440010, "UN", f"{GIVEN}^{FAMILY}".encode())
    # overlay with burned comment, curve data
    ds.add_new(0x60000010, "US", 8)
    ds.add_new(0x60000011, "US", 8)
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60003000, "OW", b"\xff" * 8)
    ds.add_new(0x60004000, "LT", f"overlay by {FAMILY}")
    ds.add_new(0x50000005, "US", 2)
    ds.add_new(0x50003000, "OW", f"{FAMILY}".encode())
    # icon image
    icon = Dataset()
    icon.Rows, icon.Columns, icon.SamplesPerPixel, icon.BitsAllocated = 2, 2, 1, 8
    icon.PhotometricInterpretation = "MONOCHROME2"
    icon.PixelData = b"\x00\x01\x02\x03"
    icon.ImageComments = FAMILY
    ds.IconImageSequence = Sequence([icon])
    # file meta: site and private information
    ds.file_meta.SourceApplicationEntityTitle = "HANNELORE_WS"
    ds.file_meta.PrivateInformationCreatorUID = "1.2.3.4"
    ds.file_meta.PrivateInformation = f"{FAMILY} {PATIENT_ID}".encode()
    if study_uid:
        ds.StudyInstanceUID = study_uid
    if sop_uid:
        ds.SOPInstanceUID = sop_uid
        ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    return ds


def write_planted(src: Path, dest: Path, **kw) -> Dataset:
    ds = pydicom.dcmread(src)
    plant_phi(ds, **kw)
    ds.save_as(dest)
    return ds


def make_jpeg(path: Path) -> bytes:
    """A JPEG whose EXIF, XMP and comment name the patient."""
    img = Image.fromarray((np.arange(64 * 48 * 3) % 251).astype(np.uint8).reshape(48, 64, 3))
    exif = Image.Exif()
    exif[0x013B] = f"{FAMILY} {GIVEN}"  # Artist
    exif[0x010E] = f"Patient {PATIENT_ID} DOB {BIRTH_DATE}"  # ImageDescription
    buf = io.BytesIO()
    img.save(
        buf,
        format="JPEG",
        exif=exif,
        comment=f"{FAMILY} {ACCESSION}".encode(),
        quality=90,
        xmp=f"<x:xmpmeta><dc:creator>{GIVEN} {FAMILY}</dc:creator></x:xmpmeta>".encode(),
    )
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def make_png(path: Path) -> None:
    from PIL.PngImagePlugin import PngInfo

    img = Image.fromarray((np.arange(40 * 30) % 255).astype(np.uint8).reshape(30, 40))
    info = PngInfo()
    info.add_text("Comment", f"Patient {FAMILY} {GIVEN}")
    info.add_text("Author", PATIENT_ID, zip=True)
    info.add_itxt("Description", f"Born {BIRTH_DATE} {ADDRESS}", lang="de")
    img.save(path, pnginfo=info)


def make_tiff(path: Path) -> None:
    from PIL.TiffImagePlugin import ImageFileDirectory_v2

    img = Image.fromarray((np.arange(20 * 16 * 3) % 200).astype(np.uint8).reshape(16, 20, 3))
    ifd = ImageFileDirectory_v2()
    ifd[270] = f"{FAMILY} {PATIENT_ID}"  # ImageDescription
    ifd[315] = f"{GIVEN} {FAMILY}"  # Artist
    img.save(path, tiffinfo=ifd)


def make_pdf(path: Path, *, with_text: bool) -> None:
    """A one-page PDF with metadata naming the patient; its page has drawn lines, and text if asked."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    content = b"0 0 m 100 100 l S\n"
    if with_text:
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        content += f"BT /F1 12 Tf 10 150 Td (Report for {FAMILY} {GIVEN}) Tj ET\n".encode()
    stream = DecodedStreamObject()
    stream.set_data(content)
    page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata(
        {"/Author": f"{GIVEN} {FAMILY}", "/Title": f"Patient {PATIENT_ID}", "/Subject": f"DOB {BIRTH_DATE}"}
    )
    writer.xmp_metadata = None
    with open(path, "wb") as fh:
        writer.write(fh)


def ultrasound(path: Path, *, regions: bool, name_in_header: bool = True) -> Dataset:
    """An uncompressed RGB ultrasound image with a 'header band' (rows 0-9) outside its image region."""
    ds = Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.6.1"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.6.1"
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "US"
    ds.PatientName, ds.PatientID = PATIENT_NAME, PATIENT_ID
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 40, 32, 3
    ds.PhotometricInterpretation, ds.PlanarConfiguration = "RGB", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    pixels = np.full((40, 32, 3), 120, dtype=np.uint8)
    if name_in_header:
        pixels[2:8, 2:30, :] = 255  # "text" in the header band
    ds.PixelData = pixels.tobytes()
    if regions:
        region = Dataset()
        region.RegionLocationMinX0, region.RegionLocationMinY0 = 0, 10
        region.RegionLocationMaxX1, region.RegionLocationMaxY1 = 31, 39
        region.RegionSpatialFormat, region.RegionDataType, region.RegionFlags = 1, 1, 0
        ds.SequenceOfUltrasoundRegions = Sequence([region])
    ds.save_as(path, enforce_file_format=True)
    return ds


def assert_no_phi(out_dir: Path, values=PHI) -> None:
    """Independent of the engine: no planted value in any byte or name under out_dir."""
    for path in sorted(out_dir.rglob("*")):
        for value in values:
            assert value.lower() not in path.name.lower(), f"PHI in output name {path.name}"
        if path.is_file():
            data = path.read_bytes().lower()
            for value in values:
                for enc in ("utf-8", "utf-16-le", "utf-16-be", "latin-1"):
                    assert value.lower().encode(enc) not in data, f"{value!r} ({enc}) survived in {path.name}"


@pytest.fixture
def planted_set(tmp_path) -> dict:
    """A mixed send: 3 CT slices of one study (one referencing another), an MR, an RT plan, photos, PDFs."""
    src = tmp_path / f"{FAMILY}_{GIVEN}_{PATIENT_ID}"
    src.mkdir()
    study = generate_uid()
    uids = [generate_uid() for _ in range(3)]
    cts = []
    for i, uid in enumerate(uids):
        path = src / f"{FAMILY}_{BIRTH_DATE}_ct{i}.dcm"
        ds = write_planted(sample("CT_small.dcm"), path, study_uid=study, sop_uid=uid)
        cts.append(path)
    # slice 2 references slice 0 explicitly (top level, so the test can follow it)
    ds = pydicom.dcmread(cts[2])
    ref = Dataset()
    ref.ReferencedSOPClassUID = ds.SOPClassUID
    ref.ReferencedSOPInstanceUID = uids[0]
    ds.SourceImageSequence = Sequence([ref])
    ds.save_as(cts[2])
    write_planted(sample("MR_small.dcm"), src / f"{ACCESSION}.dcm")
    write_planted(sample("rtplan.dcm"), src / f"plan_{FAMILY}.dcm")
    make_jpeg(src / f"{FAMILY}_photo.jpg")
    make_png(src / f"{GIVEN}.png")
    make_tiff(src / f"scan_{PATIENT_ID}.tif")
    make_pdf(src / f"{FAMILY}_drawing.pdf", with_text=False)
    make_pdf(src / f"{FAMILY}_report.pdf", with_text=True)
    return {"dir": src, "study": study, "uids": uids, "cts": cts}


@pytest.fixture
def out(tmp_path) -> Path:
    return tmp_path / "out"


def copy_sample(name: str, dest: Path) -> Path:
    shutil.copy(sample(name), dest)
    return dest
