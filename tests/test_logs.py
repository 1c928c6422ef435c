"""The support log: a rotating file in the profile's log folder that never carries PHI or secrets."""

from __future__ import annotations

import logging

from sodclient.cli import main as cli_main
from sodclient.logs import redact, register_sensitive, setup_logging
from tests.profiles import current


def test_redaction_of_the_usual_suspects():
    register_sensitive(["Kowalczyk", "Sesame-Open-2026"])
    line = redact(
        "could not read /home/dr/Kowalczyk^Anna/CT 0001.dcm for anna.k@example.org, MRN 004711223, "
        "born 1961-03-07, key sod1n96hw8jjde88t5upet0q6zxy5u6ypqkjj5prp92cjgcsvrwjj4ls90y7gh, "
        "passphrase Sesame-Open-2026, patient KOWALCZYK"
    )
    for leak in (
        "Kowalczyk",
        "KOWALCZYK",
        "/home/dr",
        "anna.k@",
        "004711223",
        "1961-03-07",
        "sod1n96",
        "Sesame-Open-2026",
    ):
        assert leak not in line, leak
    assert "could not read" in line  # still useful to support


def test_tracebacks_are_redacted_too(tmp_path):
    path = setup_logging(tmp_path / "logs")
    log = logging.getLogger("sodclient.test")
    try:
        raise FileNotFoundError(2, "No such file", "/data/Smith^John/MRN-12345678.dcm")
    except FileNotFoundError:
        log.exception("import failed")
    text = path.read_text()
    assert "import failed" in text and "FileNotFoundError" in text
    assert "Smith" not in text and "12345678" not in text


def test_a_cli_run_logs_to_the_profile_without_phi(tmp_path, capsys):
    src = tmp_path / "Doe^Jane 19700101"
    src.mkdir()
    (src / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    phrase = tmp_path / "p.txt"
    phrase.write_text("Sesame-Open-2026\n")
    # a send that cannot go (nothing configured): the command logs its start and end
    assert cli_main(["send", "--to", "dr@example.org", "--passphrase-file", str(phrase), str(src)]) == 2
    assert cli_main(["--debug", "audit"]) == 0
    log_file = current().paths.log_dir / "sodsend.log"
    text = log_file.read_text()
    assert "command send started" in text and "ConfigError" in text and "command audit" in text
    for leak in ("Doe", "19700101", "Sesame", "dr@example.org", str(tmp_path)):
        assert leak not in text, leak
    assert "command audit" in capsys.readouterr().err  # --debug mirrors the log on stderr
