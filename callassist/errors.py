"""The one exception type the CLI turns into a clear one-line message."""


class CallassistError(Exception):
    """An error the user can act on; str() is the whole message, naming the file and the problem."""

    exit_code = 2


class FileError(CallassistError):
    """A file that cannot be used (a playbook, a scenario, keys.toml): names the file, the line when known, the problem."""

    def __init__(self, path: object, line: int | None, problem: str):
        self.path, self.line, self.problem = str(path), line, problem
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")
