"""Scope guard: decide in code whether a message goes on to the guides, before any model runs.

Safety first, by high-precision rules (`rules.py`): crisis, prompt injection, and requests for a
dose, a diagnosis or one patient's treatment. Everything else is learned (`model.py`): a
logistic regression over the MiniLM embedding of each question in the message gives class
probabilities, and similarity to the guides' own sentences vouches for anything close to them.
The guard defaults toward answering: a message is declined as clinical or off topic only when
the model is confident *and* the message is far from everything the guides say. A question
about a physician's career, leadership, jobs, credentials or workplace goes on to retrieval,
where an uncovered one gets an honest `no_answer` rather than a refusal.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bot.config import Settings
from bot.guard import rules
from bot.guard.model import MODEL_FILE, TRAIN_FILE, TopicModel, data_hash, load_model
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.prompts import load_data
from bot.text import STOPWORDS, is_follow_up, words

logger = logging.getLogger(__name__)

Label = Literal["career", "clinical", "off_topic", "injection", "crisis", "greeting"]
LABELS: tuple[Label, ...] = ("career", "clinical", "off_topic", "injection", "crisis", "greeting")

CHUNK_CHARS = 500  # long messages are embedded in chunks of about this size, then averaged
MAX_CHUNKS = 8
JARGON_CHARS = 6  # unknown words this short are acronyms or titles (CHIO, VPMA), not typos
MIN_CONTEXT_WORDS = 3  # content words a message says besides its questions to be judged whole
DEFAULT_THRESHOLDS: dict[str, float] = {
    # The model's probability a class needs before the guard acts on it; below, it answers.
    "greeting": 0.35,
    "crisis": 0.5,
    "injection": 0.7,
    "clinical": 0.5,
    "off_topic": 0.4,
    # An unknown acronym ("what's a CHIO", "is FACHE useful") keeps a question that looks off
    # topic or clinical on topic only while the model is less sure than this (labelled jargon
    # questions: at most 0.67; off-topic ones with an acronym, "TCP", "CSV", "pho": 0.81 and
    # above). The clinical safety rules run before and are not affected.
    "jargon_keep": 0.8,
    # A question this similar to some sentence of the guides is on topic whatever the model says.
    "corpus": 0.5,
    # A clinical rule yields when the model is this sure the message is about leading people.
    "career_override": 0.9,
    "greeting_words": 10,  # greetings are short
    # A follow-up this sure of its own (non-career) class is not read with the turn before.
    "follow_up_keep": 0.8,
}
DEFAULT_REASONS: dict[str, str] = {
    "career": "",
    "clinical": "clinical advice",
    "off_topic": "off topic",
    "injection": "prompt injection",
    "crisis": "crisis",
    "greeting": "greeting",
}
_DEFINITION = re.compile(
    r"^\W*(what(s|'s| is| are| does)|define|explain|meaning of)\b", re.I
)  # "what's a CHIO?": jargon the guard cannot judge goes on to an honest no_answer
_THANKS = re.compile(r"\b(thanks?|thank you|thank u|thx|ty|appreciated?|cheers)\b")


@dataclass(frozen=True)
class GuardDecision:
    """The guard's verdict on one message."""

    label: Label
    reason: str
    reply: str

    @property
    def allowed(self) -> bool:
        """Return True only for career questions, which go on to retrieval."""
        return self.label == "career"


