"""Sentence ranking: which sentence of the retrieved passages answers the question (learned).

Every usable sentence of the passages the composer may draw on is described by a few features:

- `cosine`, `cosine_gap`: MiniLM cosine with the question, and its distance below the best one;
- `lexical`, `lexical_gap`: share of the question's topic terms (plus what its type implies,
  "how long" -> years) in the sentence, and its distance below the best one;
- `heading`, `heading_lexical`: cosine of the question with the sentence's section heading, and
  the share of its topic terms in the heading ("Job Search Strategies", "Measuring Success");
- `passage`, `rank`: the passage's retrieval similarity and rank;
- `filler`: how much closer the sentence is to a generic career question ("How do I become a
  medical director?") than to this one;
- `holds`: the sentence holds the answer type asked for (a duration, a body, a figure);
- `first`: the sentence opens its passage; `framing`: its section only frames a guide;
- `length`: its length (log characters);
- `precedent`: the cosine of the question with the nearest labelled development question whose
  gold answer is this sentence (0 when none is): questions typed by others teach which sentence
  a way of asking means, and a paraphrase of a labelled question finds the same sentence;
  `precedent_first`: the same, counting only the gold span a writer listed first (the
  preferred answer among several acceptable ones), so paraphrases agree on one lead;
- `vote`: the share of the question's nearest labelled questions (softmax-weighted by cosine)
  whose first-listed gold span the sentence holds: paraphrases share most neighbours even when
  their single nearest one differs, so they lean to the same lead;
- `adapted`, `adapted_gap`: the cosine of the sentence with the question's vector as the query
  adapter (`bot/answer/adapter.py`, fitted on the same questions) moves it toward the sentences
  that answer, and its distance below the best one.

plus `before` and `after` (the cosine of the question with the sentence read together with its
neighbour), `specific` (the cosine once the direction every career question shares is taken
out) and `central` (how typical the sentence is of its passage). A conditional logit (a softmax
over each question's candidate sentences, the gold sentence as the choice) turns them into a
utility. It is fitted on the labelled development questions and the tuning set (each answerable
question names its gold sentence) by `python -m bot.answer.ranking`, which reports question-
grouped cross-validated figures: how often the best sentence is gold, and how often the
sentences the composer picks (`select`) hold it. Weights and figures live in
`prompts/sentence_ranker.yaml`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.answer.adapter import QueryAdapter, fit_adapter, load_adapter, save_adapter
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.prompts import load_data
from bot.schemas import Passage
from bot.text import expansions, is_framing, plain, sentences, stem, topic_terms

RANKER_FILE = "sentence_ranker.yaml"
FEATURES = (
    "cosine",
    "cosine_gap",
    "before",
    "after",
    "specific",
    "central",
    "lexical",
    "lexical_gap",
    "heading",
    "heading_lexical",
    "passage",
    "rank",
    "filler",
    "holds",
    "first",
    "framing",
    "length",
    "precedent",
    "precedent_first",
    "vote",
    "adapted",
    "adapted_gap",
)
_META = re.compile(r"\b(this|the) guide\b|\bhere are the steps\b", re.I)


@dataclass
class Scored:
    """A candidate sentence with where it came from and how well it answers."""

    text: str
    passage: int
    order: int
    score: float  # the ranker's utility: higher answers better (see SentenceRanker.score)
    cosine: float = 0.0
    lexical: float = 0.0


def usable(sentence: str) -> bool:
    """Return whether a sentence can stand in an answer (no heading, question or meta text)."""
    return len(sentence) >= 30 and not sentence.endswith(("?", ":")) and not _META.search(sentence)


L2 = 10.0  # penalty of the conditional logit, chosen by cross-validation (1, 3, 10: alike)
MAX_SENTENCES = 4  # the lead and at most three supporting sentences
SUPPORT_RATIO = 0.2  # a supporting sentence is at least this likely, relative to the lead
NEIGHBOUR_RATIO = 0.05  # ... a sentence beside the lead in its passage needs less
# A labelled question this near lends its gold passage to the candidates: the nearest labelled
# question of another paraphrase group shares a gold sentence 86% of the time at 0.8 and
# above (72% at 0.7, 98% at 0.9; leave-group-out over the development questions).
PRECEDENT_FLOOR = 0.8
VOTE_NEIGHBOURS = 10  # labelled questions that vote on the lead
VOTE_TEMPERATURE = 0.05  # cosine scale of the vote's softmax
ROOT = 5  # words sharing their first letters share a root ("measured", "measuring")


def roots(text: str) -> set[str]:
    """Return the roots of a text's topic terms: light stems cut to ROOT letters."""
    return {stem(t)[:ROOT] for t in topic_terms(text)}


