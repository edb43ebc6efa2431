"""The user's profile: the values it accepts are the ones the planner accepts, from `--set` and from the file."""

from __future__ import annotations

import re

import pytest

from callassist import locations
from callassist import profile as prof
from callassist.cli import main
from tests.locale_support import set_locale

BAD_VALUES = [
    ("cap", "1.5"),
    ("cap", "0"),
    ("cap", "nan"),
    ("periods", "100000"),
    ("periods", "0"),
    ("debt", "0"),
    ("debt", "nan"),
    ("debt", "inf"),
    ("debt", "1e20"),
    ("apr", "400"),
    ("apr", "-inf"),
    ("income", "0"),
    ("income", "NaN"),
]


@pytest.mark.parametrize(("key", "value"), BAD_VALUES)
def test_set_refuses_what_the_planner_refuses_and_leaves_the_file_alone(monkeypatch, capsys, key, value):
    set_locale(monkeypatch, "C.UTF-8")
    assert main(["profile", "--set", "debt=20000", "--set", "income=6000", "--set", "periods=24"]) == 0
    path = locations.profile_path()
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["profile", "--set", f"{key}={value}"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert key in err and "--set" in err and "Traceback" not in err
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("debt = nan\n", "debt"),
        ("debt = 20000\nincome = 6000\ncap = 1.5\n", "cap"),
        ("debt = 20000\nperiods = 0\n", "periods"),
        ("debt = 1e20\n", "debt"),
        ("income = inf\n", "income"),
        ("debt = true\n", "debt"),
        ("apr = -3\n", "apr"),
    ],
)
def test_bad_value_in_the_file_is_one_line_naming_file_and_key(monkeypatch, capsys, text, key):
    set_locale(monkeypatch, "C.UTF-8")
    path = locations.profile_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(prof.ProfileError) as e:
        prof.load(path)
    assert str(path) in str(e.value) and key in str(e.value) and "\n" not in str(e.value)
    for argv in (["profile"], ["match", "--no-meaning", "你打算怎么还"]):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert len(err.strip().splitlines()) == 1, err
        assert str(path) in err and key in err, err
        assert "NaN" not in out and "9,000" not in out
    assert path.read_text(encoding="utf-8") == text


def test_set_repairs_a_bad_value_in_the_file(monkeypatch, capsys):
    set_locale(monkeypatch, "C.UTF-8")
    path = locations.profile_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("debt = nan\nincome = 6000\n", encoding="utf-8")
    assert main(["profile", "--set", "debt=20000"]) == 0
    assert prof.load(path) == prof.Profile(debt=20000, income=6000)
    path.write_text("debt = nan\nincome = 6000\n", encoding="utf-8")
    assert main(["profile", "--set", "income=5000"]) == 2  # the bad debt is still there: named, nothing written
    assert str(path) in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "debt = nan\nincome = 6000\n"


def test_good_values_and_clearing(monkeypatch):
    set_locale(monkeypatch, "C.UTF-8")
    p = prof.updated(prof.Profile(), ["debt=20000", "apr=0", "periods=24", "income=6000", "cap=1"])
    assert prof.values(p)["affordable"] == "6,000.00" and prof.values(p)["monthly"] == "833.33"
    cleared = prof.updated(p, ["cap=", "debt=", "apr="])
    assert cleared.cap == 0.3 and cleared.debt is None and cleared.apr is None
    assert prof.values(cleared)["affordable"] == "1,800.00"


