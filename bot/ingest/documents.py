"""Documents: read every guide in the corpus folder (.md, .txt, .html, .pdf) as Markdown text."""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


@dataclass(frozen=True)
class SourceDoc:
    """One guide: file name, title, text (Markdown headings kept) and a content hash."""

    source: str
    title: str
    text: str

    @property
    def digest(self) -> str:
        """Return a hash of the title and text, to detect edits."""
        return hashlib.sha256(f"{self.title}\n{self.text}".encode()).hexdigest()[:16]


def _split_front_matter(raw: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw
    meta = yaml.safe_load(match.group(1)) or {}
    return (meta if isinstance(meta, dict) else {}), raw[match.end() :]


def _first_heading(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def _title_from_name(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize()


def _read_html(path: Path) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "aside", "noscript", "figure"]):
        tag.decompose()
    lines: list[str] = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "p", "li"]):
        text = " ".join(el.get_text(" ").split())
        if not text:
            continue
        level = int(el.name[1]) if el.name.startswith("h") else 0
        lines.append(f"{'#' * level} {text}" if level else text)
    title = soup.title.get_text().strip() if soup.title else ""
    return title, "\n\n".join(lines)


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n\n".join((page.extract_text() or "") for page in reader.pages)


def read_document(path: Path) -> SourceDoc:
    """Read one file into a SourceDoc; raise ValueError when it has no usable text."""
    suffix = path.suffix.lower()
    meta: dict[str, str] = {}
    html_title = ""
    if suffix == ".pdf":
        text = _read_pdf(path)
    elif suffix in (".html", ".htm"):
        html_title, text = _read_html(path)
    else:
        raw = path.read_bytes().decode("utf-8")
        meta, text = _split_front_matter(raw)
    if not text.strip():
        raise ValueError("no text")
    title = str(meta.get("title") or _first_heading(text) or html_title or _title_from_name(path))
    return SourceDoc(source=path.name, title=title.strip(), text=text.strip())


def load_corpus(folder: Path) -> list[SourceDoc]:
    """Read every supported file in `folder`; skip unreadable ones with a one-line message."""
    docs: list[SourceDoc] = []
    for path in sorted(folder.glob("*")):
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        try:
            docs.append(read_document(path))
        except Exception as exc:
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            print(f"skipped {path.name}: {reason}", file=sys.stderr)
    return docs
