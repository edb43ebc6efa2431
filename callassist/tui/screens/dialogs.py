"""Small dialogs: each is a ModalScreen that dismisses with its result (None when cancelled with Escape)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Checkbox, Footer, Input, Label, OptionList, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option

from callassist import profile as prof
from callassist.dates import parse_date
from callassist.plan import PERCENT, PlanError, check_value, money, read_number
from callassist.tui.screens.base import BaseDialog, localized
from callassist.tui.strings import translator


class ConfirmDialog(BaseDialog):
    """A yes/no question: y or Enter says yes, n or Escape says no."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "confirm.yes", id="confirm.yes"),
        Binding("n", "answer(False)", "confirm.no", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="dialog")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.question, classes="dialog-title", markup=False)  # may quote the user's own text
        yield Footer()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TextDialog(BaseDialog):
    """One line of text (a note, a bookmark label); Enter saves."""

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__(classes="dialog")
        self.title_text, self.placeholder, self.value = title, placeholder, value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="text-input")
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)


@dataclass(frozen=True)
class Field:
    """One row of a form: the key it fills, its label key, a starting value, and whether it must be a number."""

    key: str
    label: str
    value: str = ""
    number: str = ""  # "", "float" or "int"
    percent: str = ""  # a float that may end in %: "points" (18% is 18) or "fraction" (30% is 0.3)


@dataclass(frozen=True)
class Choice:
    """One row of a form that takes one of a few values (shown side by side): the key it fills, its label key,
    the values with their label keys, and the value it starts on."""

    key: str
    label: str
    options: tuple[tuple[str, str], ...]
    value: str


class ChoiceRow(RadioSet, inherit_bindings=False):
    """The options of a Choice side by side: the arrow keys move the choice, Enter submits the form."""

    BINDINGS = [
        Binding("right,down", "step(1)", show=False),
        Binding("left,up", "step(-1)", show=False),
        Binding("space", "toggle_button", show=False),
    ]

    def action_step(self, by: int) -> None:
        buttons = list(self.query(RadioButton))
        now = max(0, self.pressed_index)
        buttons[(now + by) % len(buttons)].value = True

    @property
    def chosen(self) -> str:
        """The chosen option's value (the button's id without its prefix)."""
        button = self.pressed_button
        return (button.id or "").removeprefix("choice-") if button is not None else ""


# Checks a form's values before it closes: None, or the key of the field at fault and a message for under the form.
Validator = Callable[[dict[str, object]], "tuple[str, str] | None"]


