"""Review flags: guide sentences a person should check before users read them.

A guide is admin-controlled, but a poisoned or careless one can tell users to send personal data
somewhere, carry prompt-injection text, or embed links, images and HTML. Sentences with an
instruction aimed at the reader (or at the assistant), an email address, a URL or HTML are
listed in the ingest report. Injection wording is recognised by the guard's own rules, which are
tested on the labelled prompt set.
"""

from __future__ import annotations

import re
from typing import Any

from bot.guard.rules import rule_label
from bot.ingest.documents import SourceDoc
from bot.markup import EMAIL, HTML_TAG, IMAGE, LINK, URL
from bot.text import sentences

_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_AUDIENCE = (
    r"(the |all |every |any |our |your )?(users?|readers?|visitors?|members?|people|everyone"
    r"|anyone|physicians|doctors|clinicians|candidates|them)"
)
_SEND = r"(e-?mail|send|text|fax|mail|forward|submit|share|provide|give|upload|wire|pay|post)"
_PRIVATE = (
    r"(numbers?|passwords?|pass ?codes?|pins?|ssns?|social security|dea|npi|licen[cs]es?"
    r"|credentials?|log ?ins?|accounts?|bank\w*|cards?|date of birth|birth ?dates?|id)"
)
INSTRUCTION = (
    # Someone told to pass instructions on to the reader: "tell users to ...".
    re.compile(
        r"\b(tell|instruct|ask|advise|remind|direct|urge|inform) " + _AUDIENCE + r" to\b", re.I
    ),
    # The reader asked to send private details: "email your DEA number to ...".
    re.compile(
        r"\b"
        + _SEND
        + r" (us |me |them |him |her )?(your|their|his|her) ([\w-]+ ){0,3}"
        + _PRIVATE
        + r"\b",
        re.I,
    ),
)


def reasons(sentence: str) -> list[str]:
    """Return why a sentence needs review: instruction, email, url, html (empty when none)."""
    found = []
    if any(p.search(sentence) for p in INSTRUCTION) or rule_label(sentence) == "injection":
        found.append("instruction")
    if EMAIL.search(sentence):
        found.append("email")
    if URL.search(sentence) or LINK.search(sentence) or IMAGE.search(sentence):
        found.append("url")
    if HTML_TAG.search(sentence):
        found.append("html")
    return found


def flag_document(doc: SourceDoc) -> list[dict[str, Any]]:
    """Return the document's sentences that need review, with their section and reasons."""
    flagged: list[dict[str, Any]] = []
    section = doc.title
    for block in re.split(r"\n\s*\n", doc.text):
        lines = block.strip().splitlines()
        heading = _HEADING.match(lines[0]) if lines else None
        if heading:
            section, lines = heading.group(1), lines[1:]
        for sentence in sentences(" ".join(lines)):
            why = reasons(sentence)
            if why:
                flagged.append(
                    {
                        "source": doc.source,
                        "section": section,
                        "text": sentence[:500],
                        "reasons": why,
                    }
                )
    return flagged
