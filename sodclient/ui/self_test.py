"""`sodclient --self-test`: proves an installation (the PyInstaller bundle in CI) works, without a display.

It opens and closes the main window offscreen, then runs the demo's servers and sends one synthetic
study from the demo sender to the demo recipient: pack + SFTP upload + mail, download from the link,
unpack + verify + import. That exercises Qt, the container, paramiko, asyncssh, aiosmtpd, pydicom and
the library, which is what a frozen bundle most often lacks. Everything runs in throw-away profiles
in a temporary folder; the user's own profile is never opened. Prints one line per step; exit 0 only
when every step passed.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path


def _step(name: str, t0: float) -> None:
    print(f"self-test: {name} ok ({time.perf_counter() - t0:.2f} s)", flush=True)


def run_self_test() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    t0 = time.perf_counter()
    try:
        _window(t0)
        _site_defaults(t0)
        _round_trip(t0)
    except Exception as exc:
        traceback.print_exc()
        print(f"self-test: FAILED ({type(exc).__name__}: {exc})", file=sys.stderr, flush=True)
        return 1
    print("self-test: passed", flush=True)
    return 0


def _window(t0: float) -> None:
    import tempfile
    from pathlib import Path

    from sodclient.profile import Profile
    from sodclient.ui.app import build_app
    from sodclient.ui.main_window import MainWindow

    app = build_app([])
    with tempfile.TemporaryDirectory(prefix="sodsend-selftest-") as tmp:
        window = MainWindow(Profile.at(Path(tmp), throw_away=True).ensure())
        window.show()
        app.processEvents()
        if not window.isVisible() or not window.menuBar().actions():
            raise RuntimeError("the main window did not open")
        window.close()
        app.processEvents()
        window.deleteLater()
        app.processEvents()
    _step("main window opened and closed", t0)


def _site_defaults(t0: float) -> None:
    """A frozen app finds the site defaults it was built with (installer/sodsend.spec bundles them) and can
    read them; they are read into a throw-away profile, nothing of the user's is opened."""
    import tempfile

    from sodclient.profile import Profile, installed_site_defaults
    from sodclient.services.settings import site_default_keys

    found = installed_site_defaults()
    if getattr(sys, "frozen", False) and (found is None or found.parent != Path(sys._MEIPASS)):
        raise RuntimeError("the bundled site-defaults.ini was not found")
    if found is None:
        _step("site defaults check (none installed; not a frozen app)", t0)
        return
    with tempfile.TemporaryDirectory(prefix="sodsend-selftest-") as tmp:
        keys = site_default_keys(Profile.at(Path(tmp), site_defaults=found, throw_away=True))
    _step(f"site defaults found and read ({found}, {len(keys)} key(s) set)", t0)


def _round_trip(t0: float) -> None:
    from sodclient.services.demo import start_demo
    from sodclient.services.identity import contacts, my_identity
    from sodclient.services.receive import import_container
    from sodclient.services.send import SendRequest, send

    demo = start_demo()
    try:
        _step("demo servers and profiles started", t0)
        study = [d for d in demo.sender.library().documents() if d.is_dicom][:2]
        contact = contacts(demo.sender)[0]
        result = send(
            demo.sender, SendRequest([d.path for d in study], to=[contact.email], recipient_keys=[contact.recipient])
        )
        if not result.notified or len(demo.mails()) != 1 or result.link not in demo.mails()[0].body:
            raise RuntimeError("the notification mail did not arrive with the link")
        engine = result.upload.library if result.upload else "?"
        _step(f"container packed, uploaded over SFTP ({engine} engine) and mailed ({result.size} bytes)", t0)
        downloaded = demo.download(result.link)
        opened, imported = import_container(demo.recipient, downloaded, identity=my_identity(demo.recipient))
        got = sorted(d.sha256 for d in imported.documents)
        if got != sorted(d.sha256 for d in study) or not opened.signer:
            raise RuntimeError("the received documents differ from the sent ones")
        _step(f"downloaded, verified, unpacked and imported {len(got)} document(s)", t0)
    finally:
        demo.stop()
    if demo.root.exists():
        raise RuntimeError("the demo folder was not deleted")
