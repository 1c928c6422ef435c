"""Sign-in: the dialog that creates, migrates, opens or re-wraps the user's key with the app passphrase.

One dialog, four modes (the state `services.identity.start_status` reports): "none" creates the key
(passphrase typed twice, policy shown), "plain" protects a release 0.1.0 key file the same way,
"passphrase" signs in, and "change" re-wraps under a new passphrase. A wrong passphrase leaves the
dialog open with a one-line error (and a sign-in-failed record).

Where the computer has no OS keyring, the same dialog also creates or opens the key file that keeps
SOD Send's keys (`key_file` "create" or "open"), with the same passphrase, so the user types it once; the
fifth mode, "key-file", does only that (where the user's key itself needs no passphrase). It explains why
and names what would give the computer a keyring. Nothing is ever asked on a terminal.
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
    "key-file": ("Open SOD Send", "Enter your SOD Send passphrase."),
}
_NO_KEYRING = "This computer has no keyring to keep SOD Send's keys ({help})."
_KEY_FILE_TEXT = {
    "create": _NO_KEYRING + " SOD Send can keep them in a file protected by your SOD Send passphrase instead.",
    "create-new": _NO_KEYRING + " SOD Send can keep them in a file protected by your SOD Send passphrase "
    "instead: choose it here (at least {min} characters with upper- and lower-case letters and a digit).",
    "open": "This computer has no keyring, so SOD Send keeps its keys in a file protected by your SOD Send "
    "passphrase. Enter it to open them.",
}


def _password_field(placeholder: str, name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.Password)
    field.setPlaceholderText(placeholder)
    field.setObjectName(name)
    return field


class SignInDialog(QDialog):
    def __init__(self, profile: Profile, mode: str, parent: QWidget | None = None, key_file: str = ""):
        super().__init__(parent)
        self.profile, self.mode, self.key_file = profile, mode, key_file
        title, text = _TEXT[mode]
        if mode == "key-file" and key_file == "create":
            title = "Protect SOD Send's keys"
        self.setWindowTitle(title)
        self.setWindowIcon(app_icon())
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel(text)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        note = "create-new" if mode == "key-file" and key_file == "create" else key_file
        self.key_file_note = QLabel(
            _KEY_FILE_TEXT[note].format(help=identity.keyring_help(), min=passphrase_policy.MIN_LENGTH)
            if key_file
            else ""
        )
        self.key_file_note.setObjectName("key-file-note")
        self.key_file_note.setWordWrap(True)
        self.key_file_note.setVisible(bool(key_file))
        layout.addWidget(self.key_file_note)
        if mode == "key-file":
            intro.hide()  # the note says it all
        form = QFormLayout()
        self.current = _password_field("current passphrase", "current-passphrase")
        self.new = _password_field("new passphrase", "new-passphrase")
        self.repeat = _password_field("the same again", "repeat-passphrase")
        if self._asks_current():
            form.addRow("Current passphrase" if mode == "change" else "Passphrase", self.current)
        if self._asks_new():
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
        self.ok_button.setText("Sign in" if self._asks_current() and mode != "change" else "OK")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _asks_new(self) -> bool:
        return self.mode in ("none", "plain", "change") or (self.mode == "key-file" and self.key_file == "create")

    def _asks_current(self) -> bool:
        return self.mode in ("passphrase", "change") or (self.mode == "key-file" and self.key_file == "open")

    def submit(self) -> bool:
        """Does what the mode says; True (and the dialog accepted) when it worked."""
        try:
            if self._asks_new():
                new = self.new.text()
                if new != self.repeat.text():
                    raise _Mismatch("the two new passphrases differ")
                problems = passphrase_policy.check(new)
                if problems:
                    raise _Mismatch("choose a stronger passphrase: " + "; ".join(problems))
            typed = self.current.text() if self._asks_current() else self.new.text()
            if self.key_file == "create":
                identity.create_key_file(self.profile, typed)
            elif self.key_file == "open":
                identity.open_key_file(self.profile, typed)
            self.key_file = ""  # done: if the sign-in below fails, the next try only signs in
            if self.mode == "none":
                identity.create_identity(self.profile, self.new.text(), protection=identity.PASSPHRASE)
            elif self.mode == "plain":
                identity.migrate_identity(self.profile, self.new.text(), protection=identity.PASSPHRASE)
            elif self.mode == "passphrase":
                identity.sign_in(self.profile, self.current.text())
            elif self.mode == "change":
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
    passphrase only where one protects it. Without an OS keyring, first creates or opens the key file that
    keeps SOD Send's keys, in the same dialog where a passphrase protects the user's key too. False if the
    user cancelled."""
    status = identity.start_status(profile)
    key_file = {"none": "create", "key-file": "open"}.get(identity.key_store(profile), "")
    if key_file:
        if _one_dialog_for_both(profile, status, key_file):
            return SignInDialog(profile, status.state, parent, key_file=key_file).exec() == QDialog.Accepted
        if SignInDialog(profile, "key-file", parent, key_file=key_file).exec() != QDialog.Accepted:
            return False
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


def _one_dialog_for_both(profile: Profile, status: identity.IdentityStatus, key_file: str) -> bool:
    """True where the user's key and the key file take the same passphrase in one go: signing in (the
    key file opens, or is created, with the sign-in passphrase), or a first start whose new key a
    passphrase protects."""
    if status.unlocked:
        return False
    if status.state == identity.PASSPHRASE:
        return True
    if key_file != "create" or status.state not in ("none", "plain"):
        return False
    try:
        return identity.site_protection(profile) == identity.PASSPHRASE
    except UserError:  # settings sealed under a keyring that is gone: create the key file on its own first
        return False
