"""First connection to an SFTP server: show its SHA-256 fingerprint and let the user confirm it."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget


class HostKeyDialog(QDialog):
    """Accepting means: trust this exact fingerprint for this server from now on."""

    def __init__(self, host: str, fingerprint: str, key_type: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.fingerprint = fingerprint
        self.setWindowTitle("Confirm the server's identity")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"This is the first connection to <b>{host}</b>. Compare the fingerprint below with the "
            "one your IT department gave you. Only trust it if they match exactly."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        fp = QLabel(f"{key_type}<br><b>{fingerprint}</b>")
        fp.setFont(QFont("Monospace"))
        fp.setTextInteractionFlags(fp.textInteractionFlags() | fp.textInteractionFlags().TextSelectableByMouse)
        fp.setObjectName("fingerprint")
        layout.addWidget(fp)
        buttons = QDialogButtonBox()
        self.trust_button = buttons.addButton("Trust this server", QDialogButtonBox.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class FingerprintMatcher:
    """A confirm_host_key callback that trusts exactly the fingerprint the user confirmed (picklable,
    so it can go with a send into the worker process)."""

    def __init__(self, accepted: str):
        self.accepted = accepted

    def __call__(self, host: str, fingerprint: str, key_type: str) -> bool:
        from sodclient.services.connection import same_fingerprint

        return same_fingerprint(fingerprint, self.accepted)


def fingerprint_matcher(accepted: str) -> FingerprintMatcher:
    return FingerprintMatcher(accepted)
