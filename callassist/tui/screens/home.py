"""Home: start a call, rehearse, review; the playbook, the user's numbers and whether speech is ready."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from callassist import profile as prof
from callassist.errors import CallassistError
from callassist.plan import PlanError, make_plan, money
from callassist.tui.screens.base import BaseScreen
from callassist.tui.screens.dialogs import call_setup_dialog, profile_dialog, profile_from_form
from callassist.tui.speech import SpeechStatus
from callassist.tui.widgets.prose import Prose, Wrapped


class HomeScreen(BaseScreen):
    """The first screen of `callassist`."""

    BINDINGS = [
        Binding("c", "start_call", "key.call", id="home.call"),
        Binding("r", "rehearse", "key.rehearse", id="home.rehearse"),
        Binding("v", "review", "key.review", id="home.review"),
        Binding("p", "profile", "key.profile", id="home.profile"),
        Binding("b", "playbook", "key.playbook", id="home.playbook"),
        Binding("l", "language", "key.lang", id="home.language"),
        Binding("q", "app.quit", "key.quit", id="home.quit"),
    ]

    def compose(self) -> ComposeResult:
        t = self.t
        yield Static(Text.assemble((t("app.title"), "bold"), "  ", (t("app.sub"), "dim")), id="home-title")
        with Horizontal(id="home-body"):
            options: list[Option | None] = []
            for k in ("start", "rehearse", "review", "profile"):
                if options:
                    options.append(None)  # a rule between the choices
                prompt = Text.assemble((t(f"home.{k}"), "bold"), "\n", (t(f"home.{k}.help"), "dim"))
                options.append(Option(Wrapped(prompt), id=k))
            menu = OptionList(*options, id="home-menu")
            yield menu
            with VerticalScroll(id="home-info"):
                yield Prose(id="home-numbers", classes="panel")
                yield Prose(id="home-playbook", classes="panel")
                yield Prose(Text(t("rev.loading"), style="dim"), id="home-speech", classes="panel")
        yield Footer(compact=True, show_command_palette=False)  # q and F1 must fit in 80 columns

    def on_mount(self) -> None:
        t = self.t
        self.query_one("#home-numbers").border_title = t("home.profile")
        self.query_one("#home-playbook").border_title = t("home.playbook")
        self.query_one("#home-speech").border_title = t("home.speech")
        self.show_numbers()
        self.show_playbook()
        self.query_one("#home-menu", OptionList).highlighted = 0
        self.probe_speech()

    def show_numbers(self) -> None:
        """The profile's numbers as the talking points will use them."""
        t = self.t
        values = self.services.values
        body = Text()
        shown = [(k, values[k]) for k in ("lender", "debt", "apr", "periods", "monthly", "affordable") if values.get(k)]
        if not shown:
            body.append(t("home.profile.none"), style="dim")
        for n, (k, v) in enumerate(shown):
            body.append(f"{t('p.' + k)} ", style="dim")
            body.append(f"{v}{'%' if k == 'apr' else ''}", style="bold")
            body.append("\n" if n % 3 == 2 and n < len(shown) - 1 else "   ")
        body.rstrip()
        plan = self.plan()
        if plan is not None and plan.fits_income is False:
            body.append("\n" + t("home.over", monthly=money(plan.monthly)), style=self.tone("warn"))
            if plan.months_at_cap:
                body.append(" " + t("home.at_cap", n=int(-(-plan.months_at_cap // 1))), style=self.tone("warn"))
        elif plan is not None and plan.annuity_interest > 0:
            body.append("\n" + t("home.interest", total=money(plan.annuity_interest)), style="dim")
        self.query_one("#home-numbers", Prose).update(body)

    def plan(self):
        """The planner's figures for the profile, when it has enough numbers."""
        p = self.services.profile
        if not (p.debt and p.periods):
            return None
        try:
            return make_plan(p.debt, p.apr or 0.0, p.periods, p.income, p.cap)
        except PlanError:
            return None

    def show_playbook(self) -> None:
        t = self.t
        book = self.services.playbook
        body = Text()
        body.append(book.title, style="bold")
        counts = t("home.counts", stages=len(book.stages), intents=len(book.intents))
        body.append(f"\n{book.language} · {counts}", style="dim")
        body.append(f"\n{t('home.records')} ", style="dim")
        body.append(str(self.services.transcripts))
        self.query_one("#home-playbook", Prose).update(body)

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def probe_speech(self) -> None:
        """Looking for a model imports the audio stack and asks PortAudio for devices: off the UI thread."""
        services = self.services
        if services.typed:
            status = SpeechStatus(problem="typed")
        else:
            from callassist.tui import speech

            status = (services.probe or (lambda: speech.probe(services.model, services.playbook.lang)))()
        self.app.call_from_thread(self.show_speech, status)

    def show_speech(self, status: SpeechStatus) -> None:
        self.app.speech_status = status
        t = self.t
        body = Text()
        if status.problem == "typed":
            body.append(t("home.speech.typed"))
        elif status.model and not status.problem:
            body.append(t("home.speech.ready", name=status.model), style="bold")
        elif status.problem and status.problem != "no-model":
            why = status.why(self.services.lang == "zh")
            body.append(t("home.speech.unavailable", why=why), style=self.tone("warn"))
        else:
            body.append(t("home.speech.none"), style=self.tone("warn"))
        if status.problem != "typed":
            body.append(f"\n{t('home.devices')}: ", style="dim")
            if status.devices:
                body.append(t("home.devices.list", n=len(status.devices), names=", ".join(status.devices[:3])))
            else:
                why = status.why_no_devices(self.services.lang == "zh")
                body.append(why or t("home.devices.none"), style="dim")
        self.query_one("#home-speech", Prose).update(body)

    # -- actions ---------------------------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        action = {"start": self.action_start_call, "rehearse": self.action_rehearse, "review": self.action_review}
        action.get(event.option.id or "", self.action_profile)()

    def action_start_call(self) -> None:
        def started(values: dict | None) -> None:
            if values is None:
                return
            self.app.push_screen(self.app.screen_of("call", setup=values))

        self.app.push_screen(call_setup_dialog(self.services.lang, self.services.profile), started)

    def action_rehearse(self) -> None:
        self.app.push_screen(self.app.screen_of("rehearsal"))

    def action_review(self) -> None:
        self.app.push_screen(self.app.screen_of("review"))

    def action_profile(self) -> None:
        def saved(values: dict | None) -> None:
            if values is None:
                return
            try:
                new = profile_from_form(values, self.services.profile)
            except CallassistError as e:
                self.notify(e.message(self.services.lang == "zh"), severity="error")
                return
            self.save_profile(new)

        self.app.push_screen(profile_dialog(self.services.lang, self.services.profile), saved)

    @work(thread=True, group="profile", exit_on_error=False)
    def save_profile(self, profile: prof.Profile) -> None:
        """Writing the profile fsyncs a file: off the UI thread."""
        prof.save(profile)
        self.app.call_from_thread(self._profile_saved, profile)

    def _profile_saved(self, profile: prof.Profile) -> None:
        self.app.services = self.services.with_profile(profile)
        self.show_numbers()

    def action_playbook(self) -> None:
        self.list_playbooks()

    @work(thread=True, exclusive=True, group="playbooks", exit_on_error=False)
    def list_playbooks(self) -> None:
        """The bundled playbooks and the user's own (config folder), with their titles: reading TOML, a thread."""
        from callassist import locations
        from callassist import playbook as pb

        found: list[tuple[str, str]] = []
        files = sorted(locations.bundled_playbooks_dir().glob("*.toml"))
        files += sorted(p for p in locations.config_dir().glob("*.toml") if p.name.startswith("playbook"))
        for path in files:
            try:
                book = pb.load(path, user_overrides=False)
            except CallassistError as e:
                found.append((f"!{path}", f"{path.name}: {e}"))
                continue
            found.append((str(path), f"{book.title}  ({book.language}, {path.name})"))
        self.app.call_from_thread(self.choose_playbook, found)

    def choose_playbook(self, found: list[tuple[str, str]]) -> None:
        from callassist.tui.screens.dialogs import ChoiceDialog

        def chosen(path: str | None) -> None:
            if path is None or path.startswith("!"):
                return
            self.app.set_playbook(path)

        usable = [(k, v) for k, v in found if not k.startswith("!")]
        self.app.push_screen(self.app.dialog(ChoiceDialog, self.t("home.playbook"), usable), chosen)

    def action_language(self) -> None:
        from callassist.tui.services import save_lang

        lang = "en" if self.services.lang == "zh" else "zh"
        if not self.services.playbook_path:  # a chosen playbook file decides its own language
            save_lang(lang)
        self.app.set_language(lang)