class Guard:
    """Classify messages into career / clinical / off_topic / injection / crisis / greeting.

    Holds only immutable data (weights, corpus vectors, replies), so one instance is shared.
    Build it with `make_guard(settings, embeddings)`.

    Args:
        embeddings: MiniLM embeddings for the messages and the on-topic reference.
        data: the parsed `guard.yaml` (replies, reasons, thresholds).
        model: the fitted topic model (`guard_model.json`).

    Example:
        >>> guard = make_guard(Settings(), make_embeddings(Settings()))
        >>> guard.check("How do I become a medical director?").label
        'career'
        >>> decision = guard.check("What dose of metoprolol should I give?")
        >>> decision.label, decision.allowed
        ('clinical', False)
    """

    def __init__(
        self, embeddings: MiniLMEmbeddings, data: dict[str, Any], model: TopicModel
    ) -> None:
        self._embeddings = embeddings
        self._replies: dict[str, str] = {k: str(v).strip() for k, v in data["replies"].items()}
        self._reasons = {**DEFAULT_REASONS, **(data.get("reasons") or {})}
        self._t = {**DEFAULT_THRESHOLDS, **(data.get("thresholds") or {})}
        self.model = model
        self._corpus = np.zeros((0, embeddings.dimension), np.float32)
        self._known: set[str] = set()
        self._guide_words: set[str] = set()

    def set_corpus(
        self,
        vectors: np.ndarray,
        known_words: set[str] | None = None,
        guide_words: set[str] | None = None,
    ) -> None:
        """Use the guides' sentence vectors as the on-topic reference.

        `known_words` (the guides' words and the embedding model's English vocabulary) lets the
        guard tell jargon it cannot judge ("what's a CHIO?") from plain off-topic questions:
        jargon goes on to retrieval, where an uncovered term gets an honest `no_answer`.
        `guide_words` (the guides' own, lowercase) judge a word typed in capitals: "MPH" or
        "MMM" is an acronym the guides never use even though the model knows "mph" and "mmm".
        """
        self._corpus = np.asarray(vectors, np.float32)
        self._known = known_words or set()
        self._guide_words = guide_words if guide_words is not None else self._known

    # ------------------------------------------------------------------ public

    def check(
        self, text: str, history: list[str] | None = None, parts: list[str] | None = None
    ) -> GuardDecision:
        """Classify one message; `parts` are its questions, `history` earlier user messages."""
        return self._safe(text, history or [], parts)

    def check_many(self, texts: list[str]) -> list[GuardDecision]:
        """Classify independent messages (no history), embedding them in one batch."""
        plains = [rules.prepare(text).plain for text in texts]
        short = [p for p in dict.fromkeys(plains) if len(p) <= CHUNK_CHARS]
        if short:
            self._embeddings.matrix(short)  # one batch; single lookups below hit the cache
        return [self._safe(text, [], None, batched=True) for text in texts]

    def probabilities(self, text: str) -> dict[str, float]:
        """Return the model's class probabilities for a text (for reports and tests)."""
        probs = self.model.probabilities(self._vector(rules.prepare(text).plain))[0]
        return {c: float(p) for c, p in zip(self.model.classes, probs, strict=True)}

    # ------------------------------------------------------------------ decision

    def _safe(
        self, text: str, history: list[str], parts: list[str] | None, batched: bool = False
    ) -> GuardDecision:
        try:
            prepared = rules.prepare(text)
            return self._decision(self._label(prepared, history, parts, batched), prepared)
        except Exception:  # the guard must answer for any input
            logger.exception("guard failed; declining the message")
            return GuardDecision(
                "off_topic", self._reasons["off_topic"], self._replies["off_topic"]
            )

    def _label(
        self, t: rules.Text, history: list[str], parts: list[str] | None, batched: bool = False
    ) -> Label:
        if rules.crisis(t):
            return "crisis"
        if rules.injection(t):
            return "injection"
        texts = [p for p in (parts or []) if p.strip()] or [t.plain]
        vectors = np.stack([self._vector(p, batched) for p in texts])
        probs = self.model.probabilities(vectors)
        career = float(probs[:, self.model.classes.index("career")].max())
        if rules.clinical(t) and career < self._t["career_override"]:
            return "clinical"
        labels = [
            self._topic(row, self._nearness(vec), len(text.split()), self._jargon(text))
            for row, vec, text in zip(probs, vectors, texts, strict=True)
        ]
        if "career" in labels or self._whole_is_career(t, texts, batched):
            return "career"
        sure = float(probs.max()) >= self._t["follow_up_keep"]
        return (None if sure else self._with_history(t, history)) or _most_serious(labels)

    def _whole_is_career(self, t: rules.Text, texts: list[str], batched: bool) -> bool:
        """Return whether the whole message reads as career where its questions alone do not.

        "My chair says I'm not leadership material. I'm devastated. How do I prove him wrong?":
        the question alone reads as off topic; what the person said before it makes it a
        career question. Only embedded when the questions would be declined.
        """
        said = set(words(t.plain)) - set(words(" ".join(texts))) - STOPWORDS
        if len(said) < MIN_CONTEXT_WORDS:
            return False
        vector = self._vector(t.plain, batched)
        probs = self.model.probabilities(vector)[0]
        return self._topic(probs, self._nearness(vector), len(t.plain.split())) == "career"

    def _topic(
        self, probs: np.ndarray, nearness: float, n_words: int, jargon: bool = False
    ) -> Label:
        """Return a part's label: the model's class only when it is sure, else career."""
        best: Label = self.model.classes[int(np.argmax(probs))]  # type: ignore[assignment]
        p = float(probs.max())
        unsure = p < self._t["jargon_keep"]
        if best == "career" or p < self._t[best] or (best != "greeting" and jargon and unsure):
            return "career"
        if best == "greeting":
            return "greeting" if n_words <= self._t["greeting_words"] else "career"
        if best in ("clinical", "off_topic") and nearness >= self._t["corpus"]:
            return "career"
        return best

    def _with_history(self, t: rules.Text, history: list[str]) -> Label | None:
        """Read a short follow-up ("and how long does that take?") with the turn before it."""
        prior = next((h for h in reversed(history) if isinstance(h, str) and h.strip()), None)
        if prior is None or not is_follow_up(t.plain):
            return None
        joined = rules.prepare(f"{prior[-1000:]} {t.plain}")
        if rules.clinical(joined):
            return None
        vector = self._vector(joined.plain)
        label = self._topic(self.model.probabilities(vector)[0], self._nearness(vector), 99)
        return "career" if label == "career" else None

    def _jargon(self, text: str) -> bool:
        """Return whether a text uses a short word neither the guides nor the model know."""
        if not self._known:
            return False
        asks_what = _DEFINITION.search(text) is not None

        def unknown(w: str) -> bool:
            acronym = w.isupper() and len(w) >= 3
            return w.lower() not in (self._guide_words if acronym else self._known) and (
                asks_what or acronym
            )

        return any(
            2 <= len(w) <= JARGON_CHARS and unknown(w) for w in re.findall(r"[A-Za-z]+", text)
        )

    def _nearness(self, vector: np.ndarray) -> float:
        return float((self._corpus @ vector).max()) if len(self._corpus) else 0.0

    # ------------------------------------------------------------------ embeddings

    def _vector(self, text: str, batched: bool = False) -> np.ndarray:
        """Embed a text; a message that ends in a question is read with that question weighed.

        "A physician on my team gave the wrong dose of heparin; how do I address it?": a mean
        of token vectors is dominated by the clinical statement, so the vector is the mean of
        the whole message's and its closing question's (a one-clause text is unchanged).
        """
        whole = self._embed(text, batched)
        clause = _closing_question(text)
        if clause is None:
            return whole
        mean = whole + self._embed(clause, batched)
        return np.asarray(mean / (float(np.linalg.norm(mean)) or 1.0), np.float32)

    def _embed(self, text: str, batched: bool = False) -> np.ndarray:
        if len(text) <= CHUNK_CHARS:
            if batched:
                return np.asarray(self._embeddings.matrix([text])[0], np.float32)
            return np.asarray(self._embeddings.embed_query(text), dtype=np.float32)
        chunks = _chunks(text, CHUNK_CHARS, MAX_CHUNKS)
        mean = self._embeddings.matrix(chunks).mean(axis=0)
        return np.asarray(mean / (float(np.linalg.norm(mean)) or 1.0), np.float32)

    # ------------------------------------------------------------------ replies

    def _decision(self, label: Label, t: rules.Text) -> GuardDecision:
        if label == "career":
            return GuardDecision("career", "", "")
        key = "thanks" if label == "greeting" and _THANKS.search(t.words) else label
        reply = self._replies.get(key) or self._replies[label]
        return GuardDecision(label, self._reasons.get(label, label), reply)


