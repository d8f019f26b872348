"""Answerability: decide `answered` versus `no_answer` from features, with a fitted model.

Features of a question and the passages retrieved for it:

- `sentence`: best cosine between the question and one sentence of the passages;
- `passage`: the best passage's retrieval similarity (chunk and best-sentence blend);
- `coverage`: idf-weighted share of the question's topic terms found in the top passages;
- `unknown_name`: the question names something (a title, an acronym, an organisation, a
  place) that no guide mentions, typed as a name: capitalised or in capitals ("CMIO",
  "Wharton");
- `unknown_word`: a short lowercase word that is neither in the guides nor in the embedding
  model's English vocabulary: an acronym typed casually ("cmio", "fache") or just a word the
  guides never use ("racket", "fluff"); the model weighs the two kinds apart;
- `unknown_target`: the question asks what something is ("what's a dyad model?") and that
  something is a word the guides never use;
- `type_missing`: the question asks for a number, duration, cost, rate, organisation or
  person, and no sentence close to the question holds one;
- `precedent`: the cosine with the nearest labelled answerable development question minus the
  cosine with the nearest labelled uncovered one (the labelled questions ship in
  `answerability.yaml`): questions of one kind ("whats a <title>", "how much do they earn")
  tend to share a verdict. In fitting, a question never sees its own paraphrase group.

A logistic regression over these (standardised) gives P(answerable). It is fitted and
cross-validated on the labelled development questions (`python -m bot.answer.answerability`),
and the threshold is the point of the cross-validated ROC curve with the best Youden J
(true-positive rate minus false-positive rate); the curve comes from repeated cross-validation
that keeps paraphrases of one question in one fold. Weights, threshold and the cross-validated
figures live in `prompts/answerability.yaml`; the asked-for types are data there too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from bot.ingest.embeddings import MiniLMEmbeddings
from bot.prompts import load_data
from bot.schemas import Passage
from bot.text import STOPWORDS, content_terms, expansions, sentences, stem, words

FEATURES = (
    "sentence",
    "passage",
    "coverage",
    "unknown_name",
    "unknown_word",
    "unknown_target",
    "type_missing",
    "precedent",
)
SHORT_WORD = 6  # out-of-vocabulary words this short are names or acronyms, not typos
_DEFINITION = re.compile(
    r"\b(?:what(?:'s| is| are| does)|whats|define|explain|meaning of|what do you mean by)"
    r"\s+(?:an?\s+|the\s+)?(.{2,60}?)(?:\s+(?:do|mean|stand for|involve)\b|[?.!]|$)",
    re.I,
)
TOP_PASSAGES = 4
TARGET_WORDS = 4  # "what is a dyad leadership model": a term to define is a short noun phrase
NEAR_BEST = 0.12  # a sentence within this cosine of the best one still speaks to the question
MIN_NEAR = 0.3
REPEATS = 10  # cross-validation repeats whose mean probabilities give the threshold curve


class Corpus(Protocol):
    """What answerability needs to know about the indexed guides (the hybrid retriever)."""

    chunk_terms: dict[str, set[str]]

    def coverage(self, query: str, passages: list[Passage]) -> float:
        """Return the idf-weighted share of the query's topic terms in the passages."""
        ...

    def unknown_names(self, query: str) -> set[str]:
        """Return names and acronyms of the query that no guide mentions."""
        ...


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage and its cosine with the question."""

    text: str
    passage: int
    cosine: float


@dataclass(frozen=True)
class Judgement:
    """Whether the guides answer a question, and why."""

    answerable: bool
    probability: float
    asked: str = ""  # the answer type asked for (number, duration, cost, ...), if any
    type_missing: bool = False
    related: Candidate | None = None  # the closest sentence, for an honest partial reply
    unknown: tuple[str, ...] = ()  # names in the question the guides never mention
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerType:
    """An answer type: what asks for it, and what a sentence holding it looks like."""

    name: str
    asks: re.Pattern[str]
    holds: re.Pattern[str]


def load_types(data: dict[str, Any]) -> list[AnswerType]:
    """Build the answer types from `answerability.yaml`."""
    return [
        AnswerType(
            name,
            re.compile(spec["asks"], re.I),
            re.compile(spec["holds"], 0 if spec.get("cased") else re.I),
        )
        for name, spec in (data.get("types") or {}).items()
    ]


def asked_type(question: str, types: list[AnswerType]) -> AnswerType | None:
    """Return the first answer type the question asks for."""
    return next((t for t in types if t.asks.search(question)), None)


class Answerability:
    """Judge questions with the fitted model in `answerability.yaml`."""

    def __init__(
        self,
        embeddings: MiniLMEmbeddings,
        corpus: Corpus,
        data: dict[str, Any],
        known_words: set[str] | None = None,
    ) -> None:
        self.embeddings = embeddings
        self.corpus = corpus
        self.types = load_types(data)
        self.light = {stem(w) for w in data.get("light_words") or []}
        self.known = known_words or set()
        self.stems = set().union(*corpus.chunk_terms.values()) if corpus.chunk_terms else set()
        model = data.get("model") or {}
        if list(model.get("features") or FEATURES) != list(FEATURES):
            model = {}  # weights for other features (before a refit): judge nothing answerable
        self.coef = np.asarray(model.get("coef", [0.0] * len(FEATURES)), np.float64)
        self.intercept = float(model.get("intercept", 0.0))
        self.mean = np.asarray(model.get("mean", [0.0] * len(FEATURES)), np.float64)
        self.scale = np.asarray(model.get("scale", [1.0] * len(FEATURES)), np.float64)
        self.threshold = float(model.get("threshold", 0.5))
        labelled = data.get("precedents") or {}
        self._answered = [str(q) for q in labelled.get("answered") or []]
        self._uncovered = [str(q) for q in labelled.get("no_answer") or []]

        self._labelled: list[np.ndarray] | None = None

    def warm(self) -> list[np.ndarray]:
        """Embed the labelled questions (once per instance), so no question waits for them."""
        if self._labelled is None:
            self._labelled = [self.embeddings.matrix(t) for t in (self._answered, self._uncovered)]
        return self._labelled

    def precedent(self, question: str) -> float:
        """Return the nearest labelled answerable question's cosine minus the uncovered one's."""
        qvec = np.asarray(self.embeddings.embed_query(question), np.float32)
        answered, uncovered = (float((m @ qvec).max()) if len(m) else 0.0 for m in self.warm())
        return answered - uncovered

    def candidates(self, question: str, passages: list[Passage]) -> list[Candidate]:
        """Return the sentences of the top passages, best cosine first."""
        pairs = [(i, s) for i, p in enumerate(passages[:TOP_PASSAGES]) for s in sentences(p.text)]
        if not pairs:
            return []
        qvec = np.asarray(self.embeddings.embed_query(question), np.float32)
        cos = self.embeddings.matrix([s for _, s in pairs]) @ qvec
        found = [Candidate(s, i, float(c)) for (i, s), c in zip(pairs, cos, strict=True)]
        return sorted(found, key=lambda c: -c.cosine)

    def features(
        self, question: str, passages: list[Passage], cands: list[Candidate]
    ) -> tuple[dict[str, float], AnswerType | None, tuple[str, ...]]:
        """Return the feature values, the asked answer type and the unknown names."""
        best = cands[0].cosine if cands else 0.0
        kind = asked_type(question, self.types)
        near = [c for c in cands if c.cosine >= max(MIN_NEAR, best - NEAR_BEST)]
        key = content_terms(question) - self.light
        holding = [
            c
            for c in (cands if key else near)
            if kind is not None
            and c.cosine >= MIN_NEAR
            and kind.holds.search(c.text)
            and (not key or key & content_terms(f"{passages[c.passage].section} {c.text}"))
        ]  # a sentence's subject includes its section heading ("Climbing to a Director Role")
        named = set(self.corpus.unknown_names(question))
        unknown = tuple(sorted(self.unknown_names(question)))
        values = {
            "sentence": best,
            "passage": passages[0].score if passages else 0.0,
            "coverage": self._coverage(question, passages, set(unknown) - named),
            "unknown_name": 1.0 if named else 0.0,
            "unknown_word": 1.0 if set(unknown) - named else 0.0,
            "unknown_target": 1.0 if self._unknown_target(question) else 0.0,
            "type_missing": 1.0 if kind is not None and not holding else 0.0,
            "precedent": self.precedent(question),
        }
        return values, kind, unknown

    def _coverage(self, question: str, passages: list[Passage], unmatched: set[str]) -> float:
        """Return coverage of the question's terms, leaving out words nothing could match.

        A word neither the guides nor the model know ("racket" in "Isn't certification just
        a racket?") would otherwise outweigh every other term; `unknown_word` carries it. A
        question with no topic terms of its own covers nothing.
        """
        if not passages or not content_terms(question) - unmatched:
            return 0.0  # "How do I get better at it?": nothing of its own to cover
        kept = " ".join(
            w for w in question.split() if w.strip("?,.!:;'\"").lower() not in unmatched
        )
        return self.corpus.coverage(kept or question, passages[:3])

    def unknown_names(self, question: str) -> set[str]:
        """Return the names and acronyms of a question that the guides never mention."""
        found = set(self.corpus.unknown_names(question))
        for word in words(question):
            short = len(word) <= SHORT_WORD and word.isalpha() and word not in STOPWORDS
            if short and word not in self.known and stem(word) not in self.stems:
                found.add(word)
        return found

    def _unknown_target(self, question: str) -> bool:
        match = _DEFINITION.search(question)
        if match is None:
            return False
        # "what is the upside of going executive" asks about going executive, not "upside"
        phrase = re.split(r"\bof\b", match.group(1))[-1]
        target = [w for w in words(phrase) if stem(w) not in self.light]
        if len(target) > TARGET_WORDS:  # "what's actually rewarding about being a director"
            return False
        return bool(content_terms(" ".join(target)) - self.stems)

    def _related(self, question: str, cands: list[Candidate]) -> Candidate | None:
        """Return the closest sentence that shares the question's subject, if any."""
        key = content_terms(f"{question} {' '.join(expansions(question))}") - self.light
        return next((c for c in cands if key & content_terms(c.text)), None)

    def probability(self, values: dict[str, float]) -> float:
        """Return P(answerable) for feature values."""
        x = (np.asarray([values[f] for f in FEATURES]) - self.mean) / self.scale
        return float(1.0 / (1.0 + np.exp(-(x @ self.coef + self.intercept))))

    def judge(self, question: str, passages: list[Passage]) -> Judgement:
        """Return whether the passages answer the question (and the closest sentence)."""
        cands = self.candidates(question, passages)
        values, kind, unknown = self.features(question, passages, cands)
        p = self.probability(values) if passages else 0.0
        return Judgement(
            answerable=p >= self.threshold,
            probability=round(p, 4),
            asked=kind.name if kind else "",
            type_missing=bool(values["type_missing"]),
            related=self._related(question, cands),
            unknown=unknown,
            features={k: round(v, 4) for k, v in values.items()},
        )


def make_answerability(
    embeddings: MiniLMEmbeddings, corpus: Corpus, folder: Any = None
) -> Answerability:
    """Build answerability from `answerability.yaml` and the guides' and model's words."""
    known = {w.lower() for w in embeddings.vocabulary()}
    return Answerability(embeddings, corpus, load_data("answerability.yaml", folder), known)


# --------------------------------------------------------------------------- fitting


def labelled_rows(
    coach: Any, items: list[dict[str, Any]]
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Return features, labels (1 = answerable), paraphrase groups and queries of questions.

    Only questions the guard lets through count. Features come from the question as retrieval
    first reads it (not the second reading with the preamble's words, which the Coach weighs
    against the first by this model's probability). A question's group is its paraphrase group,
    or the question itself.
    """
    x, y, groups, queries = [], [], [], []
    for item in items:
        if item.get("expect") not in ("answered", "no_answer"):
            continue
        understanding = coach.understander.understand(item["q"])
        decision = coach.guard.check(item["q"], [], list(understanding.bare))
        if not decision.allowed or len(understanding.questions) != 1:
            continue
        query = understanding.questions[0]
        passages = coach._timed_retrieve(query, coach.settings.top_k + 2, floor=0.0)
        answerability = coach.answerability
        values, _, _ = answerability.features(
            query, passages, answerability.candidates(query, passages)
        )
        x.append([values[f] for f in FEATURES])
        y.append(1 if item["expect"] == "answered" else 0)
        groups.append(str(item.get("group") or item["q"]))
        queries.append(query)
    return np.asarray(x, np.float64), np.asarray(y), groups, queries


PRECEDENT = FEATURES.index("precedent")


def precedent_column(sims: np.ndarray, y: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Return each row's `precedent` from the labelled rows it may see (`visible[i, j]`)."""

    def nearest(label: int) -> np.ndarray:
        masked = np.where(visible & (y == label)[None, :], sims, -np.inf)
        best = masked.max(axis=1)
        return np.where(np.isfinite(best), best, 0.0)

    return nearest(1) - nearest(0)


def _with_precedent(
    x: np.ndarray, y: np.ndarray, sims: np.ndarray, keys: list[str], seen: np.ndarray
) -> np.ndarray:
    """Return x with `precedent` from the `seen` rows of other paraphrase groups."""
    group = np.asarray(keys)
    visible = (group[:, None] != group[None, :]) & seen[None, :]
    out = x.copy()
    out[:, PRECEDENT] = precedent_column(sims, y, visible)
    return out


def fit_model(
    x: np.ndarray,
    y: np.ndarray,
    folds: int = 5,
    seed: int = 13,
    groups: list[str] | None = None,
    repeats: int = REPEATS,
    sims: np.ndarray | None = None,
) -> dict[str, Any]:
    """Fit the logistic regression; pick the threshold on the cross-validated ROC curve.

    With `sims` (the questions' pairwise cosines) the `precedent` feature is recomputed in
    every fold from the training questions of other paraphrase groups only.

    Cross-validation keeps each paraphrase group in one fold (a question is never judged by a
    model that saw its paraphrase) and is repeated `repeats` times with different shuffles; each
    question's cross-validated probability is the mean over the repeats, so the curve and the
    threshold do not hang on one random split (one split alone put it anywhere from 0.27 to 0.71).
    """
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score, roc_curve
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced"))
    keys = groups if groups is not None else [str(n) for n in range(len(y))]

    def predictions(r: int) -> np.ndarray:
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed + r)
        if sims is None:
            found = cross_val_predict(pipe, x, y, groups=keys, cv=splitter, method="predict_proba")
            return np.asarray(found[:, 1])
        out = np.zeros(len(y))
        for train, test in splitter.split(x, y, keys):
            seen = np.zeros(len(y), bool)
            seen[train] = True  # the held-out fold's questions are nobody's precedents
            rows = _with_precedent(x, y, sims, keys, seen)
            out[test] = clone(pipe).fit(rows[train], y[train]).predict_proba(rows[test])[:, 1]
        return out

    cv = np.mean([predictions(r) for r in range(repeats)], axis=0)
    fpr, tpr, cuts = roc_curve(y, cv)
    best = int(np.argmax(tpr - fpr))
    threshold = float(min(max(cuts[best], 0.05), 0.95))
    every = np.ones(len(y), bool)
    pipe.fit(x if sims is None else _with_precedent(x, y, sims, keys, every), y)
    scaler, clf = pipe.named_steps["standardscaler"], pipe.named_steps["logisticregression"]
    predicted = cv >= threshold
    return {
        "features": list(FEATURES),
        "coef": [round(float(c), 4) for c in clf.coef_[0]],
        "intercept": round(float(clf.intercept_[0]), 4),
        "mean": [round(float(m), 4) for m in scaler.mean_],
        "scale": [round(float(s), 4) for s in scaler.scale_],
        "threshold": round(threshold, 4),
        "cv": {
            "folds": folds,
            "repeats": repeats,
            "groups": len(set(keys)),
            "rows": len(y),
            "answerable": int(y.sum()),
            "auc": round(float(roc_auc_score(y, cv)), 3),
            "accuracy": round(float((predicted == (y == 1)).mean()), 3),
            "answerable_recall": round(float(predicted[y == 1].mean()), 3),
            "no_answer_recall": round(float((~predicted[y == 0]).mean()), 3),
        },
    }


def write_model(
    path: Any, model: dict[str, Any], precedents: dict[str, list[str]] | None = None
) -> None:
    """Replace the fitted blocks of `answerability.yaml`, keeping the rest of the file."""
    import yaml

    text = path.read_text(encoding="utf-8")
    head = text[: text.index("# Fitted by")]
    note = (
        "# Fitted by `python -m bot.answer.answerability` (logistic regression, features\n"
        "# standardised, on the labelled development questions; threshold = best Youden J on\n"
        "# the cross-validated ROC curve: paraphrase groups kept in one fold, probabilities\n"
        "# averaged over repeated shuffles). `cv` holds the cross-validated figures.\n"
        "# `precedents`: the labelled questions (as retrieval reads them) behind `precedent`.\n"
    )
    body = yaml.safe_dump({"model": model}, sort_keys=False, default_flow_style=None)
    listed = yaml.safe_dump(
        {"precedents": precedents or {}}, sort_keys=False, allow_unicode=True, width=100
    )
    path.write_text(head + note + body + listed, "utf-8")


def main(argv: list[str] | None = None) -> None:
    """Refit the answerability model on the development questions and write it.

    `--skip-batch N` (repeatable) leaves dev batch N out of the fit and of the precedents.
    """
    from bot.evaluate import DATA, load_items, load_questions
    from bot.refit import refit_coach

    with refit_coach("python -m bot.answer.answerability", argv) as (coach, skip):
        tuning = [
            {"q": q["q"], "expect": "answered" if q.get("answer") else q.get("expect")}
            for q in load_questions()["questions"]
        ]
        dev = load_items(DATA / "eval_dev.yaml")
        items = [i for i in dev if int(i.get("batch", 0)) not in skip] + tuning
        x, y, groups, queries = labelled_rows(coach, items)
        vectors = coach.embeddings.matrix(queries)
        model = fit_model(x, y, groups=groups, sims=vectors @ vectors.T)
        precedents = {
            "answered": [q for q, label in zip(queries, y, strict=True) if label == 1],
            "no_answer": [q for q, label in zip(queries, y, strict=True) if label == 0],
        }
        write_model(coach.settings.prompts_dir / "answerability.yaml", model, precedents)
        print(f"{len(y)} questions; cross-validated: {model['cv']}")


if __name__ == "__main__":
    main()
