"""Query encoder: MiniLM with its top layers fine-tuned to put a question near its answer.

MiniLM reads a question by its topic, so a sceptical or personal wording ("I've bounced between
three hospitals, does that make me look flaky?") lands among passages about the topic rather than
on the sentence that answers it. The query encoder is a copy of the model whose top LAYERS
transformer layers are fine-tuned on the labelled development questions: each question, as the
pipeline reads it, should be nearer its gold sentence than every other sentence of the guides (a
softmax over all the index's sentence vectors, at SCALE). Only the question side changes: the
guides keep the vectors the index already stores, so nothing is re-embedded.

Held out by writer (each dev batch left out of the fit in turn), the gold sentence's passage is
among the four nearest by dense retrieval alone for 0.75-0.92 of a batch's answerable questions,
against 0.42-0.67 with MiniLM alone. Retrieval adds the encoder's nearest passages as a third
fused list and orders the fused candidates by the mean of both readings
(`bot/retrieval/hybrid.py`).

The fitted layers live in `prompts/query_encoder.safetensors` (float16, about 7 MB), written by
`python -m bot.retrieval.query_encoder`; without the file, or with another embedding model,
retrieval reads questions with MiniLM alone.
"""

from __future__ import annotations

import copy
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.ingest.embeddings import _LOCK, _load_model

ENCODER_FILE = "query_encoder.safetensors"
# Mean top-4 passage recall of batches 9-11, each held out: 1 layer 0.77, 2 layers 0.81, 3 layers
# 0.83, all 6 layers 0.82; 5 epochs 0.83; learning rate 1e-4 0.82. Two layers keep the file small.
LAYERS = 2  # fine-tuned top layers
EPOCHS = 3
LEARNING_RATE = 5e-5
BATCH = 32
SCALE = 20.0  # cosines differ by hundredths; the softmax needs them spread
SEED = 13


class QueryEncoder:
    """Embed questions with the fine-tuned model (normalised, cached)."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._cached = lru_cache(maxsize=2048)(self._embed_one)

    def _embed_one(self, text: str) -> tuple[float, ...]:
        with _LOCK:
            vector = self._model.encode([text], normalize_embeddings=True, show_progress_bar=False)
        return tuple(float(x) for x in vector[0])

    def embed_query(self, text: str) -> np.ndarray:
        """Return the question's vector as the fine-tuned layers read it."""
        return np.asarray(self._cached(text), np.float32)


def _tokenize(model: Any, texts: list[str]) -> Any:
    """Return the model's input features for texts (`preprocess`; `tokenize` before 5.x)."""
    method = getattr(model, "preprocess", None) or model.tokenize
    return method(texts)


def _layers(model: Any) -> Any:
    return model[0].auto_model.encoder.layer


def _fingerprint(model: Any) -> str:
    """Return a short hash of the model's first layer: which base model layers were tuned on."""
    first = next(iter(_layers(model)[0].state_dict().values()))
    return hashlib.sha256(first.detach().float().numpy().tobytes()).hexdigest()[:16]


@lru_cache(maxsize=4)
def _load_encoder(model_path: str, weights: str, stamp: float) -> QueryEncoder | None:
    """Return the base model with the fitted layers loaded, shared by every stage of a process.

    None when the layers were tuned on another base model (another embedding model was set).
    """
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(weights, framework="pt") as handle:
        base = (handle.metadata() or {}).get("base")
    model = copy.deepcopy(_load_model(model_path))
    if base != _fingerprint(model):
        return None
    state = load_file(weights)
    for index, layer in enumerate(_layers(model)):
        prefix = f"{index}."
        part = {k[len(prefix) :]: v.float() for k, v in state.items() if k.startswith(prefix)}
        if not part:
            continue
        own = layer.state_dict()
        if set(part) != set(own) or any(part[k].shape != own[k].shape for k in own):
            return None
        layer.load_state_dict(part)
    model.eval()
    return QueryEncoder(model)


