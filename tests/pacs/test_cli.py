"""`sodclient pacs` against the real Orthanc: the same services as the app, from the command line."""

from __future__ import annotations

import pydicom

from sodclient.cli import main as cli_main
from sodclient.services import pacs
from tests.library.dicom_factory import make_study


def test_echo_query_retrieve_send(profile, orthanc, tmp_path, dimse_node, web_node, capsys):
    pacs.save_node(profile, dimse_node)
    pacs.save_node(profile, web_node)
    files = make_study(tmp_path / "s", n=2, patient_id="CLI-1", patient_name="Cli^Carla")
    orthanc.upload(files)
    assert cli_main(["pacs", "nodes"]) == 0
    assert cli_main(["pacs", "echo", dimse_node.name]) == 0
    assert "answered the DICOM echo" in capsys.readouterr().out
    assert cli_main(["pacs", "echo", "No such node"]) == 2
    assert cli_main(["pacs", "query", web_node.name, "--id", "CLI-1"]) == 0
    line = capsys.readouterr().out.strip().split("\t")
    uid = pydicom.dcmread(files[0]).StudyInstanceUID
    assert line[1:3] == ["Cli Carla", "CLI-1"] and line[-1] == uid
    assert cli_main(["pacs", "retrieve", dimse_node.name, uid]) == 0
    assert "filed (2 new" in capsys.readouterr().out
    case_id = profile.library().documents()[0].case_id
    assert cli_main(["pacs", "send", web_node.name, "--case", str(case_id)]) == 0
    assert "stored 2 of 2" in capsys.readouterr().out
    assert cli_main(["pacs", "retrieve", dimse_node.name, "1.2.3.999"]) == 2
