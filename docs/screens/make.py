"""Export the SVG screenshots in this folder from the app itself (App.save_screenshot), with the test profile.

.venv/bin/python docs/screens/make.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from textual.widgets import Input  # noqa: E402

from callassist.tui.speech import SpeechStatus  # noqa: E402
from tests.test_tui_call import wait_for  # noqa: E402
from tests.tui_support import app as make_app  # noqa: E402
from tests.tui_support import make_record  # noqa: E402

OUT = Path(__file__).parent
SIZE = (120, 34)


def still(app) -> None:
    for box in app.screen.query(Input):
        box.cursor_blink = False


async def shoot(app, name: str, steps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot)
        still(app)
        await pilot.pause(0.2)
        app.save_screenshot(f"{name}.svg", path=str(OUT))
        print(OUT / f"{name}.svg")


async def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="callassist-screens-"))
    records = tmp / "records"
    make_record(records, "zh", minutes=0)
    make_record(records, "zh", minutes=45)
    make_record(records, "en", minutes=90)

    async def home(pilot):
        await wait_for(pilot, lambda: pilot.app.speech_status is not None)

    for lang in ("zh", "en"):
        app = make_app(lang, Path("transcripts"), typed=False, probe=lambda: SpeechStatus())
        await shoot(app, f"home-{lang}", home)

    lines = {
        "zh": [
            "你好，这里是安心借客服，我姓王，工号 8812",
            "我：我失业了，想协商分期还款，每月最多还一千八",
            "再不还我们就打电话给你爸妈",
        ],
        "en": [
            "This is Mike from Apex Recovery",
            "me: I lost my job and I want a payment plan",
            "If you don't pay today we will have you arrested",
        ],
    }
    for lang in ("zh", "en"):

        async def call(pilot, lang=lang):
            app = pilot.app
            await pilot.press("c", "enter")
            await wait_for(pilot, lambda: getattr(app.screen, "session", None) is not None)
            for text in lines[lang]:
                app.screen.query_one("#typed", Input).value = text
                await pilot.press("enter")
            card = app.screen.query_one("#suggestion")
            await wait_for(pilot, lambda: card.match is not None and card.match.intent is not None)
            await pilot.press("escape", "t")

        await shoot(make_app(lang, tmp / f"calls-{lang}"), f"call-{lang}", call)

    async def rehearse(pilot):
        app = pilot.app
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ChoiceDialog")
        await pilot.press("down", "down", "enter")
        screen = app.screen
        await wait_for(pilot, lambda: screen.rehearsal is not None and not screen.busy)
        for reply in ("请问您贵姓，工号多少？", "我失业了，收入减少，想协商分期还款，每月最多还一千元。"):
            screen.query_one("#reh-reply", Input).value = reply
            await pilot.press("enter")
            await wait_for(pilot, lambda: not screen.busy)

    await shoot(make_app("zh", tmp / "rehearsals"), "rehearsal-zh", rehearse)

    async def review(pilot):
        await pilot.press("v")
        await wait_for(pilot, lambda: len(getattr(pilot.app.screen, "summaries", [])) == 3)

    await shoot(make_app("zh", records), "review-zh", review)

    async def record_view(pilot):
        await review(pilot)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: getattr(pilot.app.screen, "record", None) is not None)
        await pilot.press("right_square_bracket", "right_square_bracket")

    await shoot(make_app("zh", records), "record-zh", record_view)


if __name__ == "__main__":
    asyncio.run(main())