def load_query_encoder(model_path: str, folder: Path) -> QueryEncoder | None:
    """Load the fitted layers from the prompts folder; None without them or for another model."""
    weights = folder / ENCODER_FILE
    if not weights.exists():
        return None
    return _load_encoder(model_path, str(weights), weights.stat().st_mtime)


def save_query_encoder(model: Any, folder: Path) -> None:
    """Write the fine-tuned top layers (float16)."""
    from safetensors.torch import save_file

    layers = _layers(model)
    first = len(layers) - LAYERS
    state = {
        f"{first + i}.{name}": value.detach().half().contiguous()
        for i, layer in enumerate(layers[first:])
        for name, value in layer.state_dict().items()
    }
    save_file(state, str(folder / ENCODER_FILE), metadata={"base": _fingerprint(model)})


def fit_query_encoder(
    model_path: str, questions: list[str], sentences: np.ndarray, gold: list[list[int]]
) -> Any:
    """Fine-tune the top layers: each question toward its gold rows of `sentences`.

    `sentences` holds the index's sentence vectors (unit rows); `gold[i]` the rows that answer
    question i. Minimises the negative log-probability of the gold rows under a softmax over all
    rows (AdamW, mini-batches, seeded: the same data gives the same layers up to float noise).
    """
    import torch

    torch.manual_seed(SEED)
    model = copy.deepcopy(_load_model(model_path))
    for parameter in model.parameters():
        parameter.requires_grad = False
    layers = _layers(model)
    trained = [p for layer in layers[len(layers) - LAYERS :] for p in layer.parameters()]
    for parameter in trained:
        parameter.requires_grad = True
    optimiser = torch.optim.AdamW(trained, lr=LEARNING_RATE, weight_decay=0.01)
    rows = torch.tensor(np.asarray(sentences, np.float32))
    order = np.random.default_rng(SEED)
    model.train()
    for _ in range(EPOCHS):
        shuffled = order.permutation(len(questions))
        for start in range(0, len(shuffled), BATCH):
            batch = [int(i) for i in shuffled[start : start + BATCH]]
            features = _tokenize(model, [questions[i] for i in batch])
            q = torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)
            u = SCALE * q @ rows.T
            right = torch.zeros_like(u, dtype=torch.bool)
            for n, i in enumerate(batch):
                right[n, gold[i]] = True
            chosen = torch.logsumexp(u.masked_fill(~right, -torch.inf), dim=1)
            loss = (torch.logsumexp(u, dim=1) - chosen).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    return model


def training_pairs(coach: Any, items: list[dict[str, Any]]) -> tuple[list[str], list[list[int]]]:
    """Return the labelled question parts (as retrieval reads them) and their gold sentence rows.

    Rows index `coach.retriever.sentence_texts`; a part whose gold the guides no longer hold is
    left out.
    """
    from bot.refit import labelled_parts
    from bot.text import plain

    texts = [plain(t) for t in coach.retriever.sentence_texts]
    questions, gold = [], []
    for _, part, entry in labelled_parts(coach, items):
        spans = [plain(a) for a in entry.split(" | ")]
        rows = [k for k, t in enumerate(texts) if any(s in t for s in spans)]
        if rows:
            questions.append(part.query)
            gold.append(rows)
    return questions, gold


def main(argv: list[str] | None = None) -> None:
    """Fine-tune the query encoder on the development questions and write its layers.

    `--skip-batch N` (repeatable) leaves dev batch N out of the fit.
    """
    from bot.answer.ranking import training_items
    from bot.refit import refit_coach

    with refit_coach("python -m bot.retrieval.query_encoder", argv) as (coach, skip):
        questions, gold = training_pairs(coach, training_items(skip))
        path = coach.embeddings.model_path
        model = fit_query_encoder(path, questions, coach.retriever.sentence_matrix, gold)
        save_query_encoder(model, coach.settings.prompts_dir)
        print(f"{len(questions)} questions; layers written to {ENCODER_FILE}")


if __name__ == "__main__":
    main()