def _share(terms: set[str], text: str) -> float:
    if not terms:
        return 0.0
    return len(terms & roots(text)) / len(terms)


def _centrality(vectors: np.ndarray, keys: list[tuple[int, int]]) -> np.ndarray:
    """Return each sentence's cosine with the mean of its passage's sentences."""
    out = np.zeros(len(keys))
    passages = sorted({i for i, _ in keys})
    for i in passages:
        rows = [k for k, key in enumerate(keys) if key[0] == i]
        mean = vectors[rows].mean(axis=0)
        out[rows] = vectors[rows] @ (mean / (float(np.linalg.norm(mean)) or 1.0))
    return out


def _window(
    vectors: np.ndarray, qvec: np.ndarray, keys: list[tuple[int, int]], step: int
) -> np.ndarray:
    """Return the cosine of the question with each sentence read with its neighbour."""
    index = {key: k for k, key in enumerate(keys)}
    out = np.zeros(len(keys))
    for k, (i, j) in enumerate(keys):
        other = index.get((i, j + step))
        mean = vectors[k] + (vectors[other] if other is not None else vectors[k])
        out[k] = float(mean @ qvec) / (float(np.linalg.norm(mean)) or 1.0)
    return out


class Precedents:
    """Labelled development questions and the gold sentences that answer them."""

    def __init__(self, embeddings: MiniLMEmbeddings, entries: list[dict[str, Any]]) -> None:
        self.embeddings = embeddings
        self.questions = [str(e["q"]) for e in entries]
        self.golds = [[plain(str(a)) for a in e["gold"]] for e in entries]
        self._vectors: np.ndarray | None = None
        self._matches: dict[tuple[str, bool], list[int]] = {}

    def warm(self) -> np.ndarray:
        """Embed the labelled questions (once per instance), so no question waits for them."""
        if self._vectors is None:
            self._vectors = self.embeddings.matrix(self.questions)
        return self._vectors

    def similarities(self, qvec: np.ndarray) -> np.ndarray:
        """Return the cosine of a question vector with every labelled question."""
        if not self.questions:
            return np.zeros(0)
        return np.asarray(self.warm() @ qvec)

    def matches(self, sentence: str, first: bool = False) -> list[int]:
        """Return the labelled questions a sentence answers (holds one of their gold spans).

        With `first`, only questions whose first-listed gold span it holds.
        """
        key = (sentence, first)
        if key not in self._matches:
            text = plain(sentence)
            self._matches[key] = [
                i
                for i, golds in enumerate(self.golds)
                if any(g in text for g in (golds[:1] if first else golds))
            ]
        return self._matches[key]

    def closest(
        self, qvec: np.ndarray, texts: list[str], allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """Return, per sentence, the cosine with the nearest labelled question it answers.

        Two columns: any gold span, and the first-listed one. `allowed` masks labelled
        questions out (cross-validation leaves a question's own paraphrase group out, so it
        is never its own precedent).
        """
        return self.describe(self.similarities(qvec), texts, allowed)[:, :2]

    def describe(
        self, sims: np.ndarray, texts: list[str], allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """Return the columns `precedent`, `precedent_first` and `vote` from similarities."""
        return np.column_stack(
            [
                self.column(sims, texts, allowed),
                self.column(sims, texts, allowed, first=True),
                self.vote(sims, texts, allowed),
            ]
        )

    def vote(
        self, sims: np.ndarray, texts: list[str], allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """Return each sentence's share of the nearest labelled questions' first-listed gold."""
        if allowed is not None:
            sims = np.where(allowed, sims, -np.inf)
        near = [int(i) for i in np.argsort(-sims)[:VOTE_NEIGHBOURS] if np.isfinite(sims[i])]
        if not near:
            return np.zeros(len(texts))
        w = np.exp((sims[near] - sims[near].max()) / VOTE_TEMPERATURE)
        weight = dict(zip(near, (w / w.sum()).tolist(), strict=True))
        return np.asarray([sum(weight.get(i, 0.0) for i in self.matches(t, True)) for t in texts])

    def nearest(self, qvec: np.ndarray, floor: float = PRECEDENT_FLOOR) -> list[str]:
        """Return the gold spans of the closest labelled question when it is `floor` near."""
        sims = self.similarities(qvec)
        if not len(sims) or float(sims.max()) < floor:
            return []
        return self.golds[int(sims.argmax())]

    def column(
        self,
        sims: np.ndarray,
        texts: list[str],
        allowed: np.ndarray | None = None,
        first: bool = False,
    ) -> np.ndarray:
        """Return one precedent feature from precomputed similarities."""
        if allowed is not None:
            sims = np.where(allowed, sims, 0.0)
        return np.asarray(
            [max([0.0, *(float(sims[i]) for i in self.matches(t, first))]) for t in texts]
        )


class SentenceRanker:
    """Score the sentences of retrieved passages with the fitted model."""

    def __init__(
        self,
        embeddings: MiniLMEmbeddings,
        model: dict[str, Any],
        generic_questions: list[str] | None = None,
        precedents: list[dict[str, Any]] | None = None,
        adapter: QueryAdapter | None = None,
    ) -> None:
        self.embeddings = embeddings
        self._generic = list(generic_questions or [])
        self.precedents = Precedents(embeddings, precedents or [])
        self.adapter = adapter or QueryAdapter()
        if list(model.get("features") or FEATURES) != list(FEATURES):
            model = {}  # weights for other features (before a refit): rank by nothing
        self.coef = np.asarray(model.get("coef", [0.0] * len(FEATURES)), np.float64)
        self.mean = np.asarray(model.get("mean", [0.0] * len(FEATURES)), np.float64)
        self.scale = np.asarray(model.get("scale", [1.0] * len(FEATURES)), np.float64)

    def warm(self) -> None:
        """Embed the labelled and the generic questions, so no question waits for them."""
        self.precedents.warm()
        self.embeddings.matrix(self._generic)

    def features(
        self, question: str, passages: list[Passage], holds: re.Pattern[str] | None = None
    ) -> tuple[list[Scored], np.ndarray]:
        """Return the usable sentences (score unset) and their feature rows."""
        every = [(i, j, s) for i, p in enumerate(passages) for j, s in enumerate(sentences(p.text))]
        if not any(usable(s) for _, _, s in every):
            return [], np.zeros((0, len(FEATURES)))
        qvec = np.asarray(self.embeddings.embed_query(question), np.float32)
        allvecs = self.embeddings.matrix([s for _, _, s in every])
        keys = [(i, j) for i, j, _ in every]
        before = _window(allvecs, qvec, keys, -1)
        after = _window(allvecs, qvec, keys, 1)
        keep = [k for k, (_, _, s) in enumerate(every) if usable(s)]
        cands = [every[k] for k in keep]
        svecs = allvecs[keep]
        cos = svecs @ qvec
        headings = self.embeddings.matrix([p.section or p.title for p in passages]) @ qvec
        filler = self._filler(qvec, svecs)
        specific = self._specific(qvec, svecs)
        central = _centrality(allvecs, keys)[keep]
        terms = roots(question) | {t[:ROOT] for t in expansions(question)}
        lexical = np.asarray([_share(terms, s) for _, _, s in cands])
        texts = [s for _, _, s in cands]
        precedent = self.precedents.describe(self.precedents.similarities(qvec), texts)
        adapted = svecs @ self.adapter.adapt(qvec)
        rows, found = [], []
        for k, (i, j, s) in enumerate(cands):
            p = passages[i]
            rows.append(
                [
                    float(cos[k]),
                    float(cos.max() - cos[k]),
                    float(before[keep[k]]),
                    float(after[keep[k]]),
                    float(specific[k]),
                    float(central[k]),
                    float(lexical[k]),
                    float(lexical.max() - lexical[k]),
                    float(headings[i]),
                    _share(terms, p.section),
                    p.score,
                    float(i),
                    float(filler[k]),
                    1.0 if holds is not None and holds.search(s) else 0.0,
                    1.0 if j == 0 else 0.0,
                    1.0 if is_framing(p.section, p.title) else 0.0,
                    math.log(len(s)),
                    float(precedent[k, 0]),
                    float(precedent[k, 1]),
                    float(precedent[k, 2]),
                    float(adapted[k]),
                    float(adapted.max() - adapted[k]),
                ]
            )
            found.append(Scored(s, i, j, 0.0, float(cos[k]), float(lexical[k])))
        return found, np.asarray(rows, np.float64)

    def score(
        self, question: str, passages: list[Passage], holds: re.Pattern[str] | None = None
    ) -> list[Scored]:
        """Return the usable sentences of the passages with their utility (higher: answers).

        exp(a - b) is how many times likelier sentence a answers than sentence b.
        """
        found, rows = self.features(question, passages, holds)
        if not found:
            return []
        for s, u in zip(found, self.utilities(rows), strict=True):
            s.score = float(u)
        return found

    def utilities(self, rows: np.ndarray) -> np.ndarray:
        """Return the fitted utility of feature rows."""
        return np.asarray(((rows - self.mean) / self.scale) @ self.coef)

    def _specific(self, qvec: np.ndarray, svecs: np.ndarray) -> np.ndarray:
        """Return cosines with what the generic career questions share taken out of each vector.

        Most questions and sentences mention "medical director"; the part of their vectors
        along the generic questions' direction says little about what this question asks.
        """
        if not self._generic:
            return svecs @ qvec
        g = self.embeddings.matrix(self._generic).mean(axis=0)
        g = g / (float(np.linalg.norm(g)) or 1.0)
        q = qvec - float(qvec @ g) * g
        s = svecs - np.outer(svecs @ g, g)
        norms = np.linalg.norm(s, axis=1) * (float(np.linalg.norm(q)) or 1.0)
        return np.asarray((s @ q) / np.where(norms > 0, norms, 1.0))

    def _filler(self, qvec: np.ndarray, svecs: np.ndarray) -> np.ndarray:
        """Return how much closer each sentence is to a generic career question than to this one."""
        if not self._generic:
            return np.zeros(len(svecs))
        probes = self.embeddings.matrix(self._generic)
        generic = (svecs @ probes.T).max(axis=1)
        own = float((probes @ qvec).max())
        return np.asarray(np.clip(generic - np.maximum(svecs @ qvec, own), 0.0, None))


def select(ranked: list[Scored], limit: int = MAX_SENTENCES) -> list[Scored]:
    """Return the lead (the best sentence) and the sentences that come close to it, best first.

    A sentence beside the lead in its passage joins on a lower bar: the answer is often the
    lead's neighbour ("Some physicians pursue a fellowship. This additional training can make
    you more competitive ...").
    """
    if not ranked:
        return []
    lead = ranked[0]

    def ratio(s: Scored) -> float:
        return math.exp(min(0.0, s.score - lead.score))

    chosen = [lead]
    beside = [s for s in ranked[1:] if s.passage == lead.passage and abs(s.order - lead.order) == 1]
    if beside and ratio(beside[0]) >= NEIGHBOUR_RATIO:
        chosen.append(beside[0])
    for s in ranked[1:]:
        if len(chosen) >= limit:
            break
        if s not in chosen and ratio(s) >= SUPPORT_RATIO:
            chosen.append(s)
    return chosen


def make_precedents(embeddings: MiniLMEmbeddings, folder: Any = None) -> Precedents:
    """Build the labelled questions from `sentence_ranker.yaml`."""
    data = dict(load_data(RANKER_FILE, folder) or {})
    return Precedents(embeddings, list(data.get("precedents") or []))


def make_ranker(
    embeddings: MiniLMEmbeddings, generic_questions: list[str] | None = None, folder: Any = None
) -> SentenceRanker:
    """Build the ranker from `sentence_ranker.yaml`."""
    data = dict(load_data(RANKER_FILE, folder) or {})
    model = dict(data.get("model") or {})
    precedents = list(data.get("precedents") or [])
    return SentenceRanker(embeddings, model, generic_questions, precedents, load_adapter(folder))


# --------------------------------------------------------------------------- fitting


def gold_labels(found: list[Scored], gold: str) -> list[int]:
    """Return 1 for each sentence holding one of the gold entry's " | " alternatives."""
    alternatives = [plain(a) for a in gold.split(" | ")]
    return [1 if any(a in plain(s.text) for a in alternatives) else 0 for s in found]


def labelled_rows(
    coach: Any, items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the labelled question parts (candidates, features, labels) and the precedents.

    A precedent is a labelled question part as the pipeline reads it (its retrieval query)
    with its gold spans and its paraphrase group.
    """
    from bot.refit import labelled_parts

    engine = coach.engine
    composer, main = engine.composer, engine.main_passages
    groups, precedents = [], []
    for item, part, entry in labelled_parts(coach, items):
        key = str(item.get("group") or item["q"])
        precedents.append({"q": part.query, "gold": entry.split(" | "), "group": key})
        judgement = part.brief.judgement
        holds = composer.holds(judgement.asked if judgement else "")
        found, rows = composer.ranker.features(part.query, part.passages[:main], holds)
        labels = gold_labels(found, entry)
        if found and any(labels):
            qvec = np.asarray(composer.embeddings.embed_query(part.query), np.float32)
            groups.append(
                {
                    "q": item["q"],
                    "group": key,
                    "found": found,
                    "x": rows,
                    "y": labels,
                    "qvec": qvec,
                    "svecs": composer.embeddings.matrix([c.text for c in found]),
                }
            )
    return groups, precedents


PRECEDENT = FEATURES.index("precedent")
VOTE = FEATURES.index("vote")
ADAPTED = FEATURES.index("adapted")


def _adapter_of(groups: list[dict[str, Any]]) -> np.ndarray:
    """Fit the query adapter on labelled groups (question, candidate and gold vectors)."""
    return fit_adapter(
        [g["qvec"] for g in groups],
        [g["svecs"] for g in groups],
        [np.asarray(g["y"], bool) for g in groups],
    )


def _with_adapted(
    groups: list[dict[str, Any]], fold_of_key: dict[str, int], folds: int
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Return the groups with `adapted` from an adapter fitted without their fold, and the
    adapter fitted on them all.

    Every question, in cross-validation and in the final fit alike, is described as an unseen
    question would be: by an adapter that never saw it or its paraphrases.
    """
    out = list(groups)
    for k in range(folds):
        inside = [n for n, g in enumerate(groups) if fold_of_key[g["group"]] == k]
        if not inside:
            continue
        adapter = QueryAdapter(_adapter_of([g for g in groups if fold_of_key[g["group"]] != k]))
        for n in inside:
            g = groups[n]
            x, a = g["x"].copy(), g["svecs"] @ adapter.adapt(g["qvec"])
            x[:, ADAPTED], x[:, ADAPTED + 1] = a, a.max() - a
            out[n] = {**g, "x": x}
    return out, _adapter_of(groups)


def _with_precedents(
    groups: list[dict[str, Any]], book: Precedents, keys: list[str], hidden: set[str]
) -> list[dict[str, Any]]:
    """Return the groups with `precedent` and `vote` recomputed from visible precedents only.

    A question never sees its own paraphrase group's precedents, nor those of `hidden` groups
    (the held-out fold).
    """
    out = []
    for g in groups:
        allowed = np.asarray([k != g["group"] and k not in hidden for k in keys])
        x = g["x"].copy()
        sims = g.setdefault("sims", book.similarities(g["qvec"]))
        texts = [c.text for c in g["found"]]
        x[:, [PRECEDENT, PRECEDENT + 1, VOTE]] = book.describe(sims, texts, allowed)
        out.append({**g, "x": x})
    return out


def fit_model(
    groups: list[dict[str, Any]],
    precedents: list[dict[str, Any]],
    embeddings: MiniLMEmbeddings,
    folds: int = 5,
    seed: int = 13,
) -> tuple[dict[str, Any], np.ndarray]:
    """Fit the ranker and the query adapter; report question-grouped cross-validated gold rates.

    `top1_gold`: the best-ranked sentence is gold; `top3_gold`: one of the best three is;
    `selected_gold`: the sentences the composer picks (`select`) hold gold, `sentences` how
    many it picks on average. Folds keep each paraphrase group together (`group`; a question
    without one is its own group), so no question is ranked by a model, or precedents, that
    saw its paraphrase.
    """
    book = Precedents(embeddings, precedents)
    entry_keys = [str(p["group"]) for p in precedents]
    keys = sorted({str(g.get("group") or g["q"]) for g in groups} | set(entry_keys))
    order = np.random.default_rng(seed).permutation(len(keys))  # folds by paraphrase group
    fold_of_key = {keys[int(i)]: k % folds for k, i in enumerate(order)}
    groups, adapter = _with_adapted(groups, fold_of_key, folds)
    scores: list[np.ndarray] = [np.zeros(0)] * len(groups)
    for k in range(folds):
        hidden = {key for key, f in fold_of_key.items() if f == k}
        seen = _with_precedents(groups, book, entry_keys, hidden)
        model = fit_weights([g for g in seen if g["group"] not in hidden])
        for n, g in enumerate(seen):
            if g["group"] in hidden:
                scores[n] = _utility(model, g["x"])
    top1 = top3 = selected = picked = 0
    for g, s in zip(groups, scores, strict=True):
        labels = np.asarray(g["y"])
        ranked = np.argsort(-s)
        top1 += int(labels[ranked[0]])
        top3 += int(labels[ranked[:3]].any())
        found = [
            Scored(c.text, c.passage, c.order, float(u)) for c, u in zip(g["found"], s, strict=True)
        ]
        chosen = select(sorted(found, key=lambda c: -c.score))
        texts = {c.text for c in chosen}
        hits = [y and c.text in texts for c, y in zip(g["found"], labels, strict=True)]
        selected += int(any(hits))
        picked += len(chosen)
    n = len(groups)
    model = {
        **fit_weights(_with_precedents(groups, book, entry_keys, set())),
        "cv": {
            "folds": folds,
            "questions": n,
            "paraphrase_groups": len(keys),
            "sentences": int(sum(len(g["y"]) for g in groups)),
            "top1_gold": round(top1 / n, 3),
            "top3_gold": round(top3 / n, 3),
            "selected_gold": round(selected / n, 3),
            "selected_sentences": round(picked / n, 2),
        },
    }
    return model, adapter


def fit_weights(groups: list[dict[str, Any]], l2: float = L2) -> dict[str, Any]:
    """Fit a conditional logit: softmax over each question's sentences, gold as the choice.

    Maximises the log-probability that the chosen sentence is gold (any gold sentence of the
    question), with an L2 penalty, by L-BFGS (SciPy, which scikit-learn brings).
    """
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    x = np.concatenate([g["x"] for g in groups])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    data = [((g["x"] - mean) / scale, np.asarray(g["y"], bool)) for g in groups]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = 0.5 * l2 * float(w @ w), l2 * w
        for rows, gold in data:
            u = rows @ w
            every, right = logsumexp(u), logsumexp(u[gold])
            value -= right - every
            grad = grad - rows.T @ (np.where(gold, np.exp(u - right), 0.0) - np.exp(u - every))
        return value, grad

    w = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    return {
        "features": list(FEATURES),
        "coef": [round(float(c), 4) for c in w],
        "mean": [round(float(m), 4) for m in mean],
        "scale": [round(float(s), 4) or 1.0 for s in scale],
    }


def _utility(model: dict[str, Any], rows: np.ndarray) -> np.ndarray:
    mean, scale = np.asarray(model["mean"]), np.asarray(model["scale"])
    return np.asarray(((rows - mean) / scale) @ np.asarray(model["coef"]))


def write_model(
    path: Any, model: dict[str, Any], precedents: list[dict[str, Any]] | None = None
) -> None:
    """Replace the fitted blocks of `sentence_ranker.yaml`, keeping the notes above them."""
    import yaml

    text = path.read_text(encoding="utf-8") if path.exists() else ""
    head = text[: text.index("# Fitted by")] if "# Fitted by" in text else text
    note = (
        "# Fitted by `python -m bot.answer.ranking` (conditional logit over each question's\n"
        "# sentences, features standardised, on the gold sentences of the labelled development\n"
        "# questions and the tuning set). `cv` holds cross-validated figures (folds keep each\n"
        "# paraphrase group together). `precedents` are the labelled development questions\n"
        "# (as the pipeline reads them) with their gold spans.\n"
    )
    book = [{"q": p["q"], "gold": list(p["gold"])} for p in precedents or []]
    body = yaml.safe_dump({"model": model}, sort_keys=False, default_flow_style=None)
    listed = yaml.safe_dump({"precedents": book}, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(head + note + body + listed, "utf-8")


def training_items(skip: set[int] | None = None) -> list[dict[str, Any]]:
    """Return the labelled questions the ranker learns from: dev split and tuning set.

    `skip` leaves dev batches out, to check the fit on a batch it has not seen.
    """
    from bot.evaluate import DATA, load_items, load_questions

    dev = [
        i
        for i in load_items(DATA / "eval_dev.yaml")
        if i["expect"] == "answered" and int(i.get("batch", 0)) not in (skip or set())
    ]
    tuning = [
        {"q": q["q"], "gold": [q["answer"]]}
        for q in load_questions()["questions"]
        if q.get("answer")
    ]
    return dev + tuning


def main(argv: list[str] | None = None) -> None:
    """Refit the sentence ranker on the development questions and write it.

    `--skip-batch N` (repeatable) leaves dev batch N out of the fit.
    """
    from bot.refit import refit_coach

    with refit_coach("python -m bot.answer.ranking", argv) as (coach, skip):
        folder = coach.settings.prompts_dir
        groups, precedents = labelled_rows(coach, training_items(skip))
        model, adapter = fit_model(groups, precedents, coach.embeddings)
        write_model(folder / RANKER_FILE, model, precedents)
        save_adapter(folder, adapter)
        print(f"{len(groups)} questions; cross-validated: {model['cv']}")


if __name__ == "__main__":
    main()
