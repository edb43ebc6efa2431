"""keys.toml: binding ids remapped from the config folder, shown in the footer, and one clear line for a bad file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from callassist.tui.screens.call import CallScreen
from callassist.tui.screens.dialogs import TextDialog
from tests.test_tui_call import start_call, wait_for
from tests.tui_support import app as make_app


def write_keys(text: str) -> Path:
    folder = Path(os.environ["CALLASSIST_CONFIG_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "keys.toml"
    path.write_text(text, encoding="utf-8")
    return path


def footer_keys(screen) -> dict[str, str]:
    """What the footer shows: key as displayed → description (FooterKey, found by its CSS type name)."""
    return {fk.key_display: fk.description for fk in screen.query("FooterKey")}


def test_keys_file_is_read_from_the_config_folder():
    from callassist.tui.keys import load_keymap

    assert load_keymap() == {}  # no file: the default keys
    write_keys('[keys]\nnote = "ctrl+n"\ncall.bookmark = "ctrl+b"\n\n[keys.review]\nexport = "e"\n')
    assert load_keymap() == {"call.note": "ctrl+n", "call.bookmark": "ctrl+b", "review.export": "e"}


def test_a_key_is_read_the_way_the_terminal_sends_it():
    from callassist.tui.keys import load_keymap

    write_keys('[keys]\nnote = "Ctrl+N"\nprev_hit = "N"\n')
    assert load_keymap() == {"call.note": "ctrl+n", "record.prev_hit": "N"}


def test_make_services_carries_the_keymap():
    from callassist.tui.services import make_services

    write_keys('[keys]\n"call.note" = "ctrl+n"\n')
    assert make_services(typed=True).keymap == {"call.note": "ctrl+n"}


async def test_a_remapped_key_works_and_the_footer_shows_it(tmp_path):
    from callassist.tui.keys import load_keymap

    write_keys('[keys]\nnote = "ctrl+n"\n"app.theme" = "f2"\n"app.keys" = "f3"\n')
    app = make_app("en", tmp_path / "records", keymap=load_keymap())
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot)
        assert isinstance(screen, CallScreen)
        screen.query_one("#transcript").focus()
        await pilot.pause()
        shown = footer_keys(screen)
        assert shown.get("^n") == "Note" and "n" not in shown
        order = list(shown)
        assert order.index("^n") < order.index("b")  # in its place, not pushed to the end of the footer
        assert shown.get("f3") == "Keys" and "f1" not in shown
        assert "f2" not in shown and "^t" not in shown  # the theme key is listed under F1, not in the footer
        await pilot.press("n")  # the old key does nothing now
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        dark = app.theme
        await pilot.press("f2")
        assert app.theme != dark


BAD = [
    ('[keys]\nnote = "ctrl+n\n', 2, "bad TOML"),
    ('[keys]\nnote = "ctrl+n"\nnotes = "ctrl+o"\n', 3, "unknown binding id 'notes'"),
    ('[keys]\nnote = "ctrl+n"\n\n"call.note" = "ctrl+o"\n', 4, "'call.note' is given twice (lines 2 and 4)"),
    ('[keys]\nnote = "ctrl+n"\nnote = "ctrl+o"\n', 3, "'note' is given twice (lines 2 and 3)"),
    ('[keys]\nnote = "b"\n', 2, "'b' is already the key of call.bookmark"),
    ('[keys]\nnote = "ctrl+n"\nbookmark = "ctrl+n"\n', 3, "'ctrl+n' is already the key of call.note"),
    ('[keys]\nnote = "ctrl+"\n', 2, "'ctrl+' is not a key"),
    ("[keys]\nnote = 5\n", 2, "must be a string"),
    ('[keys]\nexport = "e"\n', 2, "'export' could be review.export, record.export"),
    ('note = "ctrl+n"\n', 1, "[keys]"),
    # a stray line of prose: must be reported at once (a backtracking pattern once took minutes on it)
    ('[keys]\nnote = "ctrl+n"\nthe bookmark key should be f5 too, like in the old version\n', 3, "bad TOML"),
]


@pytest.mark.parametrize(("text", "line", "problem"), BAD)
def test_a_bad_keys_file_is_one_line_naming_file_line_and_problem(text, line, problem, capsys):
    from callassist.cli import main

    path = write_keys(text)
    assert main(["app", "--typed"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"callassist: {path}:{line}: ")
    assert problem in err


def test_every_binding_id_is_listed_in_the_docs():
    from callassist.tui.keys import binding_ids

    docs = (Path(__file__).parent.parent / "docs" / "app.md").read_text(encoding="utf-8")
    ids = binding_ids()
    assert {"call.note", "app.theme", "review.export", "points.tick", "dialog.cancel"} <= set(ids)
    assert [i for i in ids if f"`{i}`" not in docs] == []
