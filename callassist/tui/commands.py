"""The `app` subcommand (also what `callassist` with no arguments runs)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The app's options (shared by `callassist app` and bare `callassist`)."""
    p.add_argument(
        "--lang",
        choices=["zh", "en"],
        help="UI language and bundled playbook (default: en for an English locale, else zh)",
    )
    p.add_argument("--playbook", metavar="PATH", help="playbook TOML (its language sets the UI unless --lang)")
    p.add_argument("--transcripts", metavar="DIR", help="where records are written and read")
    p.add_argument("--model", metavar="PATH", help="Vosk model folder for live speech")
    p.add_argument("--typed", action="store_true", help="typed mode: no model or microphone")
    p.add_argument("--light", action="store_true", help="start with the light theme")


def run_app(args: argparse.Namespace) -> int:
    """Build the app from the command line and run it."""
    from callassist import locations
    from callassist.tui.app import make_app
    from callassist.tui.native_stderr import native_stderr_to

    app = make_app(
        lang=getattr(args, "lang", None),
        playbook=getattr(args, "playbook", None),
        transcripts=getattr(args, "transcripts", None),
        model=getattr(args, "model", None),
        typed=getattr(args, "typed", False),
        theme="textual-light" if getattr(args, "light", False) else None,
    )
    with native_stderr_to(locations.cache_dir() / "native-messages.log"):
        app.run()
    return app.return_code or 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `callassist app`."""
    p = sub.add_parser("app", help="the terminal app: live or typed calls, rehearsal, review (the default)")
    add_arguments(p)
    p.set_defaults(func=run_app)
