"""The README's demo screenshot: the real `sodclient demo` windows after one real send, taken from the
whole (virtual) screen so the title bars with "Demo — local only" show.

    xvfb-run -a -s "-screen 0 1600x940x24" python3 scripts/screenshot_demo.py

Title bars need a window manager: openbox is started when installed (`apt-get install openbox`; not needed
by the tests or CI). Everything is the demo's own: synthetic patients, servers on 127.0.0.1, deleted at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots" / "demo.png"

from PySide6.QtWidgets import QApplication  # noqa: E402

from sodclient.services.identity import contacts  # noqa: E402
from sodclient.ui.app import build_app  # noqa: E402
from sodclient.ui.demo_window import DemoSession  # noqa: E402


def wait(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        QApplication.processEvents()
        time.sleep(0.02)


def settle(seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)


def main() -> int:
    wm = subprocess.Popen(["openbox"], stderr=subprocess.DEVNULL) if shutil.which("openbox") else None
    try:
        app = build_app([])
        session = DemoSession()
        session.start()
        wait(lambda: session.demo is not None)
        sender, recipient, inbox = session.sender, session.recipient, session.inbox
        # the newcomer's first send: the CT study to the recipient's key, through the real FTPSend dialogs
        for p in sender.library.patients():
            for c in sender.library.cases(p.id):
                if "CT" in c.description:
                    sender.refresh(select_case=c.id)
        sender.select_rows([r for r, d in enumerate(sender._docs) if d.modality == "CT"][:3])
        flow = sender.ftpsend()
        flow.export_dialog.use_key.setChecked(True)
        assert contacts(session.demo.sender)
        flow.export_dialog.next_button.click()
        wait(lambda: flow.email_dialog is not None and flow.email_dialog.isVisible())
        flow.email_dialog.send_button.click()
        wait(lambda: flow.progress_dialog.close_button.isVisible())
        flow.progress_dialog.close_button.click()
        wait(lambda: len(inbox.mails) == 1)
        # the recipient follows the link and opens the .SOD with their key
        inbox.open_button.click()
        wait(lambda: session.last_open is not None and session.last_open.isVisible())
        session.last_open.open_button.click()
        wait(lambda: session.last_open.pages.currentIndex() == 1)
        sender.setGeometry(10, 30, 900, 500)
        inbox.setGeometry(930, 30, 660, 400)
        recipient.setGeometry(560, 470, 1030, 460)
        session.last_open.move(610, 520)
        sender.raise_()
        inbox.raise_()
        recipient.raise_()
        session.last_open.raise_()
        settle(1.5)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        app.primaryScreen().grabWindow(0).save(str(OUT))
        print("wrote", OUT)
        session.end()
        wait(lambda: session.demo.stopped)
        return 0
    finally:
        if wm is not None:
            wm.terminate()
            wm.wait(5)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    raise SystemExit(main())
