"""The planner's words for the contract's codes, in one place.

Files keep their codes (``it_help``, ``de``, ``in_person``) and their 0-based
weeks, as the contract says; whatever a person reads (the planner's tables and
figures, the workbook, calendars and printed pages) shows these words instead:

- activities: ``it_help`` → "IT help" (a code not listed reads with spaces: ``home_care`` → "home care");
- languages: ISO 639-1 codes → English names from the CLDR data that Babel ships (``da`` → "Danish");
- modes: ``in_person`` → "in person", ``either`` → "in person or phone";
- people: a name plus the id, "Anna Jensen (v12)", because names repeat (two volunteers may share one);
- counts: "1 session", "2 sessions" (never "1 sessions" or "session(s)");
- weeks: week ``w`` of a file is shown as ``w + 1``, with :data:`WEEK_NOTE` saying so.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from babel import Locale

__all__ = [
    "ACTIVITY_NAMES",
    "MODE_NAMES",
    "TRAVEL_MODE_NAMES",
    "WEEK_NOTE",
    "activity_name",
    "count",
    "day_label",
    "language_name",
    "languages_text",
    "mode_name",
    "person_label",
    "plural",
    "week_number",
]

# Activities the bundled generator writes, and spellings people use for them; any other code reads
# as itself with spaces for underscores.
ACTIVITY_NAMES = {
    "visit": "visit",
    "walk": "walk",
    "it_help": "IT help",
    "escort": "escort",
    "meal": "meal",
    "shopping": "shopping",
    "reading": "reading",
}
MODE_NAMES = {"in_person": "in person", "phone": "phone", "either": "in person or phone"}
TRAVEL_MODE_NAMES = {"walk": "on foot", "bike": "by bike", "transit": "by public transport", "car": "by car"}
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEK_NOTE = "week 1 = the first week of the plan"

# English nouns whose plural is not noun + "s".
_PLURALS = {"person": "people", "activity": "activities", "reply": "replies", "child": "children"}


def activity_name(code: str) -> str:
    """An activity code in words: ``it_help`` → "IT help"."""
    code = str(code).strip()
    return ACTIVITY_NAMES.get(code, code.replace("_", " "))


@cache
def _language_names() -> dict[str, str]:
    return dict(Locale("en").languages)


def language_name(code: str) -> str:
    """An ISO 639-1 code in English words: ``da`` → "Danish"; an unknown code stays as it is."""
    code = str(code).strip()
    return _language_names().get(code.lower(), code)


def languages_text(codes: tuple[str, ...] | list[str]) -> str:
    """Several language codes in words: ``("da", "en")`` → "Danish, English"."""
    return ", ".join(language_name(c) for c in codes)


def mode_name(code: str) -> str:
    """A session or request mode in words: ``in_person`` → "in person"."""
    code = str(code).strip()
    return MODE_NAMES.get(code, code.replace("_", " "))


def person_label(name: object, person_id: object) -> str:
    """"Anna Jensen (v12)": the name and the id, so two people of one name stay apart; the id alone
    when the name is empty."""
    ident = str(person_id).strip()
    text = "" if name is None else str(name).strip()
    if not text or text.lower() == "nan" or text == ident:
        return ident
    return f"{text} ({ident})"


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``noun`` in the number ``n`` asks for: plural(1, "session") → "session", plural(2, ...) → "sessions"."""
    if n == 1:
        return noun
    if many or noun in _PLURALS:
        return many or _PLURALS[noun]
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def count(n: int, noun: str, many: str | None = None) -> str:
    """``n`` and the noun in the right number: "1 session", "3 sessions", "0 sessions"."""
    return f"{n:,} {plural(n, noun, many)}"


def week_number(week_index: int) -> int:
    """The week a person reads for the contract's 0-based ``week_index`` (week 1 = the first week)."""
    return int(week_index) + 1


def day_label(day: date) -> str:
    """"Wed 2026-01-07": weekday and ISO date, unambiguous in any country."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.isoformat()}"

