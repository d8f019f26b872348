"""Markup in text: strip links, images and HTML from guides and answers; show user text as text."""

from __future__ import annotations

import re

# Inline images and links; a reference-style one is dead once its definition line is gone (and
# "[1][2]" is how citation markers look).
IMAGE = re.compile(r"!\[[^\]\n]{0,300}\]\([^)\n]{0,500}\)")
LINK = re.compile(r"(?<!!)\[([^\]\n]{1,300})\]\([^)\n]{0,500}\)")
LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]{1,300}\]:[ \t]*\S+.*$", re.M)
AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]{1,500}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>", re.I)
HTML_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][\w-]*(?:\s[^<>]{0,500})?/?>", re.S)
EMAIL = re.compile(r"(?:mailto:)?\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b", re.I)
URL = re.compile(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>()\[\]\"']*[^\s<>()\[\]\"'.,;:!?]", re.I)
# Characters that start Markdown, HTML, LaTeX or an autolink anywhere in a line...
_INLINE = re.compile(r"([\\`*_{}\[\]<>&|~$@!])")
_SCHEME = re.compile(r"(?<=[A-Za-z0-9]):(?=//)")  # "https://": no autolink
# ...and those that do at the start of a line (headings, quotes, lists, setext rules).
_LINE_MARK = re.compile(r"^([ \t]*)([#+=-])", re.M)
_ORDERED = re.compile(r"^([ \t]*\d{1,9})([.)])", re.M)
_WWW = re.compile(r"\b(www)\.", re.I)
_SPACES = re.compile(r"[ \t]{2,}")

LINK_REMOVED = "(link removed)"
EMAIL_REMOVED = "(email address removed)"


def strip_markup(text: str) -> str:
    """Remove images and HTML; keep a link's words without its target (for indexed guide text)."""
    text = IMAGE.sub("", text)
    text = LINK.sub(r"\1", text)
    text = LINK_DEFINITION.sub("", text)
    text = AUTOLINK.sub(r"\1", text)
    text = HTML_TAG.sub("", text)
    return _SPACES.sub(" ", text)


def strip_links(text: str) -> str:
    """Return answer text with no link, image, HTML or bare address a renderer could make live."""
    text = strip_markup(text)
    text = EMAIL.sub(EMAIL_REMOVED, text)
    return URL.sub(LINK_REMOVED, text)


def escape_markdown(text: str) -> str:
    """Escape Markdown and HTML syntax so user-typed text is shown as typed, never rendered."""
    text = _INLINE.sub(r"\\\1", text)
    text = _SCHEME.sub(r"\\:", text)
    text = _WWW.sub(r"\1\\.", text)
    text = _LINE_MARK.sub(r"\1\\\2", text)
    return _ORDERED.sub(r"\1\\\2", text)
