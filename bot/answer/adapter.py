"""Query adapter: a learned linear map that moves a question's vector toward its answer.

MiniLM puts a question near the sentences that share its words and topic, which is often not
the sentence that answers it ("how long is the path" lands on a sentence about the path, not the
one that says "five to ten years"). The adapter is a matrix `A` fitted on the labelled questions:
the question vector `q` becomes `q + A q` (normalised), and a softmax over each question's
candidate sentences, at temperature TEMPERATURE, should pick its gold sentence. An L2 penalty
keeps `A` small, so an unseen kind of question keeps close to MiniLM's own reading.

Cross-validated by paraphrase group on the development questions, the adapted cosine alone puts
the gold sentence first 72% of the time, against 50% for the raw cosine; held out by writer
(each dev batch 7-10 left out of the fit in turn) it gains 12 to 36 points. The ranker uses it
as its `adapted` feature. The matrix lives in `prompts/query_adapter.npy` (float16), written by
`python -m bot.answer.ranking`; without it, the adapted cosine is the raw cosine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.resources import prompts_dir

ADAPTER_FILE = "query_adapter.npy"
L2 = 0.01  # penalty on A; cross-validated top-1: 0.001 -> 0.71, 0.01 -> 0.72, 0.1 -> 0.68
STEPS = 100  # full-batch Adam steps (30 -> 0.71, 60 and 150 -> 0.72)
LEARNING_RATE = 1e-3
TEMPERATURE = 20.0  # cosines differ by hundredths; the softmax needs them spread


class QueryAdapter:
    """Map question vectors with a fitted matrix (the identity when there is none)."""

    def __init__(self, matrix: np.ndarray | None = None) -> None:
        self.matrix = None if matrix is None else np.asarray(matrix, np.float32)

    def adapt(self, qvec: np.ndarray) -> np.ndarray:
        """Return the adapted, normalised question vector."""
        q = np.asarray(qvec, np.float32)
        if self.matrix is not None and self.matrix.shape == (len(q), len(q)):
            q = q + self.matrix @ q
        return q / (float(np.linalg.norm(q)) or 1.0)


def load_adapter(folder: Path | None = None) -> QueryAdapter:
    """Load the fitted matrix from the prompts folder (identity when the file is missing)."""
    path = (folder or prompts_dir()) / ADAPTER_FILE
    return QueryAdapter(np.load(path) if path.exists() else None)


def save_adapter(folder: Path, matrix: np.ndarray) -> None:
    """Write the fitted matrix (float16: a quarter of the size, the same rankings)."""
    np.save(folder / ADAPTER_FILE, matrix.astype(np.float16))


def fit_adapter(
    questions: list[np.ndarray],
    candidates: list[np.ndarray],
    gold: list[np.ndarray],
    l2: float = L2,
    steps: int = STEPS,
) -> np.ndarray:
    """Fit `A`: question vectors, each question's candidate sentence vectors and gold flags.

    Minimises the mean negative log-probability of the gold sentences under a softmax of the
    adapted cosines, plus `l2` times the squared norm of A (PyTorch, which sentence-transformers
    brings; A starts at zero, so the fit is deterministic).
    """
    import torch

    width = max(len(c) for c in candidates)
    dim = len(questions[0])
    q = torch.tensor(np.stack(questions), dtype=torch.float32)
    s = torch.zeros(len(candidates), width, dim)
    real = torch.zeros(len(candidates), width, dtype=torch.bool)
    right = torch.zeros(len(candidates), width, dtype=torch.bool)
    for i, (c, g) in enumerate(zip(candidates, gold, strict=True)):
        s[i, : len(c)] = torch.tensor(np.asarray(c, np.float32))
        real[i, : len(c)] = True
        right[i, : len(c)] = torch.tensor(np.asarray(g, bool))
    a = torch.zeros(dim, dim, requires_grad=True)
    optimiser = torch.optim.Adam([a], lr=LEARNING_RATE)
    for _ in range(steps):
        optimiser.zero_grad()
        adapted = q + q @ a.T
        adapted = adapted / adapted.norm(dim=1, keepdim=True)
        u = TEMPERATURE * torch.einsum("gcd,gd->gc", s, adapted)
        every = torch.logsumexp(u.masked_fill(~real, -torch.inf), dim=1)
        chosen = torch.logsumexp(u.masked_fill(~right, -torch.inf), dim=1)
        loss = (every - chosen).mean() + l2 * (a**2).sum()
        loss.backward()
        optimiser.step()
    return np.asarray(a.detach().numpy(), np.float32)
