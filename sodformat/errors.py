"""Errors the container raises: each carries one line a user can act on."""


class SodError(Exception):
    """Base class: the message is shown to the user as a single line."""


class FormatError(SodError):
    """The file is not a well-formed .SOD container (damaged, truncated or hostile)."""


class AuthenticationError(SodError):
    """Decryption or a MAC/signature check failed: wrong key, or the file was altered."""


class NoMatchingIdentityError(SodError):
    """None of the given passphrases or keys opens this container."""


class ExpiredError(SodError):
    """The container is past its expiry time."""


class LimitError(FormatError):
    """The container asks for more than a reader accepts (sizes, counts, KDF cost)."""


class CancelledError(SodError):
    """The user cancelled the operation; nothing was left behind."""
