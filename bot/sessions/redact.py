"""Redact likely patient identifiers from text before it is stored.

Caught: email addresses, phone numbers (Google's libphonenumber rules, US and international),
full dates (numeric, ISO and written, such as 3 March 1961) and years after "born"/"DOB",
record numbers after a label (MRN, record, chart, account, member, case, SSN, insurance ...),
US social security numbers, long bare digit runs, and capitalised names after "patient",
"pt", "Mr", "Mrs", "Ms", "Miss" or "Mx". Not caught: names without those cues ("John came in
with ..."), lowercase names, ages, addresses, rare conditions or other indirect details.
"""

from __future__ import annotations

import re

import phonenumbers

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
DATE = "[DATE]"
RECORD = "[RECORD]"
NAME = "[NAME]"
NUMBER = "[NUMBER]"

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:[0-2]?\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d|\d\d)"
_DATES = [
    rf"\b{_DAY}[/.-](?:0?[1-9]|1[0-2])[/.-]{_YEAR}\b",  # 03/12/1961, 3.12.61
    rf"\b(?:0?[1-9]|1[0-2])[/.-]{_DAY}[/.-]{_YEAR}\b",  # 12/03/1961 (US)
    r"\b(?:1[89]|20)\d\d[/.-](?:0?[1-9]|1[0-2])[/.-](?:[0-2]?\d|3[01])\b",  # 1961-03-12
    rf"\b{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}\b",  # 3 March 1961, 3rd of March, 1961
    rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b",  # March 3, 1961
]
_DATE = re.compile("|".join(_DATES), re.IGNORECASE)
_BIRTH = re.compile(
    r"\b(?:born(?:\s+(?:on|in))?|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday"
    rf"|year\s+of\s+birth)\s*[:\-]?\s*(?:{_MONTH}\s+)?(?:1[89]|20)\d\d\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LABEL = (
    r"mrn|medical\s+record(?:\s+number)?|record|chart|account|acct|member(?:\s+id)?|case"
    r"|patient\s+id|ssn|social\s+security|insurance(?:\s+id)?|policy|nhs|id"
)
_RECORD = re.compile(
    rf"\b((?:{_LABEL})\.?(?:\s*(?:number|num|no\.?|#))?\s*(?:is|was)?\s*[:#]?\s*)"
    r"([A-Z]{0,3}-?\d[\dA-Z-]{3,})\b",
    re.IGNORECASE,
)
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_DIGITS = re.compile(r"(?<![$€£\d.,])\b\d{7,}\b(?![.,]\d)")
_NAME_WORD = r"[A-Z][a-z]+(?:['’-][A-Z]?[a-z]+)?"
_NAME = re.compile(
    r"\b((?:[Pp]atient|[Pp]t\.?|Mr|Mrs|Ms|Miss|Mx)\.?"
    r"(?:\s+(?:named|called|is|was))?,?\s+)"
    rf"({_NAME_WORD}(?:\s+{_NAME_WORD})?)"
)
# Words that follow "patient" in the names of things, not people (Patient Safety Officer).
_NOT_NAMES = frozenset(
    """safety experience experiences care satisfaction flow access portal portals relations
    advocate advocates advocacy outcomes outcome engagement centered centred centric quality
    services service education rights family families navigator navigators navigation
    throughput volume volumes harm complaints complaint feedback records record data privacy
    information population panel panels census transport transfer transfers registration
    intake accounts financial billing scheduling journey first facing reported protection
    partnership council committee affairs and or with who whose in on at to of is was the a
    an this that these those our my their his her it i we you they identifiers""".split()
)


def _name(match: re.Match[str]) -> str:
    first = match.group(2).split()[0].lower()
    if first in _NOT_NAMES:
        return match.group(0)
    return match.group(1) + NAME


def _phones(text: str) -> str:
    matcher = phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE)
    spans = [(m.start, m.end) for m in matcher]
    for start, end in reversed(spans):
        text = text[:start] + PHONE + text[end:]
    return text


def redact(text: str) -> str:
    """Return `text` with likely patient identifiers replaced by [EMAIL], [DATE], [NAME]..."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _BIRTH.sub(lambda m: _keep_label(m.group(0)), text)
    text = _DATE.sub(DATE, text)
    text = _SSN.sub(RECORD, text)
    text = _RECORD.sub(lambda m: m.group(1) + RECORD, text)
    text = _phones(text)
    text = _DIGITS.sub(NUMBER, text)
    return _NAME.sub(_name, text)


def _keep_label(found: str) -> str:
    """Keep the words of a birth-date phrase ("born in") and replace the date itself."""
    label = re.match(r"\D*?(?=(?:\d|" + _MONTH + r"\s))", found, re.IGNORECASE)
    return (label.group(0) if label else "") + DATE
