"""PACS use cases against a real Orthanc: echo, search, retrieve by C-GET, C-MOVE and WADO-RS into the library,
and a received delivery sent back by C-STORE and STOW-RS; what Orthanc holds is read back and compared."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.uid import generate_uid

from sodclient.pacs.errors import PacsRefused, PacsUnreachable
from sodclient.services import pacs
from sodclient.services.pacs import StudyQuery
from sodclient.services.receive import import_container
from sodformat import PassphraseRecipient, collect_sources, pack
from tests.library.dicom_factory import make_dicom, make_study


def _study_on_pacs(orthanc, tmp_path, patient_id, n=3, **kw):
    files = make_study(tmp_path / patient_id, n=n, patient_id=patient_id, **kw)
    orthanc.upload(files)
    return {pydicom.dcmread(f).SOPInstanceUID: f for f in files}


def _same_instance(a: bytes, b: bytes) -> bool:
    """Same data set, element for element and in the same transfer syntax (the file meta header is each
    writer's own: implementation UID, source AE)."""
    from io import BytesIO

    x, y = pydicom.dcmread(BytesIO(a)), pydicom.dcmread(BytesIO(b))
    return x == y and x.file_meta.TransferSyntaxUID == y.file_meta.TransferSyntaxUID and len(x) == len(y)


def _events(profile, name):
    return [r for r in profile.audit.read() if r["event"] == name]


def test_echo_and_its_diagnoses(profile, dimse_node, web_node):
    assert "answered the DICOM echo" in pacs.echo(profile, dimse_node)
    assert "QIDO-RS" in pacs.echo(profile, web_node)
    with pytest.raises(PacsRefused, match=r"refused the association.*AE title"):
        pacs.echo(profile, dimse_node.with_changes(ae_title="NOTORTHANC"))
    from tests.servers import free_port

    with pytest.raises(PacsUnreachable, match="Nothing answers"):
        pacs.echo(profile, dimse_node.with_changes(port=free_port()))
    with pytest.raises(PacsRefused, match="user name or password"):
        pacs.echo(profile, web_node.with_changes(password="wrong"))


@pytest.mark.parametrize("which", ["dimse", "web"])
def test_search_by_name_date_modality_then_series(profile, orthanc, tmp_path, dimse_node, web_node, which):
    node = dimse_node if which == "dimse" else web_node
    pid = f"Q-{which}"
    _study_on_pacs(orthanc, tmp_path, pid, n=2, patient_name=f"Query^{which.title()}")
    found = pacs.search(profile, node, StudyQuery(patient_name=f"query {which}"))
    assert [s.patient_id for s in found] == [pid] and found[0].instances == 2 and found[0].modalities == "CT"
    assert (
        pacs.search(profile, node, StudyQuery(patient_id=pid, date_from="20251201", date_to="20260131", modality="CT"))[
            0
        ].study_uid
        == found[0].study_uid
    )
    assert pacs.search(profile, node, StudyQuery(patient_id=pid, modality="MR")) == []
    series = pacs.series_of(profile, node, found[0].study_uid)
    assert len(series) == 1 and series[0].instances == 2 and series[0].modality == "CT"


@pytest.mark.parametrize("how", ["get", "move", "wado"])
def test_retrieve_files_the_study_as_stored_on_the_pacs(
    profile, orthanc, tmp_path, dimse_node, move_node, web_node, how
):
    node = {"get": dimse_node, "move": move_node, "wado": web_node}[how]
    pid = f"R-{how}"
    sent = _study_on_pacs(orthanc, tmp_path, pid, n=3, patient_name="Retrieve^Me")
    study = pacs.search(profile, node, StudyQuery(patient_id=pid))[0]
    outcome = pacs.retrieve(profile, node, [study])
    assert outcome.filed == 1, outcome.studies[0].error
    docs = profile.library().documents(case_id=outcome.case_ids[0])
    assert sorted(d.sop_instance_uid for d in docs) == sorted(sent)
    for d in docs:  # element for element what Orthanc holds, and the same image we put there
        assert _same_instance(d.path.read_bytes(), orthanc.instance_bytes(d.sop_instance_uid))
        assert pydicom.dcmread(d.path).PixelData == pydicom.dcmread(sent[d.sop_instance_uid]).PixelData
    assert _events(profile, "pacs-retrieve")[-1]["fields"]["instances"] == 3
    assert list(profile.paths.incoming_dir.iterdir()) == []


def test_incomplete_retrieve_files_nothing(profile, orthanc, tmp_path, dimse_node):
    pid = "R-short"
    _study_on_pacs(orthanc, tmp_path, pid, n=2)
    study = pacs.search(profile, dimse_node, StudyQuery(patient_id=pid))[0]
    promised_more = type(study)(**{**study.__dict__, "instances": 3})  # the PACS said 3, sends 2
    outcome = pacs.retrieve(profile, dimse_node, [promised_more])
    assert outcome.filed == 0 and "2 of 3" in outcome.studies[0].error
    assert profile.library().counts() == (0, 0, 0)
    assert list(profile.paths.incoming_dir.iterdir()) == []
    assert _events(profile, "pacs-retrieve-failed")[-1]["fields"]["reason"] == "PacsFailed"


def _received_delivery(profile, tmp_path, pid):
    study, series = generate_uid(), generate_uid()
    src = tmp_path / "sender"
    for i in range(1, 4):
        make_dicom(src / f"IM{i}", patient_id=pid, study_uid=study, series_uid=series, instance=i)
    (src / "letter.pdf").write_bytes(b"%PDF-1.4 referral letter")
    sod = tmp_path / "delivery.sod"
    pack(sod, collect_sources([src]), [PassphraseRecipient("Tr0ub4dor-and-3")])
    _, result = import_container(profile, sod, passphrase="Tr0ub4dor-and-3")
    return result.documents


@pytest.mark.parametrize("which", ["cstore", "stow"])
def test_received_delivery_goes_to_the_pacs(profile, orthanc, tmp_path, dimse_node, web_node, which):
    node = dimse_node if which == "cstore" else web_node
    pid = f"S-{which}"
    documents = _received_delivery(profile, tmp_path, pid)
    outcome = pacs.send_to_pacs(profile, node, documents)
    assert outcome.not_dicom == 1 and outcome.stored == 3 and outcome.failed == 0
    for d in documents:
        if d.is_dicom:  # Orthanc holds exactly the bytes we sent
            assert _same_instance(orthanc.instance_bytes(d.sop_instance_uid), d.path.read_bytes())
    record = _events(profile, "pacs-send")[-1]["fields"]
    assert record == {
        "method": "C-STORE" if which == "cstore" else "STOW-RS",
        "instances": 3,
        "stored": 3,
        "failed": 0,
        "not_dicom": 1,
    }
    assert pacs.search(profile, node, StudyQuery(patient_id=pid))[0].instances == 3


def test_send_reports_each_refused_instance(profile, tmp_path, dimse_node):
    """An object the node does not take is reported as such; the others still go."""
    from pydicom.uid import ExplicitVRLittleEndian

    from tests.library.dicom_factory import make_dicom

    good = make_dicom(tmp_path / "good.dcm", patient_id="S-mixed")
    odd = make_dicom(tmp_path / "odd.dcm", patient_id="S-mixed")
    ds = pydicom.dcmread(odd)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.3.4.5.6.7.8.9"  # no such storage class
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(odd, enforce_file_format=True)
    profile.library().import_paths([good, odd])
    outcome = pacs.send_to_pacs(profile, dimse_node, profile.library().documents())
    by_uid = {r.sop_instance_uid: r for r in outcome.results}
    assert by_uid[ds.SOPInstanceUID].ok is False and "does not accept" in by_uid[ds.SOPInstanceUID].message
    assert by_uid[pydicom.dcmread(good).SOPInstanceUID].ok is True
    assert (outcome.stored, outcome.failed) == (1, 1)


def test_nodes_are_kept_sealed_and_versioned(profile, web_node, dimse_node):
    pacs.save_node(profile, web_node)
    pacs.save_node(profile, dimse_node)
    assert [n.name for n in pacs.nodes(profile)] == [web_node.name, dimse_node.name]
    assert pacs.nodes(profile)[0].password == web_node.password
    assert web_node.password.encode() not in profile.paths.pacs_nodes_file.read_bytes()
    with pytest.raises(Exception, match="already a node"):
        pacs.save_node(profile, dimse_node.with_changes(name=web_node.name))
    pacs.save_node(profile, dimse_node.with_changes(name="Renamed", port=11113), replacing=dimse_node.name)
    assert [(n.name, n.port) for n in pacs.nodes(profile)][1] == ("Renamed", 11113)
    pacs.remove_node(profile, web_node.name)
    assert [n.name for n in pacs.nodes(profile)] == ["Renamed"]
    with pytest.raises(Exception, match="AE title"):
        pacs.save_node(profile, dimse_node.with_changes(name="Bad", ae_title="WAY-TOO-LONG-AE-TITLE"))


def test_cancelled_retrieve_keeps_nothing(profile, orthanc, tmp_path, move_node):
    from sodclient.progress import CancelToken

    _study_on_pacs(orthanc, tmp_path, "R-cancel", n=2)
    study = pacs.search(profile, move_node, StudyQuery(patient_id="R-cancel"))[0]
    token = CancelToken()
    seen = []

    def progress(report):  # cancel as soon as the first instance has arrived
        seen.append(report)
        token.cancel()

    outcome = pacs.retrieve(profile, move_node, [study, study], progress=progress, cancel=token)
    assert seen and [s.ok for s in outcome.studies] == [False, False]
    assert outcome.studies[0].error.startswith("Cancelled") and outcome.studies[1].error == "Cancelled."
    assert profile.library().counts() == (0, 0, 0) and list(profile.paths.incoming_dir.iterdir()) == []


def test_cstore_uses_a_syntax_the_node_accepts(profile, orthanc, tmp_path, dimse_node):
    """The test Orthanc refuses RLE Lossless: an RLE instance is decompressed and stored uncompressed, same pixels."""
    from pydicom.uid import RLELossless

    src = make_dicom(tmp_path / "rle.dcm", patient_id="S-rle")
    ds = pydicom.dcmread(src)
    pixels = ds.pixel_array.copy()
    ds.compress(RLELossless)
    ds.save_as(src, enforce_file_format=True)
    assert pydicom.dcmread(src).file_meta.TransferSyntaxUID == RLELossless
    profile.library().import_paths([src])
    outcome = pacs.send_to_pacs(profile, dimse_node, profile.library().documents())
    assert (outcome.stored, outcome.failed) == (1, 0), outcome.results
    from io import BytesIO

    back = pydicom.dcmread(BytesIO(orthanc.instance_bytes(ds.SOPInstanceUID)))
    assert not back.file_meta.TransferSyntaxUID.is_compressed
    assert (back.pixel_array == pixels).all()
