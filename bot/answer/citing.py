"""Citation numbering: one number per guide section, however many of its passages are cited."""

from __future__ import annotations

import re

from bot.schemas import Answer, Citation
from bot.text import MARKER

JOIN = " … "
_REPEAT = re.compile(r"(\[(\d+)\])(?:\s*\[\2\])+")


def merge_sections(answer: Answer) -> Answer:
    """Give passages of the same guide section one number; renumber the markers to match.

    The merged citation keeps the first passage's number position and joins the distinct
    passage texts with an ellipsis, so the reader sees everything the answer drew on.
    """
    renumber: dict[int, int] = {}
    merged: dict[tuple[str, str], Citation] = {}
    for c in answer.citations:
        key = (c.source, c.section)
        if key not in merged:
            merged[key] = Citation(len(merged) + 1, c.source, c.title, c.section, c.text)
        elif c.text not in merged[key].text:
            merged[key].text += JOIN + c.text
        renumber[c.n] = merged[key].n
    if len(merged) == len(answer.citations) and all(k == v for k, v in renumber.items()):
        return answer
    text = MARKER.sub(lambda m: _marker(m, renumber), answer.answer)
    answer.answer = _REPEAT.sub(r"\1", text)
    answer.citations = list(merged.values())
    return answer


def _marker(match: re.Match[str], renumber: dict[int, int]) -> str:
    lead = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip())]
    seen: list[int] = []
    for part in re.split(r"\s*[,;]\s*", match.group(1)):
        n = renumber.get(int(part), int(part))
        if n not in seen:
            seen.append(n)
    return f"{lead}[{', '.join(str(n) for n in seen)}]"