class FormDialog(BaseDialog):
    """Labelled inputs; Enter in any field submits the whole form; numbers are checked before it closes."""

    BINDINGS = [Binding("enter", "submit", show=False)]

    def __init__(
        self,
        title: str,
        fields: list[Field],
        *,
        choice: Choice | None = None,
        validate: Validator | None = None,
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.fields = fields
        self.choice = choice
        self.validate = validate

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box form"):
            yield Static(self.title_text, classes="dialog-title")
            with Grid(classes="form-grid"):
                for f in self.fields:
                    yield Label(self.t(f.label), classes="form-label")
                    yield Input(f.value, id=f"field-{f.key}", compact=True, classes="form-input")
            if self.choice is not None:
                c = self.choice
                yield Label(self.t(c.label), classes="form-label form-choice-label")
                with ChoiceRow(id=f"field-{c.key}", compact=True):
                    for value, label in c.options:
                        yield RadioButton(self.t(label), value == c.value, id=f"choice-{value}", compact=True)
            yield Static(self.t("form.hint"), classes="form-hint")
            yield Static("", id="form-error", classes="form-error")
        yield Footer()

    def values(self) -> dict[str, object] | None:
        """The form's values, numbers converted; None (and a message under the form) if one is not a number."""
        out: dict[str, object] = {}
        for f in self.fields:
            raw = self.query_one(f"#field-{f.key}", Input).value.strip()
            if f.number and raw:
                try:
                    out[f.key] = parse_number(raw, f)
                except ValueError:
                    whole = f.number == "int" and _is_number(raw)
                    message = "agreed.bad_int" if whole else "agreed.bad_number"
                    self.query_one("#form-error", Static).update(self.t(message, field=self.t(f.label)))
                    self.query_one(f"#field-{f.key}", Input).focus()
                    return None
            else:
                out[f.key] = raw if raw else None
        if self.choice is not None:
            out[self.choice.key] = self.query_one(f"#field-{self.choice.key}", ChoiceRow).chosen or self.choice.value
        problem = self.validate(out) if self.validate is not None else None
        if problem is not None:
            key, message = problem
            self.query_one("#form-error", Static).update(message)
            if self.query(f"#field-{key}"):
                self.query_one(f"#field-{key}").focus()
            return None
        self.query_one("#form-error", Static).update("")
        return out

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        """Enter on the choice row (an Input's Enter comes as Input.Submitted)."""
        values = self.values()
        if values is not None:
            self.dismiss(values)


def parse_number(raw: str, f: Field) -> int | float:
    """A form field's number: whole for "int" fields; otherwise as plan.read_number reads it ("20,000", "$4,200",
    "3000元", and "18%" / "30%" where the field takes a percentage). Raises ValueError."""
    return int(raw) if f.number == "int" else read_number(raw, f.percent)


def _is_number(raw: str) -> bool:
    """Whether plan.read_number reads `raw` (then an "int" field that refuses it wants a whole number)."""
    try:
        read_number(raw)
    except ValueError:
        return False
    return True


def form(
    lang: str,
    title: str,
    fields: list[Field],
    *,
    choice: Choice | None = None,
    validate: Validator | None = None,
) -> FormDialog:
    """A FormDialog with its keys described in the UI language."""
    return localized(FormDialog, lang)(title, fields, choice=choice, validate=validate)


def agreed_dialog(lang: str) -> FormDialog:
    """The agreed-term form: amount, periods, per period, first due date, waived items, their words."""
    t = translator(lang)
    warned: dict[str, object] = {}
    return form(
        lang,
        t("agreed.title"),
        [
            Field("amount", "agreed.amount", number="float"),
            Field("periods", "agreed.periods", number="int"),
            Field("per_period", "agreed.per_period", number="float"),
            Field("first_due", "agreed.first_due"),
            Field("waived", "agreed.waived"),
            Field("text", "agreed.text"),
        ],
        validate=lambda values: agreed_problem(values, lang, warned),
    )


def agreed_problem(values: dict[str, object], lang: str, warned: dict[str, object]) -> tuple[str, str] | None:
    """What the agreed-term form refuses: a first due date that is not a real date (a good one is written back as
    YYYY-MM-DD), negative amounts, periods under 1. A total that differs from periods × per period (by more than
    1%) is a warning: the same values submitted again are saved (a down payment can explain it)."""
    t = translator(lang)
    due = values.get("first_due")
    if isinstance(due, str) and due:
        day = parse_date(due)
        if day is None:
            return "first_due", t("agreed.bad_date", value=due)
        values["first_due"] = day.isoformat()
    for key in ("amount", "per_period"):
        v = values.get(key)
        if isinstance(v, float) and (v < 0 or not math.isfinite(v)):
            return key, t("agreed.negative", field=t(f"agreed.{key}"))
    periods = values.get("periods")
    if isinstance(periods, int) and periods < 1:
        return "periods", t("agreed.bad_periods")
    amount, per = values.get("amount"), values.get("per_period")
    if isinstance(amount, float) and isinstance(periods, int) and isinstance(per, float):
        product = periods * per
        if abs(amount - product) > max(1.0, 0.01 * max(amount, product)) and warned.get("values") != values:
            warned["values"] = dict(values)
            return "amount", t(
                "agreed.mismatch", amount=money(amount), periods=periods, per_period=money(per), product=money(product)
            )
    return None


# Who called whom, as the record's header stores it (session.DIRECTIONS): not recorded until the user says.
DIRECTION_CHOICES = (
    ("unknown", "setup.dir.unknown"),
    ("incoming", "setup.dir.incoming"),
    ("outgoing", "setup.dir.outgoing"),
)


def call_setup_dialog(lang: str, profile: prof.Profile) -> FormDialog:
    """Who is on the other end (all optional): written into the record's header."""
    t = translator(lang)
    return form(
        lang,
        t("setup.title"),
        [
            Field("lender", "setup.lender", profile.lender),
            Field("agent_name", "setup.agent"),
            Field("agent_id", "setup.agent_id"),
            Field("agent_company", "setup.company"),
            Field("numbers", "setup.numbers"),
        ],
        choice=Choice("direction", "setup.direction", DIRECTION_CHOICES, "unknown"),
    )


PROFILE_FIELDS = (
    ("name", "p.name", ""),
    ("lender", "p.lender", ""),
    ("debt", "p.debt", "float"),
    ("apr", "p.apr", "float"),
    ("periods", "p.periods", "int"),
    ("income", "p.income", "float"),
    ("cap", "p.cap", "float"),
    ("hardship", "p.hardship", ""),
    ("first_due", "p.first_due", ""),
)


def profile_dialog(lang: str, profile: prof.Profile) -> FormDialog:
    """The user's numbers, as `callassist profile --set` would set them."""
    t = translator(lang)
    current = asdict(profile)
    fields = []
    for key, label, number in PROFILE_FIELDS:
        v = current.get(key)
        text = "" if v in (None, "") else (f"{v:g}" if isinstance(v, float) else str(v))
        fields.append(Field(key, label, text, number, PERCENT.get(key, "")))
    return form(lang, t("home.profile"), fields, validate=lambda values: profile_problem(values, lang))


def profile_problem(values: dict[str, object], lang: str) -> tuple[str, str] | None:
    """The first number the profile would refuse, with the planner's reason in the UI language, the field named
    by its label (not `--set: 'debt'` as on the command line)."""
    t = translator(lang)
    for key, label, number in PROFILE_FIELDS:
        value = values.get(key)
        if number and isinstance(value, int | float):
            try:
                check_value(key, float(value), t("form.quoted", label=t(label)))
            except PlanError as e:
                return key, e.message(lang == "zh")
        elif key == "first_due" and value:
            try:
                prof.check_first_due(str(value), name=t("form.quoted", label=t(label)))
            except prof.ProfileError as e:
                return key, e.message(lang == "zh")
    return None


def profile_from_form(values: dict[str, object], old: prof.Profile) -> prof.Profile:
    """A Profile from the form's values; raises ProfileError for values the profile refuses."""
    assignments = [f"{k}={'' if v is None else v}" for k, v in values.items()]
    return prof.updated(old, assignments)


class ChoiceDialog(BaseDialog):
    """Pick one of a list (export format, scenario); Enter chooses."""

    def __init__(
        self, title: str, choices: list[tuple[str, str]], *, check: str = "", highlight: str | None = None
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.choices = choices
        self.check = check
        self.highlight = highlight

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield OptionList(*[Option(label, id=key) for key, label in self.choices], id="choices")
            if self.check:
                yield Checkbox(self.t(self.check), id="choice-check", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        keys = [key for key, _ in self.choices]
        if self.highlight in keys:
            self.query_one("#choices", OptionList).highlighted = keys.index(self.highlight)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.check:
            self.dismiss((event.option.id, self.query_one("#choice-check", Checkbox).value))
        else:
            self.dismiss(event.option.id)
