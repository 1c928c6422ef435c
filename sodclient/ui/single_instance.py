"""One running app per user: a second launch (e.g. double-clicking a .sod) hands its file to the first.

The local socket name is derived from the profile's data folder, so separate profiles (tests, the demo,
portable installs) and separate users never talk to each other's instance.
"""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

_TIMEOUT_MS = 1500


def server_name(data_dir: Path) -> str:
    ident = f"{getpass.getuser()}|{data_dir}".encode()
    return "sodsend-" + hashlib.sha256(ident).hexdigest()[:20]


def hand_over(data_dir: Path, message: str) -> bool:
    """Send `message` (a file path or "" to just raise the window) to a running instance; True if one took it."""
    sock = QLocalSocket()
    sock.connectToServer(server_name(data_dir))
    if not sock.waitForConnected(_TIMEOUT_MS):
        return False
    sock.write(message.encode("utf-8") + b"\n")
    sock.flush()
    ok = sock.waitForBytesWritten(_TIMEOUT_MS) or sock.bytesToWrite() == 0
    ack = sock.waitForReadyRead(_TIMEOUT_MS) and sock.readAll().data().startswith(b"ok")
    sock.disconnectFromServer()
    return ok and ack


class InstanceServer(QObject):
    """Listens for hand-overs; emits `message_received` with the path (or "" to raise the window)."""

    message_received = Signal(str)

    def __init__(self, data_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.data_dir = data_dir
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        name = server_name(self.data_dir)
        if self.server.listen(name):
            return True
        QLocalServer.removeServer(name)  # a stale socket left by a crashed instance
        return self.server.listen(name)

    def _on_connection(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            buf = bytearray()

            def ready(sock=sock, buf=buf):
                buf.extend(sock.readAll().data())
                if b"\n" in buf:
                    line = bytes(buf).split(b"\n", 1)[0].decode("utf-8", "replace")
                    sock.write(b"ok\n")
                    sock.flush()
                    sock.disconnectFromServer()
                    self.message_received.emit(line)

            sock.readyRead.connect(ready)
            sock.disconnected.connect(sock.deleteLater)
