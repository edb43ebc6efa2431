"""The one exception type the CLI turns into a clear one-line message."""


def describe(err: BaseException, chinese: bool = False) -> str:
    """One line for a person: a CallassistError in the UI's language, anything else as its type and message."""
    return err.message(chinese) if isinstance(err, CallassistError) else f"{type(err).__name__}: {err}"


class CallassistError(Exception):
    """An error the user can act on; str() is the whole message, naming the file and the problem."""

    exit_code = 2
    zh: str | None = None
    """The same message in Chinese, when there is one: the CLI shows it when the UI is Chinese."""

    def __init__(self, *args: object, zh: str | None = None):
        super().__init__(*args)
        if zh is not None:
            self.zh = zh

    def message(self, chinese: bool = False) -> str:
        """The message in Chinese when asked and known, else in English."""
        return self.zh if chinese and self.zh else str(self)


class FileError(CallassistError):
    """A file that cannot be used (a playbook, a scenario, keys.toml): names the file, the line when known, the problem."""

    problem_zh: str | None = None
    """The problem in Chinese, when there is one (zh= of the constructor)."""

    def __init__(self, path: object, line: int | None, problem: str, zh: str | None = None):
        self.path, self.line, self.problem, self.problem_zh = str(path), line, problem, zh
        super().__init__(
            f"{path}:{line}: {problem}" if line else f"{path}: {problem}",
            zh=(f"{path}:{line}：{zh}" if line else f"{path}：{zh}") if zh else None,
        )
