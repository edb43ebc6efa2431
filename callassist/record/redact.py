"""Mask personal numbers in exports (never in the record): ID numbers, bank cards, phone numbers, e-mails."""

from __future__ import annotations

import re
from collections.abc import Callable

# The neighbours are ASCII classes on purpose, never \w or \b: Python counts CJK characters as word characters,
# so "邮箱是zhang@qq.com" or "身份证号110105..." would not match.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
# 18-digit resident ID (居民身份证号码): 17 digits and a check digit that may be X; as written unspaced or grouped
# by single spaces or dashes (110105 19491231 002X, 110105-1949-1231-002X).
_CN_ID = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:[ -]?\d{4}){2}[ -]?\d{3}[\dXx](?![0-9A-Za-z])")
# Bank card: 13 to 19 digits, optionally grouped by single spaces or dashes.
_CARD = re.compile(r"(?<![\d*])\d(?:[ -]?\d){12,18}(?![\d*])")
# Mainland mobile: 1[3-9]x xxxx xxxx, optionally +86 and grouped.
_CN_MOBILE = re.compile(r"(?<![\d*])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![\d*])")
# North American number: (555) 123-4567, 555-123-4567, +1 555 123 4567.
_US_PHONE = re.compile(r"(?<![\d*])(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}(?![\d*])")
_SSN = re.compile(r"(?<![\d*])\d{3}-\d{2}-\d{4}(?![\d*])")


def _keep_last(n: int) -> Callable[[re.Match[str]], str]:
    def sub(m: re.Match[str]) -> str:
        s = m.group(0)
        digits = [i for i, c in enumerate(s) if c.isdigit()]
        keep = set(digits[-n:])
        return "".join("*" if c.isdigit() and i not in keep else c for i, c in enumerate(s))

    return sub


def _mobile(m: re.Match[str]) -> str:
    s = m.group(0)
    digits = [i for i, c in enumerate(s) if c.isdigit()]
    hide = set(digits[-11:][3:7])  # the middle four of the 11 local digits; +86 stays
    return "".join("*" if i in hide else c for i, c in enumerate(s))


def _cn_id(m: re.Match[str]) -> str:
    """All but the first two and the last two of the 18 characters; spaces or dashes between them stay."""
    s = m.group(0)
    chars = [i for i, c in enumerate(s) if c not in " -"]
    hide = set(chars[2:-2])
    return "".join("*" if i in hide else c for i, c in enumerate(s))


def _email(m: re.Match[str]) -> str:
    local, domain = m.group(1), m.group(2)
    return f"{local[0]}***@{domain}"


RULES: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    ("email", _EMAIL, _email),
    ("id", _CN_ID, _cn_id),
    ("mobile", _CN_MOBILE, _mobile),
    ("card", _CARD, _keep_last(4)),
    ("phone", _US_PHONE, _keep_last(4)),
    ("ssn", _SSN, _keep_last(4)),
)


def redact(text: str) -> str:
    """The text with ID numbers, bank cards, mobile and phone numbers, SSNs and e-mails masked."""
    if not text:
        return text
    for _, pattern, sub in RULES:
        text = pattern.sub(sub, text)
    return text


_TEXT_KEYS = ("text", "label", "note", "first_due")


def redact_event(event: dict) -> dict:
    """A copy of an event with its free-text fields redacted."""
    out = dict(event)
    for k in _TEXT_KEYS:
        if isinstance(out.get(k), str):
            out[k] = redact(out[k])
    if isinstance(out.get("waived"), list):
        out["waived"] = [redact(w) if isinstance(w, str) else w for w in out["waived"]]
    return out


def redact_header(header: dict) -> dict:
    """A copy of a header with the numbers called and the agent's details redacted."""
    out = dict(header)
    out["numbers"] = [redact(str(n)) for n in header.get("numbers") or []]
    if isinstance(header.get("agent"), dict):
        out["agent"] = {k: redact(str(v)) if v else v for k, v in header["agent"].items()}
    if isinstance(header.get("values"), dict):
        out["values"] = {k: redact(str(v)) for k, v in header["values"].items()}
    return out