_SEVERITY: tuple[Label, ...] = ("crisis", "injection", "clinical", "off_topic", "greeting")


def _most_serious(labels: list[Label]) -> Label:
    return next((lab for lab in _SEVERITY if lab in labels), "career")


# Where a closing question may start: after a sentence, a semicolon, or a comma followed by an
# interrogative word ("My fellow gave the wrong dose, how should I give her feedback?").
_CLAUSE_END = re.compile(
    r"(?<=[.;!?])\s+|,\s+(?=(?:how|what|why|when|where|which|who|should|can|could|do|does|is"
    r"|are|will|would)\b)",
    re.I,
)


def _closing_question(text: str) -> str | None:
    """Return the question that closes a message of several clauses, else None."""
    if len(text) > CHUNK_CHARS or not text.rstrip().endswith("?"):
        return None
    clauses = [c for c in _CLAUSE_END.split(text.strip()) if c.strip()]
    if len(clauses) < 2 or len(clauses[-1].split()) < 2:
        return None
    return clauses[-1]


def _chunks(text: str, size: int, limit: int) -> list[str]:
    words, chunks, current = text.split(), [], ""
    for word in words:
        if current and len(current) + len(word) + 1 > size:
            chunks.append(current)
            current = ""
        current = f"{current} {word}".strip()[: size * 2]
    chunks.append(current)
    if len(chunks) <= limit:
        return chunks
    step = len(chunks) / limit
    return [chunks[int(i * step)] for i in range(limit)]


