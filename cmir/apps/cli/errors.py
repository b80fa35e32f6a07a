"""The CLI's errors: told to the user in one line, with an exit code."""

from __future__ import annotations


class CliError(Exception):
    """A failure told to the user in one line; `code` is the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class BadInput(CliError):  # noqa: N818 - reads as what it is
    """The command line asks for something impossible (exit code 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=2)
