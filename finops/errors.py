"""The one exception users see: a single line naming the file and the problem."""


class FinopsError(Exception):
    """A problem with the user's input, configuration or environment, not a bug.

    The CLI prints it as one line and exits non-zero; library callers catch it the same way.
    """

    exit_code = 1


class UsageError(FinopsError):
    """A wrong flag or argument (exit code 2, like argparse)."""

    exit_code = 2


class DataIncomplete(FinopsError):
    """The loaded data does not reach the end of the week to be sent (exit code 3): nothing was sent."""

    exit_code = 3