# --------------------------------------------------------------------------- factory and eval


def make_guard(settings: Settings, embeddings: MiniLMEmbeddings) -> Guard:
    """Build the guard from `guard.yaml` and the fitted weights in the prompts folder."""
    model = load_model(settings.prompts_dir)
    train = settings.prompts_dir / TRAIN_FILE
    if train.exists() and data_hash(train.read_text(encoding="utf-8")) != model.trained_on:
        logger.warning("%s is older than %s; run python -m bot.guard.model", MODEL_FILE, train)
    return Guard(embeddings, load_data("guard.yaml", settings.prompts_dir), model)


def load_labelled(path: Path) -> list[tuple[str, str]]:
    """Read a labelled CSV with columns `text,label`."""
    from bot.guard.model import read_labelled

    return read_labelled(path.read_text(encoding="utf-8"))


def guard_report(guard: Guard, rows: list[tuple[str, str]]) -> dict[str, Any]:
    """Return per-class precision, recall and support, accuracy and the misclassified rows."""
    got: list[str] = [decision.label for decision in guard.check_many([t for t, _ in rows])]
    return score_labels(rows, got)


def score_labels(rows: list[tuple[str, str]], got: list[str]) -> dict[str, Any]:
    """Return per-class precision and recall, accuracy and errors of predicted labels."""
    expected = [label for _, label in rows]
    per_class = {label: _class_stats(label, expected, got) for label in LABELS}
    errors = [
        {"text": text, "expected": exp, "got": g}
        for (text, exp), g in zip(rows, got, strict=True)
        if exp != g
    ]
    accuracy = (len(rows) - len(errors)) / len(rows) if rows else 0.0
    return {"per_class": per_class, "accuracy": accuracy, "errors": errors}


def cross_validated_report(
    guard: Guard, rows: list[tuple[str, str]], folds: int = 5, seed: int = 13
) -> dict[str, Any]:
    """Return the guard's figures when each prompt is judged by a model fitted without it."""
    from sklearn.model_selection import StratifiedKFold

    from bot.guard.model import fit

    vectors = guard._embeddings.matrix([rules.prepare(t).plain for t, _ in rows])
    labels = [lab for _, lab in rows]
    got = [""] * len(rows)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(vectors, labels):
        fold = Guard(guard._embeddings, {"replies": guard._replies, "reasons": guard._reasons,
                                          "thresholds": guard._t},
                     fit(vectors[train], [labels[i] for i in train]))  # fmt: skip
        fold.set_corpus(guard._corpus, guard._known, guard._guide_words)
        for i, decision in zip(test, fold.check_many([rows[i][0] for i in test]), strict=True):
            got[i] = decision.label
    report = score_labels(rows, got)
    report["folds"] = folds
    return report


def _class_stats(label: str, expected: list[str], got: list[str]) -> dict[str, float]:
    pairs = list(zip(expected, got, strict=True))
    tp = sum(1 for e, g in pairs if e == label and g == label)
    predicted = sum(1 for _, g in pairs if g == label)
    support = sum(1 for e, _ in pairs if e == label)
    precision = tp / predicted if predicted else (1.0 if not support else 0.0)
    recall = tp / support if support else 1.0
    return {"precision": precision, "recall": recall, "support": support}
