"""The PACS dialogs over a real Orthanc: PACS Nodes with Echo; Query PACS → Retrieve → the study in the browser →
FTPSend (up to the e-mail step: what would be packed is checked); a received delivery → Send to PACS, read back."""

from __future__ import annotations

import pydicom

from sodclient.services import pacs
from sodclient.services.settings import change_settings
from sodformat import PassphraseRecipient, collect_sources, pack
from tests.library.dicom_factory import make_study
from tests.profiles import current

PASS = "Tr0ub4dor-and-3"


def test_pacs_nodes_dialog_echo_and_save(qtbot, window, orthanc, dimse_node):
    dlg = window.pacs_nodes()
    qtbot.waitUntil(dlg.isVisible)
    dlg.name.setText("Radiology")
    dlg.ae_title.setText("WRONG")
    dlg.host.setText("127.0.0.1")
    dlg.port.setValue(orthanc.dicom_port)
    dlg.calling_ae.setText(dimse_node.calling_ae)
    with qtbot.waitSignal(dlg.echo().finished, timeout=20000):
        pass
    assert dlg.diagnosis.text().startswith("Problem:") and "AE title" in dlg.diagnosis.text()
    dlg.ae_title.setText(orthanc.aet)
    with qtbot.waitSignal(dlg.echo().finished, timeout=20000):
        pass
    assert dlg.diagnosis.text().startswith("OK:"), dlg.diagnosis.text()
    assert dlg.save()
    assert [(n.name, n.ae_title, n.port) for n in pacs.nodes(current())] == [
        ("Radiology", "ORTHANC", orthanc.dicom_port)
    ]
    dlg.close()


def test_query_retrieve_then_ftpsend(qtbot, window, orthanc, tmp_path, move_node, sshd, smtp_server):
    change_settings(
        current(), {**sshd.settings(), **smtp_server.settings(), "link.template": "https://files.example.org/{name}"}
    )
    pacs.save_node(current(), move_node)
    files = make_study(tmp_path / "pacs", n=3, patient_id="UI-QR-1", patient_name="Query^Ui")
    orthanc.upload(files)

    dlg = window.query_pacs()
    qtbot.waitUntil(dlg.isVisible)
    dlg.patient_id.setText("UI-QR-1")
    with qtbot.waitSignal(dlg.search().finished, timeout=20000):
        pass
    assert dlg.results.rowCount() == 1 and dlg.results.item(0, 1).text() == "Query Ui"
    dlg.select_studies([0])
    qtbot.waitUntil(lambda: dlg.series.rowCount() == 1, timeout=20000)  # the study's series, from the PACS
    assert dlg.series.item(0, 3).text() == "3"
    with qtbot.waitSignal(dlg.retrieved, timeout=30000):
        dlg.retrieve_button.click()
    assert "filed" in dlg.status.text() and dlg.outcome.filed == 1
    dlg.close()

    # the browser shows the retrieved study as one series row, selected
    case_id = window.current_case_id()
    assert case_id == dlg.outcome.case_ids[0]
    series = window.view.series_items()
    assert [(i.text(1), i.text(2)) for i in series] == [("CT", "3")]
    assert window.view.instances.isHidden()
    window.tree.clearSelection()
    series[0].setSelected(True)  # "Selected" = the whole series, without opening it
    assert len(window.selected_documents()) == 3

    flow = window.ftpsend()
    export = flow.export_dialog
    qtbot.waitUntil(export.isVisible)
    assert export.selected_radio.isChecked() and "3" in export.selected_radio.text()
    export.generate_button.click()
    export.next_button.click()
    qtbot.waitUntil(lambda: flow.email_dialog is not None and flow.email_dialog.isVisible(), timeout=30000)
    staged = sorted(pydicom.dcmread(p).SOPInstanceUID for p in flow.paths)
    assert staged == sorted(pydicom.dcmread(f).SOPInstanceUID for f in files)
    flow.email_dialog.reject()  # stop before anything is sent
    qtbot.waitUntil(lambda: flow not in window.flows, timeout=10000)


def test_received_delivery_send_to_pacs(qtbot, window, orthanc, tmp_path, web_node):
    pacs.save_node(current(), web_node)
    src = tmp_path / "sender"
    make_study(src / "study", n=2, patient_id="UI-RX-1", patient_name="Received^Ui")
    sod = tmp_path / "in.sod"
    pack(sod, collect_sources([src / "study"]), [PassphraseRecipient(PASS)])
    opener = window.open_sod(sod)
    qtbot.addWidget(opener)
    opener.passphrase.setText(PASS)
    opener.open_button.click()
    qtbot.waitUntil(lambda: opener.pages.currentIndex() == 1, timeout=30000)
    with qtbot.waitSignal(opener.imported, timeout=20000):
        opener.import_button.click()
    qtbot.waitUntil(lambda: window.current_case_id() is not None)
    received = window.current_documents()
    assert len(received) == 2

    dlg = window.send_to_pacs()
    qtbot.waitUntil(dlg.isVisible)
    assert dlg.summary.text().startswith("2 DICOM instance(s)")
    with qtbot.waitSignal(dlg.send().finished, timeout=30000):
        pass
    assert dlg.status.text() == "Stored 2 of 2 instance(s)."
    assert [dlg.table.item(r, 1).text() for r in range(dlg.table.rowCount())] == ["stored", "stored"]
    for d in received:  # read back from Orthanc: the same instance
        back = pydicom.dcmread(__import__("io").BytesIO(orthanc.instance_bytes(d.sop_instance_uid)))
        assert back == pydicom.dcmread(d.path)
    assert [r["event"] for r in current().audit.read()][-1] == "pacs-send"
    dlg.close()
