"""Which language the app opens in when neither --lang nor --playbook says."""

from __future__ import annotations

import pytest

from callassist.tui.services import make_services
from tests.locale_support import set_locale


@pytest.mark.parametrize(
    ("locale", "ui"),
    [("en_US.UTF-8", "en"), ("en_GB.UTF-8", "en"), ("zh_CN.UTF-8", "zh"), ("C.UTF-8", "zh"), ("", "zh")],
)
def test_the_app_opens_in_english_for_an_english_locale(monkeypatch, tmp_path, locale, ui):
    """With LANG=en_US.UTF-8, `callassist` opened the Chinese home screen (its --help was English) and `l` had to
    be pressed on every start. An English locale now opens English with the en-US playbook; any other locale, or
    none, Chinese as before; --lang still decides."""
    monkeypatch.setenv("CALLASSIST_CONFIG_DIR", str(tmp_path / "cfg"))
    set_locale(monkeypatch, locale)
    services = make_services(transcripts=str(tmp_path / "tr"), typed=True)
    assert services.lang == ui
    assert services.playbook.lang == ui
    assert make_services(lang="zh", transcripts=str(tmp_path / "tr"), typed=True).lang == "zh"


async def test_the_language_chosen_with_l_is_kept_for_the_next_start(monkeypatch, tmp_path):
    """A Chinese user whose system locale is English pressed `l` on every start."""
    from callassist.tui.app import CallAssist
    from tests.test_tui_call import wait_for

    monkeypatch.setenv("CALLASSIST_CONFIG_DIR", str(tmp_path / "cfg"))
    set_locale(monkeypatch, "en_US.UTF-8")
    services = make_services(transcripts=str(tmp_path / "tr"), typed=True)
    assert services.lang == "en"
    app = CallAssist(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("l")
        await wait_for(pilot, lambda: app.services.lang == "zh")
    again = make_services(transcripts=str(tmp_path / "tr"), typed=True)
    assert again.lang == "zh" and again.playbook.lang == "zh"
    assert make_services(lang="en", transcripts=str(tmp_path / "tr"), typed=True).lang == "en"  # --lang decides
    (tmp_path / "cfg" / "ui.toml").write_text("language = [", encoding="utf-8")  # damaged: the locale again
    assert make_services(transcripts=str(tmp_path / "tr"), typed=True).lang == "en"
