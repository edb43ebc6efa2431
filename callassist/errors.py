"""The one exception type the CLI turns into a clear one-line message."""


class CallassistError(Exception):
    """An error the user can act on; str() is the whole message, naming the file and the problem."""

    exit_code = 2
