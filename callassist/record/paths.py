"""Where records live, how their folders are named, and the private permissions they are created with."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tomllib
from datetime import datetime
from pathlib import Path

from callassist import locations
from callassist.errors import CallassistError

JOURNAL = "journal.jsonl"
DIR_MODE = 0o700
FILE_MODE = 0o600
INDEX_NAME = ".index.sqlite3"


class RecordError(CallassistError):
    """A record that cannot be read, written or found; the message names the file and the problem."""


class RecordWriteError(RecordError):
    """Writing to a record failed (full disk, read-only folder); what was already written is kept."""

    written: list[dict]
    """Events that did reach the disk in the same call before the failure."""
    event: dict | None
    """For CallSession.utterance: the utterance, queued (its `seq` is the one it will get)."""
    match: object | None
    """For CallSession.utterance: the match, so the suggestion can still be shown."""

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message, zh=zh)
        self.written = []
        self.event = None
        self.match = None


def os_problem(e: OSError) -> str:
    """A short human reason for an OS error: 'disk full', 'permission denied', ..."""
    if e.errno == errno.ENOSPC:
        return "the disk is full (No space left on device)"
    if e.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (the folder is not writable)"
    if e.errno == errno.EROFS:
        return "the file system is read-only"
    if e.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return e.strerror or str(e)


def os_problem_zh(e: OSError) -> str:
    """os_problem in Chinese (the system's own words for errors it has no Chinese for)."""
    known = {
        errno.ENOSPC: "磁盘已满",
        errno.EDQUOT: "超出了磁盘配额",
        errno.EACCES: "没有权限（文件夹不可写）",
        errno.EPERM: "没有权限（文件夹不可写）",
        errno.EROFS: "文件系统是只读的",
        errno.ENOTDIR: "路径中有一段是文件，不是文件夹",
        errno.ENOENT: "路径不存在",
    }
    return known.get(e.errno or 0) or e.strerror or str(e)


def config_file() -> Path:
    """The optional config.toml in the config dir (its `transcripts` key sets the records folder)."""
    return locations.config_dir() / "config.toml"


def transcripts_root(override: str | os.PathLike[str] | None = None) -> Path:
    """The records folder: --transcripts, then $CALLASSIST_TRANSCRIPTS, then config.toml, then ./transcripts."""
    if override:
        return Path(override).expanduser()
    if os.environ.get("CALLASSIST_TRANSCRIPTS"):
        return locations.transcripts_dir()
    cfg = config_file()
    try:
        data = tomllib.loads(cfg.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return locations.transcripts_dir()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise RecordError(f"{cfg}: cannot read the config file: {e}", zh=f"{cfg}：无法读取配置文件：{e}") from None
    value = data.get("transcripts")
    if value is None:
        return locations.transcripts_dir()
    if not isinstance(value, str) or not value.strip():
        raise RecordError(
            f"{cfg}: 'transcripts' must be a folder path (a non-empty string)",
            zh=f"{cfg}：'transcripts' 必须是文件夹路径（非空的文字）",
        )
    path = Path(value).expanduser()
    return path if path.is_absolute() else cfg.parent / path


def ensure_private_dir(path: Path) -> Path:
    """Create a folder (and parents) readable only by the user; a clear error when that is not possible."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except FileExistsError:
        raise RecordWriteError(f"{path}: is not a folder", zh=f"{path}：不是文件夹") from None
    except OSError as e:
        raise RecordWriteError(
            f"{path}: cannot create the records folder: {os_problem(e)}",
            zh=f"{path}：无法创建通话记录文件夹：{os_problem_zh(e)}",
        ) from None
    if not path.is_dir():
        raise RecordWriteError(f"{path}: is not a folder", zh=f"{path}：不是文件夹")
    if not os.access(path, os.W_OK | os.X_OK):
        raise RecordWriteError(f"{path}: the records folder is not writable", zh=f"{path}：通话记录文件夹不可写")
    return path


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\s\ud800-\udfff]+")  # surrogates: bytes that were not UTF-8


def slug(text: str, limit: int = 24) -> str:
    """A short, file-name-safe form of a lender's name (Chinese characters kept)."""
    s = _UNSAFE.sub("-", text.strip()).strip("-.")
    return s[:limit].rstrip("-.")


def new_record_dir(root: Path, started: datetime, lender: str = "", mode: str = "") -> Path:
    """Create a new, empty, private folder for one call: 20261123-140312[-lender][-mode][-2]."""
    ensure_private_dir(root)
    parts = [started.strftime("%Y%m%d-%H%M%S")]
    if slug(lender):
        parts.append(slug(lender))
    if mode in ("rehearsal", "import", "transcribe"):
        parts.append(mode)
    base = "-".join(parts)
    for n in range(1, 1000):
        path = root / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        except OSError as e:
            raise RecordWriteError(
                f"{path}: cannot create the record folder: {os_problem(e)}",
                zh=f"{path}：无法创建这次通话的记录文件夹：{os_problem_zh(e)}",
            ) from None
        with contextlib.suppress(OSError):
            os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
        fsync_dir(root)  # the folder's name survives a power cut along with the journal inside it
        return path
    raise RecordWriteError(f"{root}: too many records named {base}", zh=f"{root}：名为 {base} 的记录太多了")


def fsync_dir(path: Path) -> None:
    """Make a new directory entry durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the file itself is synced
    finally:
        os.close(fd)


def journal_path(path: str | os.PathLike[str]) -> Path:
    """The journal of a record given its folder or the journal file itself."""
    p = Path(path)
    return p if p.name == JOURNAL or p.is_file() else p / JOURNAL


def record_dirs(root: Path) -> list[Path]:
    """Record folders under root (those holding a journal), oldest first by name."""
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return []
    except OSError as e:
        raise RecordError(
            f"{root}: cannot list the records folder: {os_problem(e)}",
            zh=f"{root}：无法列出通话记录文件夹的内容：{os_problem_zh(e)}",
        ) from None
    out = []
    for e in entries:
        if e.name.startswith(".") or not e.is_dir(follow_symlinks=False):
            continue
        if os.path.exists(os.path.join(e.path, JOURNAL)):
            out.append(Path(e.path))
    return sorted(out, key=lambda p: p.name)


def resolve_record(arg: str, root: Path | None = None) -> Path:
    """A CALLDIR argument: a folder, a journal file, or the name of a folder in the records folder."""
    p = Path(arg).expanduser()
    if p.exists():
        return p.parent if p.is_file() else p
    if root is not None and not p.is_absolute() and (root / p).exists():
        return root / p
    raise RecordError(f"{arg}: no such record folder", zh=f"{arg}：没有这个通话记录文件夹")


def write_private(path: Path, text: str) -> None:
    """Write an export readable only by the user (it holds the call), atomically; RecordError names the file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise RecordError(
            f"{path}: cannot write the export: {os_problem(e)}", zh=f"{path}：无法写入导出的文件：{os_problem_zh(e)}"
        ) from None
