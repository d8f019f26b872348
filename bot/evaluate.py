"""Evaluation: retrieval hit rates against a naive baseline, guard quality, answer quality."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import chromadb
import yaml
from langchain_chroma import Chroma
from langchain_text_splitters import RecursiveCharacterTextSplitter

from bot.answer.citing import JOIN
from bot.config import Settings
from bot.errors import BotError
from bot.ingest.documents import load_corpus
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.schemas import Answer
from bot.text import parse_markers, plain

# The evaluation sets belong to the checkout (tests/data), not to the installed package.
DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
BUDGETS = (600, 1500)


def hit(span: str, passages: list[str], budget: int) -> bool:
    """Return whether `span` lies within the first `budget` characters of the joined passages."""
    return plain(span) in plain("\n\n".join(passages))[:budget]


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
        and all(plain(p) in passages for c in answer.citations for p in c.text.split(JOIN))
    )


def answer_report(coach: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Return verdict accuracy, citation validity and gold-span recall of full answers."""
    passages = {plain(c.text) for c in coach.retriever.chunks.values()}
    answerable = [q for q in data["questions"] if q.get("answer")]
    uncovered = [q for q in data["questions"] if q.get("expect") == "no_answer"]
    answers = [coach.ask(q["q"]) for q in answerable]
    answered = [a for a in answers if a.verdict == "answered"]
    gold = [plain(q["answer"]) in plain(a.answer) for q, a in zip(answerable, answers, strict=True)]
    follow = [_followup_hit(coach, row) for row in data.get("followups", [])]
    no_answer = [coach.ask(q["q"]).verdict == "no_answer" for q in uncovered]
    return {
        "answerable": len(answerable),
        "uncovered": len(uncovered),
        "followups": len(follow),
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
    return answer is not None and plain(row["answer"]) in plain(answer.answer)


REGISTERS = ("plain", "context", "casual", "multi", "emotional", "uncovered", "out_of_scope")


def load_items(path: Path, batches: set[int] | None = None) -> list[dict[str, Any]]:
    """Load real-use evaluation items (optionally only some batches)."""
    items = list(yaml.safe_load(path.read_text(encoding="utf-8"))["items"])
    return [i for i in items if batches is None or int(i.get("batch", 0)) in batches]


def gold_hits(item: dict[str, Any], answer: str) -> bool:
    """Return whether every gold entry (any of its " | " alternatives) appears in the answer."""
    text = plain(answer)
    return all(any(plain(alt) in text for alt in str(entry).split(" | ")) for entry in item["gold"])


def _top(answer: Answer) -> str:
    """Return the passage an answer leads with: the first passage of its first citation.

    A citation joins every cited passage of one guide section; the passages after the first
    come from supporting sentences, so they are not the top passage.
    """
    return plain(answer.citations[0].text.split(JOIN)[0]) if answer.citations else ""


def _rate(hits: list[bool]) -> float | None:
    return round(sum(hits) / len(hits), 3) if hits else None


def register_report(coach: Any, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Return real-use figures: verdicts, on-topic declines, gold, no_answer, consistency."""
    answers = [coach.ask(item["q"]) for item in items]
    rows = list(zip(items, answers, strict=True))
    correct = [a.verdict == i["expect"] for i, a in rows]
    declined_on_topic = [
        i["q"] for i, a in rows if i["expect"] != "declined" and a.verdict == "declined"
    ]
    answerable = [(i, a) for i, a in rows if i["expect"] == "answered"]
    gold = [a.verdict == "answered" and gold_hits(i, a.answer) for i, a in answerable]
    predicted_no = [i["expect"] == "no_answer" for i, a in rows if a.verdict == "no_answer"]
    expected_no = [a.verdict == "no_answer" for i, a in rows if i["expect"] == "no_answer"]
    groups: dict[str, list[Answer]] = {}
    for i, a in rows:
        if i.get("group"):
            groups.setdefault(str(i["group"]), []).append(a)
    consistent = [
        len({a.verdict for a in group}) == 1 and len({_top(a) for a in group}) == 1
        for group in groups.values()
    ]
    by_register = {
        reg: _rate([ok for (i, _), ok in zip(rows, correct, strict=True) if i["register"] == reg])
        for reg in REGISTERS
    }
    return {
        "questions": len(items),
        "correct_verdicts": _rate(correct),
        "on_topic_declines": len(declined_on_topic),
        "answerable_with_gold": _rate(gold),
        "uncovered_no_answer": _rate(expected_no),
        "no_answer_precision": _rate(predicted_no),
        "no_answer_recall": _rate(expected_no),
        "paraphrase_consistency": _rate(consistent),
        "paraphrase_groups": len(groups),
        "by_register": by_register,
        "failures": [
            {"q": i["q"], "expect": i["expect"], "got": a.verdict}
            for (i, a), ok in zip(rows, correct, strict=True)
            if not ok
        ]
        + [
            {"q": i["q"], "expect": "gold", "got": "missing"}
            for (i, a), ok in zip(answerable, gold, strict=True)
            if a.verdict == "answered" and not ok
        ],
        "declined_on_topic": declined_on_topic,
    }


def guard_section(coach: Any) -> dict[str, Any]:
    """Return the guard's 5-fold cross-validated precision and recall per class.

    Each labelled prompt of `guard_train.csv` is judged by a model fitted without it.
    """
    from bot.guard.model import TRAIN_FILE
    from bot.guard.scope import cross_validated_report, load_labelled

    rows = load_labelled(coach.settings.prompts_dir / TRAIN_FILE)
    report = cross_validated_report(coach.guard, rows)
    report["prompts"] = len(rows)
    report["errors"] = report.get("errors", [])[:15]
    return dict(report)


def answerability_section(coach: Any) -> dict[str, Any]:
    """Return the answerability model's cross-validated figures and its threshold."""
    from bot.prompts import load_data

    model = load_data("answerability.yaml", coach.settings.prompts_dir)["model"]
    return {"threshold": model["threshold"], **model.get("cv", {})}


def ranking_section(coach: Any) -> dict[str, Any]:
    """Return the sentence ranker's question-grouped cross-validated figures."""
    from bot.answer.ranking import RANKER_FILE
    from bot.prompts import load_data

    model = load_data(RANKER_FILE, coach.settings.prompts_dir)["model"]
    return dict(model.get("cv", {}))


def load_batches(path: Path | None = None) -> list[dict[str, Any]]:
    """Return the first-run figures recorded for each batch of the real-use evaluation."""
    data = yaml.safe_load((path or DATA / "eval_batches.yaml").read_text(encoding="utf-8"))
    return list(data["batches"])


def run_eval(settings: Settings) -> dict[str, Any]:
    """Run every evaluation and return one report."""
    import tempfile

    from bot.coach import Coach

    if not DATA.is_dir():
        raise BotError("eval_data_missing", f"No evaluation sets at {DATA}; use a checkout.")
    with tempfile.TemporaryDirectory() as tmp:
        eval_settings = settings.model_copy(update={"data_dir": Path(tmp)})
        coach = Coach(eval_settings)
        data = load_questions()
        holdout = load_questions(DATA / "eval_holdout.yaml")
        report = {
            "retrieval": retrieval_report(coach, data["questions"]),
            "answers": answer_report(coach, data),
            "holdout_retrieval": retrieval_report(coach, holdout["questions"]),
            "holdout_answers": answer_report(coach, holdout),
            "real_use": {
                "test": register_report(coach, load_items(DATA / "eval_test.yaml")),
                "dev": register_report(coach, load_items(DATA / "eval_dev.yaml")),
            },
            "batches": load_batches(),
            "guard": guard_section(coach),
            "answerability": answerability_section(coach),
            "ranking": ranking_section(coach),
        }
        report["tables"] = figure_tables(report)
        return report


SPLITS = {"test": "eval_test.yaml", "dev": "eval_dev.yaml"}


def run_split(settings: Settings, split: str, batches: set[int] | None = None) -> dict[str, Any]:
    """Run only the real-use evaluation on one split (optionally only some dev batches).

    Tune on `dev`; run `test` only to report. Cheaper than `run_eval`: no retrieval baseline,
    guard cross-validation or older sets.
    """
    import tempfile

    from bot.coach import Coach

    if split not in SPLITS:
        raise BotError(
            "eval_split_unknown", f"Unknown split {split!r}; use one of {sorted(SPLITS)}."
        )
    if not DATA.is_dir():
        raise BotError("eval_data_missing", f"No evaluation sets at {DATA}; use a checkout.")
    items = load_items(DATA / SPLITS[split], batches)
    if not items:
        raise BotError("eval_split_empty", f"No items in split {split!r} for batches {batches}.")
    with tempfile.TemporaryDirectory() as tmp:
        coach = Coach(settings.model_copy(update={"data_dir": Path(tmp)}))
        report = register_report(coach, items)
    return {"split": split, "batches": sorted(batches) if batches else None, **report}


def format_split(report: dict[str, Any]) -> str:
    """Render a one-split report as text."""
    which = f" batches {report['batches']}" if report["batches"] else ""
    lines = [
        f"Real-use evaluation, {report['split']} split{which}: {report['questions']} questions"
    ]
    lines += [f"  {label:<46}{report[key]!s:>8}  {target}" for key, label, target in REAL_USE_ROWS]
    lines += [f"    {reg:<44}{rate!s:>8}" for reg, rate in report["by_register"].items()]
    lines += [
        "  failures:",
        *(f"    {f['expect']:>9} <- {f['got']:<9} {f['q']}" for f in report["failures"]),
    ]
    return "\n".join(lines)


def figure_tables(report: dict[str, Any]) -> dict[str, Any]:
    """Return the README tables (scripts/figures.py renders `eval/NAME` blocks from them)."""
    test, dev = report["real_use"]["test"], report["real_use"]["dev"]
    rows = [[label, test[key], dev[key], target] for key, label, target in REAL_USE_ROWS]
    batch_rows = [
        [
            b["name"],
            b["code"],
            *(b["figures"][k] for k in ("correct_verdicts", "on_topic_declines")),
            *(b["figures"][k] for k in ("answerable_with_gold", "uncovered_no_answer")),
            b["figures"]["paraphrase_consistency"],
        ]
        for b in report["batches"]
    ]
    registers = [[reg, test["by_register"][reg], dev["by_register"][reg]] for reg in REGISTERS]
    a, r = report["answerability"], report.get("ranking") or {}
    return {
        "real_use": {
            "columns": [
                "measure",
                f"test split ({test['questions']}, never tuned on)",
                f"dev split ({dev['questions']})",
                "target",
            ],
            "rows": rows,
        },
        "registers": {
            "columns": ["register: correct verdicts", "test", "dev"],
            "rows": registers,
        },
        "batches": {
            "columns": [
                "batch (first run, before the changes it prompted)",
                "code it ran against",
                "verdicts",
                "on-topic declines",
                "gold",
                "uncovered no_answer",
                "paraphrases",
            ],
            "rows": batch_rows,
        },
        "answerability": {
            "columns": [
                "rows",
                "AUC",
                "accuracy",
                "answerable recall",
                "no_answer recall",
                "threshold",
            ],
            "rows": [
                [
                    a.get("rows"),
                    a.get("auc"),
                    a.get("accuracy"),
                    a.get("answerable_recall"),
                    a.get("no_answer_recall"),
                    a["threshold"],
                ]
            ],
        },
        "ranking": {
            "columns": [
                "questions",
                "best sentence is gold",
                "gold among the best three",
                "gold among the sentences the answer quotes",
                "sentences quoted (mean)",
            ],
            "rows": [
                [
                    r.get("questions"),
                    r.get("top1_gold"),
                    r.get("top3_gold"),
                    r.get("selected_gold"),
                    r.get("selected_sentences"),
                ]
            ],
        },
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
    lines += ["", *_real_use(report["real_use"])]
    a = report["answerability"]
    lines += [
        "",
        f"Answerability model ({a.get('rows')} labelled dev questions, {a.get('folds')}-fold CV):"
        f" AUC {a.get('auc')}, accuracy {a.get('accuracy')}, threshold {a['threshold']}",
        _ranking_line(report.get("ranking") or {}),
        "",
        "First-run figures per batch (before the code changes each batch prompted)",
    ]
    for batch in report["batches"]:
        f = batch["figures"]
        lines.append(
            f"  {batch['name'][:44]:<46}{f['correct_verdicts']:>6} {f['on_topic_declines']:>3}"
            f" {f['answerable_with_gold']:>6} {f['uncovered_no_answer']:>6}"
            f" {f['paraphrase_consistency']:>6}"
        )
    return "\n".join(lines)


def _ranking_line(r: dict[str, Any]) -> str:
    return (
        f"Sentence ranker ({r.get('questions')} questions, question-grouped CV): best sentence"
        f" gold {r.get('top1_gold')}, gold among the quoted sentences {r.get('selected_gold')}"
        f" ({r.get('selected_sentences')} sentences)"
    )


REAL_USE_ROWS = (
    ("correct_verdicts", "correct verdicts", "≥ 0.90"),
    ("on_topic_declines", "on-topic declines", "0"),
    ("answerable_with_gold", "answerable, answered with the gold sentence", "≥ 0.85"),
    ("uncovered_no_answer", "uncovered -> no_answer", "≥ 0.80"),
    ("no_answer_precision", "no_answer precision", ""),
    ("no_answer_recall", "no_answer recall", ""),
    ("paraphrase_consistency", "paraphrase consistency", "≥ 0.90"),
)


def _real_use(real: dict[str, Any]) -> list[str]:
    test, dev = real["test"], real["dev"]
    lines = [
        f"Real-use evaluation (test split: {test['questions']} questions, never tuned on;"
        f" dev: {dev['questions']})",
        f"  {'measure':<46}{'test':>8}{'dev':>8}  target",
    ]
    for key, label, target in REAL_USE_ROWS:
        lines.append(f"  {label:<46}{test[key]!s:>8}{dev[key]!s:>8}  {target}")
    lines.append("  correct verdicts by register (test):")
    lines += [f"    {reg:<44}{rate!s:>8}" for reg, rate in test["by_register"].items()]
    return lines
