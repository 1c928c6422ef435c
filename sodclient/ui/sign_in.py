"""Sign-in: the dialog that creates, migrates, opens or re-wraps the user's key with the app passphrase.

One dialog, four modes (the state `services.identity.start_status` reports): "none" creates the key
(passphrase typed twice, policy shown), "plain" protects a release 0.1.0 key file the same way,
"passphrase" signs in, and "change" re-wraps under a new passphrase. A wrong passphrase leaves the
dialog open with a one-line error (and a sign-in-failed record).
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from sodclient import passphrase_policy
from sodclient.errors import UserError
from sodclient.profile import Profile
from sodclient.services import identity
from sodclient.ui.common import app_icon, plain_error

_TEXT = {
    "none": (
        "Create your SOD Send passphrase",
        "Choose a passphrase. It protects your personal key and unlocks SOD Send after it locks. "
        f"Use at least {passphrase_policy.MIN_LENGTH} characters with upper- and lower-case letters and a digit.",
    ),
    "plain": (
        "Protect your key",
        "This version keeps your personal key encrypted. Choose a passphrase to protect it: you will type "
        "it when SOD Send starts and after it locks.",
    ),
    "passphrase": ("Sign in to SOD Send", "Enter your SOD Send passphrase."),
    "change": ("Change your passphrase", "Enter your current passphrase, then the new one twice."),
}


def _password_field(placeholder: str, name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.Password)
    field.setPlaceholderText(placeholder)
    field.setObjectName(name)
    return field


class SignInDialog(QDialog):
    def __init__(self, profile: Profile, mode: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.profile, self.mode = profile, mode
        title, text = _TEXT[mode]
        self.setWindowTitle(title)
        self.setWindowIcon(app_icon())
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel(text)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.current = _password_field("current passphrase", "current-passphrase")
        self.new = _password_field("new passphrase", "new-passphrase")
        self.repeat = _password_field("the same again", "repeat-passphrase")
        if mode in ("passphrase", "change"):
            form.addRow("Passphrase" if mode == "passphrase" else "Current passphrase", self.current)
        if mode in ("none", "plain", "change"):
            form.addRow("New passphrase", self.new)
            form.addRow("Repeat", self.repeat)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("sign-in-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.Ok)
        self.ok_button.setText("Sign in" if mode == "passphrase" else "OK")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def submit(self) -> bool:
        """Does what the mode says; True (and the dialog accepted) when it worked."""
        try:
            if self.mode in ("none", "plain", "change"):
                new = self.new.text()
                if new != self.repeat.text():
                    raise _Mismatch("the two new passphrases differ")
                problems = passphrase_policy.check(new)
                if problems:
                    raise _Mismatch("choose a stronger passphrase: " + "; ".join(problems))
            if self.mode == "none":
                identity.create_identity(self.profile, self.new.text(), protection=identity.PASSPHRASE)
            elif self.mode == "plain":
                identity.migrate_identity(self.profile, self.new.text(), protection=identity.PASSPHRASE)
            elif self.mode == "passphrase":
                identity.sign_in(self.profile, self.current.text())
            else:
                identity.change_passphrase(self.profile, self.current.text(), self.new.text())
        except (UserError, _Mismatch) as exc:
            self.error.setText(plain_error(exc) if isinstance(exc, UserError) else str(exc))
            self.current.clear()
            self.current.setFocus()
            return False
        for field in (self.current, self.new, self.repeat):
            field.clear()
        self.accept()
        return True


class _Mismatch(Exception):
    pass


def ensure_signed_in(profile: Profile, parent: QWidget | None = None) -> bool:
    """At start: creates, migrates or opens the key as the site and the profile need, asking for the
    passphrase only where one protects it. False if the user cancelled."""
    status = identity.start_status(profile)
    if status.unlocked:
        return True
    protection = identity.site_protection(profile)
    if status.state == "keyring":
        identity.sign_in(profile)
        return True
    if status.state in ("none", "plain") and protection == identity.KEYRING:
        (identity.create_identity if status.state == "none" else identity.migrate_identity)(
            profile, protection=identity.KEYRING
        )
        return True
    return SignInDialog(profile, status.state, parent).exec() == QDialog.Accepted
