"""Text cues the rubric counts: STAR parts, specifics, measured results, ownership, injection."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text import sentences

_I = re.IGNORECASE
_VERBS = (
    r"start|meet|ask|call|review|set|build|create|map|pilot|launch|convene|bring|form|analy[sz]e"
    r"|gather|measure|track|present|prepare|assign|delegate|audit|train|escalate|notify|activate"
    r"|close|isolate|cohort|contact|schedule|implement|develop|design|run|report|inform|share"
    r"|check|identify|prioriti[sz]e|negotiate|hold|appoint|involve|rehearse|redesign|rewrite|write"
    r"|lead|decide|choose|follow|brief|coach|mentor|nominate|invite|adjust|compare|benchmark|model"
    r"|publish|propose|protect|cut|reduce|move|stop|open|replace|hire|recruit|interview|visit"
    r"|document|draft|test|introduce|add|target|agree|sit|step|tell|explain|listen|empower"
    r"|talk|work|look|discuss|speak|update|encourage|help|offer|organi[sz]e|let"
)
_IRREGULAR = r"led|met|set|built|ran|took|made|wrote|chose|brought|held|gave|spoke|drove|put|sat"
_IRREGULAR += r"|began|found|sent|told|kept|cut|sought|won|stepped|went"
ACTION = re.compile(
    rf"\b(?:I|we)\s+(?:(?:would|will|'d|'ll|then|also|first|personally|quickly)\s+)*"
    rf"(?:(?:{_VERBS})(?:e?d|s)?|{_IRREGULAR})\b",
    _I,
)
OWNERSHIP = re.compile(
    r"\bI\s+(?:would\s+|will\s+|personally\s+|then\s+)?(?:led|lead|decided|decide|chose|choose"
    r"|took (?:ownership|responsibility|charge)|take (?:ownership|responsibility|charge)|owned"
    r"|chaired|chair|convened|convene|initiated|launched|launch|built|build|designed|proposed"
    r"|championed|made the (?:call|decision)|drove|insisted|negotiated|appointed|assigned"
    r"|delegated|delegate|coached|mentored|stepped in|set up|set clear|set a|reported|escalated"
    r"|activate|activated|notified|presented|present|asked for|requested)\b",
    _I,
)
SITUATION = re.compile(
    r"\b(?:in (?:19|20)\d\d|when I was|at my (?:current|previous|last|former)|as (?:the|a|an) "
    r"(?:\w+ ){0,3}(?:director|chair|chief|lead|head|hospitalist|physician|cmo|member)"
    r"|last year|our (?:hospital|clinic|unit|group|department|practice|facility|ward|icu|ed)"
    r"|we had|there was|the situation|we faced|I faced|was averaging|had risen|had drifted"
    r"|had fallen|was above|was below)\b",
    _I,
)
TASK = re.compile(
    r"\b(?:my (?:role|task|job|goal|responsibility|remit)|I was (?:asked|responsible|tasked)"
    r"|the goal|the aim|our goal|the target|a target|objective|the ask|needed to|had to)\b",
    _I,
)
SEQUENCE = re.compile(
    r"\b(?:first|then|next|after that|finally|second|third|in the first|by day|by week"
    r"|straight away|immediately|right away|until|once|meanwhile|at the same time)\b",
    _I,
)
RESULT = re.compile(
    r"\b(?:as a result|result(?:ed|s)?|outcome|by the end|fell|dropped|rose|increased|decreased"
    r"|reduced|improved|declined|went from|saving|saved|avoided|reached|sustained|was adopted"
    r"|became standard|got better|better than before|under control|success would|measure success"
    r"|I would measure|we would measure|would know)\b",
    _I,
)
REFLECTION = re.compile(
    r"\b(?:I learned|I learnt|lesson|next time|in hindsight|looking back|since then)\b", _I
)
NUMBER = re.compile(
    r"(?<![\w])\$?\d[\d,]*(?:\.\d+)?(?:\s?%|\s?percent| ?million| ?[kK]\b)?"
    r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty"
    r"|fifty|ninety|hundred|dozen|half)\b",
    _I,
)
TIMEFRAME = re.compile(
    r"\b(?:within|over|after|by|for|in|every|each|per) (?:the )?(?:first |next |following |last )?"
    r"(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|ninety)?"
    r" ?(?:hours?|days?|weeks?|months?|quarters?|years?|shifts?|mornings?|evenings?|nights?"
    r"|friday|monday)\b|\bin (?:19|20)\d\d\b"
    r"|\b(?:daily|weekly|monthly|quarterly|annually|overnight)\b",
    _I,
)
ROLES = re.compile(
    r"\b(?:cfo|ceo|cmo|cno|coo|cio|board|chiefs?|chair|director|managers?|charge nurses?|nurses?"
    r"|nursing|hospitalists?|surgeons?|cardiologists?|intensivists?|physicians?|pharmacists?"
    r"|analysts?|analytics team|legal|counsel|compliance officer|infection (?:prevention|control)"
    r"|public health|case management|IT|payers?|committee|union|families|family|department heads?"
    r"|section chiefs?|practice managers?|educator|therapists?|social workers?|quality team"
    r"|risk manager|surveyors?|regulators?|state board|cms|joint commission|county|finance team"
    r"|site leads?|ED chair|lab director|communications)\b",
    _I,
)
ARTEFACTS = re.compile(
    r"\b(?:dashboards?|checklists?|protocols?|pilot(?:ed)?|audits?|root cause|workflows?|huddles?"
    r"|rounds|float pool|hard stop|EHR|training sessions?|metrics?|budget|business case|slides?"
    r"|polic(?:y|ies)|incident command|line lists?|scorecards?|order sets?|pathways?|bundles?"
    r"|templates?|paging protocol|working group|task force|action plan|mock survey|baseline"
    r"|benchmark|readmissions?|length of stay|turnover|incident reports?)\b",
    _I,
)
CHANGE = re.compile(
    r"\b(?:fell|dropped|rose|increased|decreased|reduced|improved|cut|lowered|raised|grew|went"
    r"|saved|saving|avoided|reached|stayed|declined|shortened|doubled|halved)\b",
    _I,
)
BEFORE_AFTER = re.compile(
    r"\bfrom\s+\$?\d[\d,.]*\s?%?(?:\s+\w+){0,4}\s+to\s+\$?\d|\b\d[\d,.]*\s?%?\s+to\s+\d"
    r"|\bbefore\b.*\bafter\b",
    _I,
)
SUSTAINED = re.compile(
    r"\b(?:sustained|over the (?:next|following)|the following year|still|since then|system-wide"
    r"|became standard|was adopted)\b",
    _I,
)
DATA = re.compile(
    r"\b(?:data|metrics?|dashboards?|analy(?:sis|tics|[sz]ed?)|audits?|benchmarks?|evidence"
    r"|baseline|measured|numbers|rates?|line lists?|chart review)\b",
    _I,
)
PEOPLE = re.compile(
    r"\b(?:coached|mentored|listened|briefed|empowered|trained|explained|followed up"
    r"|one-on-one|met (?:first|privately|individually)|sat down|invited)\b",
    _I,
)
INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget)\b[^.]{0,40}\b(?:instructions?|rules|rubric|prompt|guidelines)"
    r"|\b(?:give|score|rate|grade|mark|award)\s+(?:me|this|my answer|it|the answer)\b[^.]{0,20}"
    r"(?:5|five|full|perfect|top|maximum|highest)"
    r"|\b[45]\s*/\s*5\b|\bsystem prompt\b|\byou are now\b|\bnew instructions\b|\bjailbreak\b"
    r"|\bdeveloper mode\b|\bpretend (?:to be|you)\b",
    _I,
)


@dataclass(frozen=True)
class Cues:
    """Counts of every cue in one answer."""

    words: int
    sentences: tuple[str, ...]
    actions: int
    ownership: int
    situation: bool
    task: bool
    sequence: bool
    result: bool
    reflection: bool
    numbers: int
    timeframes: int
    roles: tuple[str, ...]
    artefacts: int
    quantified: int
    before_after: bool
    sustained: bool
    data: bool
    people: bool
    injection: bool

    @property
    def evidence(self) -> int:
        """Return how many concrete details the answer gives (numbers, roles, actions...)."""
        return self.numbers + self.timeframes + len(self.roles) + self.artefacts + self.actions


def _distinct(pattern: re.Pattern[str], text: str) -> set[str]:
    return {m.group(0).lower().strip() for m in pattern.finditer(text)}


def _clauses(parts: list[str]) -> list[str]:
    return [c for s in parts for c in re.split(r",\s+|;\s+|\s+and\s+", s) if c.strip()]


def _quantified(parts: list[str]) -> int:
    return sum(1 for c in _clauses(parts) if CHANGE.search(c) and re.search(r"\d", c))


def extract_cues(answer: str) -> Cues:
    """Count the rubric's cues in an answer."""
    text = " ".join(answer.split())
    parts = sentences(text)
    return Cues(
        words=len(re.findall(r"[A-Za-z0-9$%']+", text)),
        sentences=tuple(parts),
        actions=len(_distinct(ACTION, text)),
        ownership=len(_distinct(OWNERSHIP, text)),
        situation=bool(SITUATION.search(text)),
        task=bool(TASK.search(text)),
        sequence=bool(SEQUENCE.search(text)),
        result=bool(RESULT.search(text)),
        reflection=bool(REFLECTION.search(text)),
        numbers=len(_distinct(NUMBER, text)),
        timeframes=len(_distinct(TIMEFRAME, text)),
        roles=tuple(sorted(_distinct(ROLES, text))),
        artefacts=len(_distinct(ARTEFACTS, text)),
        quantified=_quantified(parts),
        before_after=bool(BEFORE_AFTER.search(text)),
        sustained=bool(SUSTAINED.search(text)),
        data=bool(DATA.search(text)),
        people=bool(PEOPLE.search(text)),
        injection=bool(INJECTION.search(text)),
    )
