"""Terminal output of the CLI (rich): match decisions, plans, the profile and the demo."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from callassist.linebreak import break_offsets
from callassist.plan import Plan, money, percent
from callassist.playbook import fill

if TYPE_CHECKING:
    from callassist.matcher import Match
    from callassist.playbook import Playbook
    from callassist.profile import Profile

console = Console(highlight=False)


def say(*parts: str | tuple[str, str], indent: int = 4) -> None:
    """Print one line made of (text, style) parts, wrapped where Chinese text may break (callassist.linebreak),
    later lines indented. Playbook and record text is printed as written: never read as rich markup."""
    text = Text.assemble(*parts)
    width = max(20, console.width - indent)
    for i, line in enumerate(text.divide(break_offsets(text.plain, width))):
        line.rstrip()
        console.print(Text(" " * indent) + line if i else line, soft_wrap=True)


def print_match(m: Match, book: Playbook, values: dict[str, str]) -> None:
    """The decision, the reason, the prepared answer and the runners-up, for a person."""
    from callassist.matcher import level_name, why_none_text

    zh = book.lang == "zh"
    colon, sep = ("：", "、") if zh else (": ", ", ")
    if m.intent is None:
        label = "无建议" if zh else "no suggestion"
        why = why_none_text(m, zh)
        say((label, "bold"), f"  （匹配度 {m.score:.2f}：{why}）" if zh else f"  (score {m.score:.2f}: {why})")
        if m.candidates:
            say("  " + ", ".join(f"{c.intent} {c.score:.2f}" for c in m.candidates))
        return
    it = book.intent(m.intent)
    style = "bold red" if it.is_alert else "bold green"
    score = f"（匹配度 {m.score:.2f}）" if zh else f"(score {m.score:.2f})"
    say((f"{'⚠ ' if it.is_alert else '→ '}{it.id}", style), f"  {it.title}  {score}")
    if m.reason:
        lv = " · ".join(f"{level_name(k, zh)} {v:.2f}" for k, v in m.reason.levels.items())
        lv = f"（{lv}）" if zh else f"({lv})"
        say((f"  {'依据' if zh else 'why'}{colon}“{m.reason.example}”  {sep.join(m.reason.terms)}  {lv}", "dim"))
    say((f"  {'建议回答' if zh else 'answer'}{colon}", "bold"), f"{fill(it.answer, values)}")
    if it.alert:
        say((f"  {'警示' if zh else 'alert'}{colon}{it.alert}", "red"))
        if it.rule:
            say((f"  {'依据' if zh else 'rule'}{colon}{it.rule}", "red"))
    for other in (book.intent(i) for i in m.also_alerts):
        say((f"  {'另有警示' if zh else 'also an alert'}{colon}{other.alert}", "red"))
        if other.rule:
            say((f"  {'依据' if zh else 'rule'}{colon}{other.rule}", "red"))
    for f in it.follow_up:
        say(f"  · {fill(f, values)}")
    others = [c for c in m.candidates if c.intent != m.intent][:2]
    if others:
        say((f"  {'其他' if zh else 'also'}{colon}" + ", ".join(f"{c.intent} {c.score:.2f}" for c in others), "dim"))


# The matcher's levels as the app's suggestion card names them (tui/strings.py, call.level.*).
def print_plan(p: Plan, lang: str = "zh") -> None:
    """The planner's figures as a small table."""
    zh = lang == "zh"
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column(justify="right")
    rate = f"{p.apr:g}%" + ((" (停息挂账)" if zh else " (interest stopped)") if p.apr == 0 else "")
    rows = [
        ("欠款" if zh else "debt", money(p.debt)),
        ("年化利率" if zh else "APR", rate),
        ("期数" if zh else "periods", str(p.periods)),
        ("等额本息 每期" if zh else "equal installments, monthly", money(p.monthly)),
        ("等额本息 总利息" if zh else "equal installments, total interest", money(p.annuity_interest)),
        ("等额本金 首期" if zh else "equal principal, first payment", money(p.principal_first)),
        ("等额本金 末期" if zh else "equal principal, last payment", money(p.principal_last)),
        ("等额本金 总利息" if zh else "equal principal, total interest", money(p.principal_interest)),
    ]
    if p.income is not None and p.affordable is not None:
        rows.append(("月收入" if zh else "monthly income", money(p.income)))
        share = percent(p.cap)
        rows.append((f"可承受月供 ({share})" if zh else f"affordable monthly ({share})", money(p.affordable)))
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
    if p.affordable is None:
        return
    if p.months_at_cap is None:
        console.print(
            "[red]按可承受月供连利息都还不够，需要申请停息或减免利息。[/]"
            if zh
            else "[red]The affordable payment does not even cover the interest: ask to stop or cut the interest.[/]"
        )
    else:
        n = p.months_at_cap
        console.print(
            f"按可承受月供 {money(p.affordable)}，约需 {n:.1f} 期（{int(-(-n // 1))} 期）还清。"
            if zh
            else f"At {money(p.affordable)} a month it takes about {n:.1f} months ({int(-(-n // 1))} payments)."
        )
    if p.fits_income is False:
        console.print(
            f"[yellow]{p.periods} 期的月供 {money(p.monthly)} 超过可承受额。[/]"
            if zh
            else f"[yellow]The {p.periods}-period payment {money(p.monthly)} is above what you can afford.[/]"
        )


def print_profile(profile: Profile, path: Path, *, chinese: bool = False) -> None:
    """The profile and the placeholder values it produces (labels in Chinese when `chinese`)."""
    from dataclasses import asdict

    from callassist.profile import values

    console.print(str(path), markup=False, soft_wrap=True)  # whole, on its own line (a title would be broken)
    t = Table(show_header=True)
    t.add_column("项" if chinese else "key")
    t.add_column("值" if chinese else "value")
    for k, v in asdict(profile).items():
        t.add_row(k, Text("" if v is None else str(v)))  # a value is shown as written, never read as markup
    console.print(t)
    vals = values(profile)
    shown = "  ".join(f"{{{k}}}={v}" for k, v in vals.items()) or ("（还没有）" if chinese else "(none yet)")
    say(("话术空位的值：" if chinese else "placeholders: ") + shown)
    example = "callassist profile --set debt=20000 --set apr=18 --set periods=24"
    console.print(f"[dim]{'修改方法：' if chinese else 'set values with: '}{example}[/]")


def demo() -> None:
    """A short tour of the playbook, the matcher and the planner (`callassist demo`)."""
    from callassist import playbook as pb
    from callassist import profile as prof
    from callassist.matcher import Matcher
    from callassist.plan import make_plan

    book = pb.load()
    values = prof.values(
        prof.Profile(
            name="张伟",
            lender="借呗",
            debt=20000,
            apr=18,
            periods=24,
            income=6000,
            hardship="失业三个月",
            first_due="12月15日",
        )
    )
    console.rule(Text(book.title, style="bold"))
    for st in book.stages[:3]:
        say((st.title, "bold"))
        for p in st.points[:3]:
            say(f"  · {fill(p, values)}")
    console.rule("matcher")
    m = Matcher(book)
    for line in (
        "你这个钱到底什么时候能还上",
        "再不还我们就打电话给你爸妈",
        "嗯 好的 请 稍 等",
        "你把钱转到我个人微信上",
    ):
        say(("agent:", "cyan"), f" {line}")
        print_match(m.match(line), book, values)
    console.rule("plan: callassist plan --debt 20000 --apr 18 --periods 24 --income 6000")
    print_plan(make_plan(20000, 18, 24, 6000))
