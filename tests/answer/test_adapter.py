"""Query adapter: a learned map that moves a question's vector toward the sentence that answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.answer.adapter import ADAPTER_FILE, QueryAdapter, fit_adapter, load_adapter, save_adapter
from bot.answer.ranking import FEATURES, make_ranker
from bot.config import Settings
from bot.schemas import Passage

ADAPTED = FEATURES.index("adapted")


def _unit(v: np.ndarray) -> np.ndarray:
    return np.asarray(v / np.linalg.norm(v, axis=-1, keepdims=True), np.float32)


def _problem(rng: np.random.Generator, n: int, turn: np.ndarray) -> tuple[list, list, list]:
    """Questions whose answer is `turn` away from them, beside a decoy that echoes them."""
    dim = len(turn)
    questions, candidates, gold = [], [], []
    for _ in range(n):
        q = _unit(rng.normal(size=dim))
        answer = _unit(q + turn @ q + 0.2 * rng.normal(size=dim))
        decoy = _unit(q + 0.7 * rng.normal(size=dim))  # shares the question's words, answers not
        others = _unit(rng.normal(size=(4, dim)))
        questions.append(q)
        candidates.append(np.vstack([answer, decoy, others]))
        gold.append(np.asarray([True, False, False, False, False, False]))
    return questions, candidates, gold


def _top1(adapter: QueryAdapter, questions: list, candidates: list) -> float:
    picks = [
        int(np.argmax(c @ adapter.adapt(q))) for q, c in zip(questions, candidates, strict=True)
    ]
    return float(np.mean([p == 0 for p in picks]))


def test_fit_learns_the_direction_from_question_to_answer() -> None:
    rng = np.random.default_rng(0)
    turn = 1.5 * rng.normal(size=(16, 16)) / 4.0  # a fixed linear turn
    train = _problem(rng, 200, turn)
    unseen = _problem(rng, 100, turn)
    matrix = fit_adapter(*train, steps=400)
    raw, adapted = QueryAdapter(), QueryAdapter(matrix)
    assert _top1(raw, unseen[0], unseen[1]) < 0.7  # the decoy often wins on raw cosine
    assert _top1(adapted, unseen[0], unseen[1]) >= _top1(raw, unseen[0], unseen[1]) + 0.2
    assert np.array_equal(matrix, fit_adapter(*train, steps=400))  # deterministic


def test_adapter_without_a_fitted_matrix_is_the_identity(tmp_path: Path) -> None:
    q = _unit(np.arange(1.0, 5.0))
    assert np.allclose(QueryAdapter().adapt(q), q)
    assert np.allclose(QueryAdapter(np.ones((3, 3))).adapt(q), q)  # another model's width
    assert load_adapter(tmp_path).matrix is None
    matrix = np.full((4, 4), 0.25, np.float32)
    save_adapter(tmp_path, matrix)
    loaded = load_adapter(tmp_path)
    assert loaded.matrix is not None and np.allclose(loaded.matrix, matrix)
    assert np.allclose(loaded.adapt(q), _unit(q + matrix @ q))


def test_shipped_adapter_fits_the_model_and_feeds_the_ranker(embeddings) -> None:  # type: ignore[no-untyped-def]
    folder = Settings().prompts_dir
    assert (folder / ADAPTER_FILE).exists()
    adapter = load_adapter(folder)
    assert adapter.matrix is not None and adapter.matrix.shape == (embeddings.dimension,) * 2
    ranker = make_ranker(embeddings, folder=folder)
    q = np.asarray(embeddings.embed_query("How long does the path to director take?"))
    assert not np.allclose(adapter.adapt(q), q)  # it moves questions
    passage = Passage(
        "s.md", "Guide", "Timeline", "Most take five to ten years. Leadership matters a lot.", 0.6
    )
    found, rows = ranker.features("How long does the path to director take?", [passage])
    svecs = embeddings.matrix([f.text for f in found])
    assert rows[:, ADAPTED] == pytest.approx(svecs @ adapter.adapt(q), abs=1e-5)
