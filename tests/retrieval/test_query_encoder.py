"""Query encoder: MiniLM's top layers fine-tuned to read a question as its answer (real model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from bot.ingest.embeddings import MiniLMEmbeddings
from bot.retrieval.hybrid import HybridRetriever
from bot.retrieval.query_encoder import (
    ENCODER_FILE,
    fit_query_encoder,
    load_query_encoder,
    save_query_encoder,
)
from bot.text import plain

SENTENCES = [
    "Most medical directors have at least five to ten years of clinical practice.",
    "A mentor who has held the role can open doors and review your plans.",
    "Tailor your CV to highlight leadership roles and measurable results.",
    "Board certification in your specialty is expected by most employers.",
    "Quality improvement projects give you evidence of leading change.",
    "Networking at conferences surfaces openings before they are posted.",
]
# Sceptical or personal wordings whose words point away from their answer.
QUESTIONS = [
    ("I've only been an attending for three years, am I kidding myself?", 0),
    ("honestly how long do ppl usually practise before they get the job", 0),
    ("Nobody around me has done this, who could actually guide me?", 1),
    ("my resume is just a list of rotations, what should it show instead", 2),
    ("Does it matter that I never sat the boards in my field?", 3),
    ("I've never run anything big, what would prove I can lead?", 4),
    ("how do people even hear about these jobs before theyre advertised", 5),
    ("is it all about who you know at meetings and events", 5),
]


def _top1(vectors: np.ndarray, rows: np.ndarray) -> float:
    picks = np.argmax(vectors @ rows.T, axis=1)
    return float(np.mean([p == g for p, (_, g) in zip(picks, QUESTIONS, strict=True)]))


@pytest.fixture(scope="module")
def fitted(embeddings: MiniLMEmbeddings) -> tuple[Any, np.ndarray]:
    rows = embeddings.encode(SENTENCES)
    model = fit_query_encoder(
        embeddings.model_path, [q for q, _ in QUESTIONS], rows, [[g] for _, g in QUESTIONS]
    )
    return model, rows


def test_fit_moves_questions_toward_the_sentences_that_answer(
    embeddings: MiniLMEmbeddings, fitted: tuple[Any, np.ndarray]
) -> None:
    model, rows = fitted
    questions = [q for q, _ in QUESTIONS]
    before = _top1(embeddings.encode(questions), rows)
    after = _top1(model.encode(questions, normalize_embeddings=True), rows)
    assert before < 1.0
    assert after > before
    # Only the question side changes: the base model, which the guides' vectors come from, is
    # untouched by the fit.
    assert np.allclose(embeddings.encode(SENTENCES), rows, atol=1e-6)


def test_saved_layers_load_as_the_fitted_reader(
    embeddings: MiniLMEmbeddings, fitted: tuple[Any, np.ndarray], tmp_path: Path
) -> None:
    model, _ = fitted
    save_query_encoder(model, tmp_path)
    assert (tmp_path / ENCODER_FILE).stat().st_size < 10_000_000  # two layers, float16
    encoder = load_query_encoder(embeddings.model_path, tmp_path)
    assert encoder is not None
    question = QUESTIONS[0][0]
    expected = model.encode([question], normalize_embeddings=True)[0]
    assert float(encoder.embed_query(question) @ expected) > 0.999  # float16 rounding only


def test_missing_or_foreign_layers_leave_minilm_alone(
    embeddings: MiniLMEmbeddings, tmp_path: Path
) -> None:
    assert load_query_encoder(embeddings.model_path, tmp_path) is None
    layer = {"5.attention.self.query.weight": torch.zeros(384, 384)}
    save_file(layer, str(tmp_path / ENCODER_FILE), metadata={"base": "another-model"})
    assert load_query_encoder(embeddings.model_path, tmp_path) is None


def _gold_in_top4(retriever: HybridRetriever, items: list[dict[str, Any]]) -> int:
    hits = 0
    for item in items:
        spans = [plain(a) for a in item["gold"][0].split(" | ")]
        found = retriever.retrieve(item["q"], 4, floor=0.0)
        hits += any(any(s in plain(p.text) for s in spans) for p in found)
    return hits


def test_shipped_encoder_finds_answers_minilm_misses(coach: Any) -> None:
    """Sceptical and personal wordings from the labelled questions reach their gold passage."""
    from bot.evaluate import DATA, load_items

    retriever = coach.retriever
    assert retriever.query_encoder is not None  # fitted layers ship in prompts/
    items = [
        i
        for i in load_items(DATA / "eval_dev.yaml")
        if i["expect"] == "answered" and i["register"] in ("emotional", "context")
    ]
    with_encoder = _gold_in_top4(retriever, items)
    encoder, retriever.query_encoder = retriever.query_encoder, None
    try:
        without = _gold_in_top4(retriever, items)
    finally:
        retriever.query_encoder = encoder
    assert with_encoder > without


def test_best_sentences_scores_every_chunk_by_its_best_sentence(coach: Any) -> None:
    retriever = coach.retriever
    vector = retriever.sentence_matrix[7]
    best = retriever.best_sentences(vector)
    assert len(best) == len(retriever.chunks) and len(retriever.sentence_texts) == len(
        retriever.sentence_matrix
    )
    for cid, chunk in retriever.chunks.items():
        assert np.isclose(best[chunk.row], float((retriever.sentence_rows[cid] @ vector).max()))


def test_an_empty_corpus_retrieves_nothing(make_settings: Any, tmp_path: Path) -> None:
    from bot.coach import Coach

    empty = tmp_path / "no-guides"
    empty.mkdir()
    coach = Coach(make_settings(corpus_dir=empty))
    assert coach.retriever.sentence_matrix.shape[0] == 0
    assert coach.retriever.best_sentences(np.ones(384, np.float32)).shape == (0,)
    assert coach.retrieve("How long does it take to become a medical director?") == []