def test_the_profile_uses_the_planners_check(monkeypatch):
    """One rule for both: a stricter planner is a stricter profile."""
    from callassist import plan

    monkeypatch.setattr(plan, "MAX_PERIODS", 36)
    with pytest.raises(prof.ProfileError, match="periods"):
        prof.updated(prof.Profile(), ["periods=48"])
    with pytest.raises(plan.PlanError, match="--periods"):
        plan.check(100, 18, 48)


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--set", "foo=1"], ["--set", "foo", "没有"]),
        (["--set", "debt"], ["--set", "键=值"]),
        (["--set", "debt=lots"], ["'debt'", "必须是数字"]),
        (["--set", "debt=0"], ["'debt'", "必须是大于 0 的金额"]),
        (["--set", "cap=1.5"], ["'cap'", "0 到 1"]),
    ],
)
def test_profile_errors_are_chinese_when_the_locale_is(monkeypatch, capsys, argv, fragments):
    set_locale(monkeypatch, "zh_CN.UTF-8")
    assert main(["profile", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert all(f in err for f in fragments), err
    assert not re.search(r"must|unknown|expects", err), err


def test_profile_file_errors_are_chinese_when_the_locale_is(monkeypatch, capsys):
    set_locale(monkeypatch, "zh_CN.UTF-8")
    path = locations.profile_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("debt = nan\n", encoding="utf-8")
    assert main(["profile"]) == 2
    err = capsys.readouterr().err
    assert err == f"callassist: {path}：'debt' 必须是大于 0 的金额，现在是 nan\n"
    path.write_text("debt = [\n", encoding="utf-8")
    assert main(["profile"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "TOML" in err and "格式" in err


def test_profile_output_is_chinese_when_the_locale_is(monkeypatch, capsys):
    set_locale(monkeypatch, "zh_CN.UTF-8")
    assert main(["profile", "--set", "debt=20000"]) == 0
    out = capsys.readouterr().out
    assert "{debt}=20,000.00" in out and "callassist profile --set" in out
    assert "placeholders" not in out and "set values with" not in out and "key" not in out
    set_locale(monkeypatch, "C.UTF-8")
    assert main(["profile"]) == 0
    out = capsys.readouterr().out
    assert "placeholders: {debt}=20,000.00" in out and "set values with: callassist profile --set" in out


def test_unset_errors_name_unset(monkeypatch, capsys):
    """`--unset foo` is refused naming --unset (not --set), in Chinese under a Chinese locale."""
    set_locale(monkeypatch, "C.UTF-8")
    assert main(["profile", "--unset", "foo"]) == 2
    assert capsys.readouterr().err.startswith("callassist: --unset: unknown profile key 'foo' (known: ")
    set_locale(monkeypatch, "zh_CN.UTF-8")
    assert main(["profile", "--unset", "foo"]) == 2
    assert capsys.readouterr().err.startswith("callassist: --unset：个人资料里没有 'foo' 这一项")
    assert main(["profile", "--unset", "debt=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("callassist: --unset 只写项名") and "debt=1" in err and "--set" not in err, err
    assert main(["profile", "--unset", "debt"]) == 0  # a known key is cleared


def test_unreadable_profile_is_one_line(monkeypatch, capsys):
    """A profile.toml that is a folder raised IsADirectoryError (a traceback); one that is not UTF-8 was reported
    in Python's English ('utf-8' codec can't decode byte 0xff) inside the Chinese line."""
    set_locale(monkeypatch, "zh_CN.UTF-8")
    path = locations.profile_path()
    path.mkdir(parents=True)
    for argv in (["profile"], ["profile", "--set", "debt=1"], ["match", "--no-meaning", "你好"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"callassist: {path}：无法读取") and err.count("\n") == 1, err
    path.rmdir()
    path.write_bytes(b'name = "\xff"\n')
    assert main(["profile"]) == 2
    err = capsys.readouterr().err
    assert err == f"callassist: {path}：不是 UTF-8 编码的文本（字节偏移 8）\n", err


def test_profile_shows_its_file_on_one_line(monkeypatch, capsys):
    """The file's path was the table's title and was broken across lines at the table's width."""
    set_locale(monkeypatch, "zh_CN.UTF-8")
    assert main(["profile", "--set", "debt=20000"]) == 0
    out = capsys.readouterr().out
    assert str(locations.profile_path()) in out.splitlines()[0], out


def test_unset_removes_an_unknown_key_from_the_file(monkeypatch, capsys):
    """A key the profile does not know (a typo made in the editor) blocked every --set, and --unset refused it too:
    only an editor could repair the file. --unset KEY now takes it out."""
    set_locale(monkeypatch, "C.UTF-8")
    path = locations.profile_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('dept = 20000\nname = "张三"\n', encoding="utf-8")
    assert main(["profile", "--set", "debt=20000"]) == 2
    assert "unknown profile key 'dept'" in capsys.readouterr().err
    assert main(["profile", "--unset", "dept", "--set", "debt=20000"]) == 0
    assert prof.read(path) == {"name": "张三", "debt": 20000.0, "cap": 0.3}
    assert main(["profile", "--unset", "dept"]) == 2  # no longer in the file: unknown again


def test_profile_values_with_square_brackets_are_shown_as_written():
    """[brackets] in a value were read as rich markup: '[失业] 三个月' lost its first word, '[/x]' crashed."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "callassist", "profile"]
    r = subprocess.run([*cmd, "--set", "hardship=[see note] 失业[/x]"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    shown = subprocess.run(cmd, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "[see note] 失业[/x]" in shown.stdout


@pytest.mark.parametrize("bad", ["2026-13-01", "2026/2/30", "2月30日", "2027年13月1日", "12/32"])
def test_a_first_due_date_that_does_not_exist_is_refused(bad, tmp_path):
    """first_due is free text ('下月15日' is fine), but a written date that does not exist was accepted."""
    from callassist import profile as prof

    with pytest.raises(prof.ProfileError, match="first_due") as e:
        prof.updated(prof.Profile(), [f"first_due={bad}"])
    assert "\n" not in str(e.value) and "不存在" in e.value.zh
    for good in ("2026-12-15", "12月15日", "2026年2月28日", "下月15日", "发工资后"):
        assert prof.updated(prof.Profile(), [f"first_due={good}"]).first_due == good


def test_set_takes_numbers_as_the_form_does():
    """`profile --set debt=4,200` was refused on the command line while the numbers form took '$4,200'."""
    from callassist import profile as prof

    p = prof.updated(prof.Profile(), ["debt=4,200", "income=$3,500", "apr=18%", "cap=30%", "periods=24"])
    assert (p.debt, p.income, p.apr, p.cap, p.periods) == (4200.0, 3500.0, 18.0, 0.3, 24)
    assert prof.updated(prof.Profile(), ["debt=20000元"]).debt == 20000.0
    with pytest.raises(prof.ProfileError, match="'debt' must be a number"):
        prof.updated(prof.Profile(), ["debt=2万"])
