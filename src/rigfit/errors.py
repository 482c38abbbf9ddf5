"""The error every interface shows as one line (exit 2, HTTP 422): kept apart so the CLI can name it without
importing the engine (`rigfit --help` stays fast)."""


class UserError(ValueError):
    """Bad input: shown to the user as one line, exit code 2."""
