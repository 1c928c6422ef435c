"""The client's user-facing error: one plain-language line and an exit code."""


class UserError(Exception):
    """A failure the user can understand and act on; the CLI prints it as one line."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
