"""Reply in the app to a delivery from a known, signed contact: their key is chosen (no passphrase), a file
from disk goes along, and the case's conversation shows the delivery and the reply."""

from __future__ import annotations

import paramiko

from sodclient.services import identity
from sodclient.services.receive import import_container
from sodclient.services.settings import change_settings
from sodclient.transport import hostkeys
from sodformat import Delivery, collect_sources, generate_identity, new_delivery_id, pack
from tests.profiles import current


def test_reply_from_an_imported_delivery_is_threaded(qtbot, window, tmp_path, sshd, smtp_server, download_site):
    profile = window.profile
    change_settings(profile, {**sshd.settings(), **smtp_server.settings(), "link.template": download_site})
    hostkeys.trust(
        profile.paths.known_hosts,
        "127.0.0.1",
        sshd.port,
        paramiko.Ed25519Key.from_private_key_file(str(sshd.client_key.parent / "host_ed25519")),
    )
    me = identity.create_identity(profile, protection="keyring")
    sender = generate_identity()
    identity.add_contact(profile, "Dr Sender", "sender@hospital.example", str(sender.recipient), sender.signing_public)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "letter.txt").write_text("Please see")
    original = Delivery(new_delivery_id(), message="Second opinion, please", reply_to="sender@hospital.example")
    pack(tmp_path / "in.sod", collect_sources([tmp_path / "in"]), [me.recipient], signer=sender, delivery=original)
    _, result = import_container(current(), tmp_path / "in.sod", identity=me)
    window.refresh(select_case=result.case_ids[0])
    assert window.thread_list.count() == 1 and "Second opinion" in window.thread_list.item(0).text()

    flow = window.reply()
    dlg = flow.export_dialog
    assert dlg.use_key.isChecked() and dlg.contact.currentData().recipient == str(sender.recipient)
    (tmp_path / "answer.txt").write_text("Agree with the plan.")
    dlg.add_files([tmp_path / "answer.txt"])
    dlg.next_button.click()
    qtbot.waitUntil(lambda: flow.email_dialog is not None and flow.email_dialog.isVisible(), timeout=30000)
    assert flow.email_dialog.to.text() == "sender@hospital.example"
    flow.email_dialog.message.setPlainText("See my answer")
    flow.email_dialog.send_button.click()
    qtbot.waitUntil(lambda: flow.progress_dialog.close_button.isVisible(), timeout=120000)
    assert flow.progress_dialog.link.text(), flow.progress_dialog.headline.text()
    window.refresh(select_case=result.case_ids[0])
    texts = [window.thread_list.item(i).text() for i in range(window.thread_list.count())]
    assert len(texts) == 2 and texts[1].split("  ", 1)[1].startswith("Sent to sender@hospital.example (reply)")
    reply = [r for r in profile.audit.read() if r["event"] == "reply"][-1]["fields"]
    assert reply["in_reply_to"] == original.id and reply["unlock_by_key"] == 1 and reply["unlock_by_phrase"] == 0
