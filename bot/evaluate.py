"""Evaluation: retrieval hit rates against a naive baseline, guard quality, answer quality."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import chromadb
import yaml
from langchain_chroma import Chroma
from langchain_text_splitters import RecursiveCharacterTextSplitter

from bot.config import REPO_ROOT, Settings
from bot.ingest.documents import load_corpus
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.schemas import Answer
from bot.text import parse_markers

DATA = REPO_ROOT / "tests" / "data"
BUDGETS = (600, 1500)


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).lower()


def hit(span: str, passages: list[str], budget: int) -> bool:
    """Return whether `span` lies within the first `budget` characters of the joined passages."""
    return _norm(span) in _norm("\n\n".join(passages))[:budget]


class NaiveBaseline:
    """The naive LangChain pipeline: 1000/200 recursive splits, MiniLM cosine top-k in Chroma."""

    def __init__(self, settings: Settings, embeddings: MiniLMEmbeddings) -> None:
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        texts = [c for d in load_corpus(settings.corpus_dir) for c in splitter.split_text(d.text)]
        client = chromadb.EphemeralClient()
        self.store = Chroma(
            f"naive_{uuid.uuid4().hex}",  # ephemeral clients share state within a process
            embeddings,
            client=client,
            collection_metadata={"hnsw:space": "cosine"},
        )
        self.store.add_texts(texts)

    def retrieve(self, query: str, k: int = 5) -> list[str]:
        """Return the top-k chunk texts."""
        return [d.page_content for d in self.store.similarity_search(query, k=k)]


def load_questions(path: Path = DATA / "eval_questions.yaml") -> dict[str, Any]:
    """Load the evaluation question set."""
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def retrieval_report(coach: Any, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Return hit rates at each budget for hybrid retrieval and the naive baseline."""
    naive = NaiveBaseline(coach.settings, coach.embeddings)
    rows = [q for q in questions if q.get("answer")]
    out: dict[str, Any] = {"questions": len(rows), "misses": []}
    for name, fetch in (
        ("hybrid", lambda q: [p.text for p in coach.retriever.retrieve(q, 10, floor=0.0)]),
        ("naive", lambda q: naive.retrieve(q, 5)),
    ):
        contexts = [(row, fetch(row["q"])) for row in rows]
        for budget in BUDGETS:
            hits = [hit(row["answer"], ctx, budget) for row, ctx in contexts]
            out[f"{name}@{budget}"] = round(sum(hits) / len(rows), 3)
            if name == "hybrid" and budget == BUDGETS[0]:
                out["misses"] = [r["q"] for r, h in zip(rows, hits, strict=True) if not h]
    return out


def citations_valid(answer: Answer, passages: set[str]) -> bool:
    """Return whether every marker resolves, every citation is a real passage, all are used."""
    numbers = set(parse_markers(answer.answer))
    cited = {c.n for c in answer.citations}
    return (
        bool(numbers)
        and numbers == cited
        and all(_norm(c.text) in passages for c in answer.citations)
    )


def answer_report(coach: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Return verdict accuracy, citation validity and gold-span recall of full answers."""
    passages = {_norm(c.text) for c in coach.retriever.chunks.values()}
    answerable = [q for q in data["questions"] if q.get("answer")]
    uncovered = [q for q in data["questions"] if q.get("expect") == "no_answer"]
    answers = [coach.ask(q["q"]) for q in answerable]
    answered = [a for a in answers if a.verdict == "answered"]
    gold = [_norm(q["answer"]) in _norm(a.answer) for q, a in zip(answerable, answers, strict=True)]
    follow = [_followup_hit(coach, row) for row in data.get("followups", [])]
    no_answer = [coach.ask(q["q"]).verdict == "no_answer" for q in uncovered]
    return {
        "answered_rate": round(len(answered) / len(answerable), 3),
        "valid_citations": round(
            sum(citations_valid(a, passages) for a in answered) / max(1, len(answered)), 3
        ),
        "gold_in_answer": round(sum(gold) / len(answerable), 3),
        "no_answer_rate_on_uncovered": round(sum(no_answer) / max(1, len(uncovered)), 3),
        "followup_gold_in_answer": round(sum(follow) / len(follow), 3) if follow else None,
        "not_answered": [
            q["q"] for q, a in zip(answerable, answers, strict=True) if a.verdict != "answered"
        ],
        "wrongly_answered": [q["q"] for q, ok in zip(uncovered, no_answer, strict=True) if not ok],
    }


def _followup_hit(coach: Any, row: dict[str, Any]) -> bool:
    session = None
    answer = None
    for turn in row["turns"]:
        answer = coach.ask(turn, session)
        session = answer.session_id
    return answer is not None and _norm(row["answer"]) in _norm(answer.answer)


def guard_section(coach: Any) -> dict[str, Any]:
    """Return guard precision and recall per class on the labelled prompts."""
    from bot.guard.scope import guard_report, load_labelled

    report = guard_report(coach.guard, load_labelled(DATA / "guard_prompts.csv"))
    report["errors"] = report.get("errors", [])[:15]
    return dict(report)


def run_eval(settings: Settings) -> dict[str, Any]:
    """Run every evaluation and return one report."""
    import tempfile

    from bot.coach import Coach

    with tempfile.TemporaryDirectory() as tmp:
        eval_settings = settings.model_copy(update={"data_dir": Path(tmp)})
        coach = Coach(eval_settings)
        data = load_questions()
        holdout = load_questions(DATA / "eval_holdout.yaml")
        return {
            "retrieval": retrieval_report(coach, data["questions"]),
            "answers": answer_report(coach, data),
            "holdout_retrieval": retrieval_report(coach, holdout["questions"]),
            "holdout_answers": answer_report(coach, holdout),
            "guard": guard_section(coach),
        }


def _section(name: str, r: dict[str, Any], a: dict[str, Any]) -> list[str]:
    lines = [
        f"{name}: retrieval hit rate ({r['questions']} questions; answer span within the budget)",
        f"  {'budget':<8}{'hybrid':>8}{'naive':>8}",
    ]
    lines += [f"  {b:<8}{r[f'hybrid@{b}']:>8.3f}{r[f'naive@{b}']:>8.3f}" for b in BUDGETS]
    lines += [f"{name}: answers (grounded engine)"]
    lines += [f"  {k:<30}{v}" for k, v in a.items() if not isinstance(v, list | type(None))]
    return [*lines, ""]


def format_report(report: dict[str, Any]) -> str:
    """Render the report as readable text tables."""
    lines = _section("Tuning set", report["retrieval"], report["answers"])
    lines += _section("Held-out set", report["holdout_retrieval"], report["holdout_answers"])
    lines += ["Guard (precision / recall / support)"]
    for label, m in report["guard"]["per_class"].items():
        lines.append(f"  {label:<11}{m['precision']:>6.3f} {m['recall']:>6.3f} {m['support']:>5}")
    lines.append(f"  accuracy   {report['guard']['accuracy']:.3f}")
    return "\n".join(lines)
