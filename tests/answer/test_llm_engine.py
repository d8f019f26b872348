"""The LLM chain with a scripted chat model: support check, citations, fallbacks, feedback.

Also the start-up errors of `make_llm`, and (with langchain-openai installed) the OpenAI-compatible
client against real local HTTP servers that refuse, hang or fail.
"""

from __future__ import annotations

import http.server
import re
import socket
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from bot.answer.grounded import GroundedEngine
from bot.answer.llm import make_llm
from bot.answer.llm_engine import UNAVAILABLE_NOTE, UNSUPPORTED_NOTE, LLMEngine, clean_query
from bot.config import Settings
from bot.errors import BotError
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.schemas import Answer, Passage
from tests.answer.test_support import CERTIFICATION, EXPERIENCE, MENTORSHIP
from tests.helpers import free_port

MARKER = re.compile(r"\[(\d+)\]")
PASSAGES = [
    Passage("a.md", "Guide A", "Step 2: Gain Clinical Experience", EXPERIENCE, 0.8, "c1"),
    Passage("a.md", "Guide A", "Step 5: Certification", CERTIFICATION, 0.7, "c2"),
    Passage("a.md", "Guide A", "Step 4: Seek Mentorship", MENTORSHIP, 0.6, "c3"),
]
GOOD = (
    "Most Medical Directors have at least 5-10 years of clinical practice [1]. "
    "The American Board of Medical Management offers a Certified Physician Executive (CPE) "
    "credential [2]."
)
QUESTION = "How long does it take and what certification helps?"


class ScriptedChat(BaseChatModel):
    """Reply with the scripted texts in turn (an Exception is raised); record every prompt."""

    replies: list[Any]
    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.prompts.append(messages)
        reply = self.replies[min(len(self.prompts), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


def engine_with(embeddings: MiniLMEmbeddings, *replies: Any) -> tuple[LLMEngine, ScriptedChat]:
    chat = ScriptedChat(replies=list(replies))
    return LLMEngine(chat, embeddings, GroundedEngine(embeddings), Settings()), chat


def ask(engine: LLMEngine, question: str = QUESTION) -> Answer:
    return engine.answer(question, question, PASSAGES, [])


def assert_citations_valid(answer: Answer) -> None:
    markers = {int(n) for n in MARKER.findall(answer.answer)}
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert markers == set(numbers), (markers, numbers)
    assert all(c.text in {p.text for p in PASSAGES} for c in answer.citations)


def test_grounded_reply_passes_with_valid_citations(embeddings: MiniLMEmbeddings) -> None:
    engine, chat = engine_with(embeddings, GOOD)
    answer = ask(engine)
    assert answer.verdict == "answered"
    assert "5-10 years of clinical practice [1]" in answer.answer
    assert "(CPE) credential [2]" in answer.answer
    assert [c.section for c in answer.citations] == [PASSAGES[0].section, PASSAGES[1].section]
    assert_citations_valid(answer)
    prompt = chat.prompts[0][-1].text
    assert "[1]" in prompt and "[3]" in prompt and QUESTION in prompt


def test_invented_sentence_is_removed(embeddings: MiniLMEmbeddings) -> None:
    invented = "The CPE exam costs $2,500 and has a 95% pass rate [1]."
    engine, _ = engine_with(embeddings, f"{GOOD} {invented}")
    answer = ask(engine)
    assert "2,500" not in answer.answer and "95%" not in answer.answer
    assert "5-10 years" in answer.answer and UNSUPPORTED_NOTE not in answer.answer
    assert_citations_valid(answer)


def test_wrong_marker_is_repointed(embeddings: MiniLMEmbeddings) -> None:
    reply = "Many professional organizations offer formal mentorship programs [1]."
    engine, _ = engine_with(embeddings, reply)
    answer = ask(engine)
    assert answer.answer == "Many professional organizations offer formal mentorship programs [1]."
    assert [c.section for c in answer.citations] == ["Step 4: Seek Mentorship"]


def test_marker_beyond_the_passages_is_removed(embeddings: MiniLMEmbeddings) -> None:
    reply = f"{GOOD} Mentors can provide structured guidance and support [9]."
    engine, _ = engine_with(embeddings, reply)
    answer = ask(engine)
    assert "[9]" not in answer.answer
    assert_citations_valid(answer)
    assert len(answer.citations) == 3  # the [9] sentence re-pointed to the mentorship passage


def test_citations_renumber_by_first_appearance(embeddings: MiniLMEmbeddings) -> None:
    reply = (
        "Many professional organizations offer formal mentorship programs [3]. "
        "Most Medical Directors have at least 5-10 years of clinical practice [1]."
    )
    engine, _ = engine_with(embeddings, reply)
    answer = ask(engine)
    assert answer.answer.endswith("programs [1]. Most Medical Directors have at least 5-10 "
                                  "years of clinical practice [2].")  # fmt: skip
    assert answer.citations[0].section == "Step 4: Seek Mentorship"
    assert_citations_valid(answer)


@pytest.mark.parametrize(
    ("reply", "note"),
    [
        (ConnectionError("endpoint down"), UNAVAILABLE_NOTE),
        (TimeoutError("too slow"), UNAVAILABLE_NOTE),
        ("", UNAVAILABLE_NOTE),
        ("   \n  ", UNAVAILABLE_NOTE),
        ("zxq vbnm asdf qwerty lorem ipsum 42 mg.", UNSUPPORTED_NOTE),
        ("You should take 50 mg of metoprolol twice daily [1].", UNSUPPORTED_NOTE),
    ],
)
def test_failures_fall_back_to_grounded_with_a_note(
    embeddings: MiniLMEmbeddings, reply: Any, note: str
) -> None:
    engine, _ = engine_with(embeddings, reply)
    answer = ask(engine)
    grounded = GroundedEngine(embeddings).answer(QUESTION, QUESTION, PASSAGES, [])
    assert answer.verdict == "answered"
    assert answer.answer == grounded.answer + "\n\n" + note
    assert [c.text for c in answer.citations] == [c.text for c in grounded.citations]


def test_no_passages_means_no_model_call(embeddings: MiniLMEmbeddings) -> None:
    engine, chat = engine_with(embeddings, GOOD)
    answer = engine.answer("What is the salary?", "What is the salary?", [], [])
    assert answer.verdict == "no_answer" and chat.prompts == []


def test_stream_yields_the_checked_text(embeddings: MiniLMEmbeddings) -> None:
    engine, _ = engine_with(embeddings, f"{GOOD} The CPE exam costs $2,500 [2].")
    events = list(engine.stream(QUESTION, QUESTION, PASSAGES, []))
    final = events[-1]
    assert isinstance(final, Answer)
    assert "".join(e for e in events[:-1] if isinstance(e, str)) == final.answer
    assert "2,500" not in final.answer


def test_condense_uses_the_model_and_falls_back(embeddings: MiniLMEmbeddings) -> None:
    previous = ["What does the CPE certification involve?"]
    engine, chat = engine_with(embeddings, "Standalone question: How hard is the CPE exam?")
    assert engine.condense("How hard is the exam?", previous, []) == "How hard is the CPE exam?"
    assert "CPE certification" in chat.prompts[0][-1].text
    failing, _ = engine_with(embeddings, ConnectionError("down"))
    grounded = GroundedEngine(embeddings).condense("and the exam?", previous, [])
    assert failing.condense("and the exam?", previous, []) == grounded
    junk, _ = engine_with(embeddings, "Sure! " * 80)
    assert junk.condense("and the exam?", previous, []) == grounded
    unused, chat = engine_with(embeddings, "never used")
    assert unused.condense("What skills matter?", [], []) == "What skills matter?"
    assert chat.prompts == []


def test_clean_query_rejects_off_topic_rewrites() -> None:
    assert clean_query('"What is the CPE exam like?"', "and the exam?", ["CPE"]) == (
        "What is the CPE exam like?"
    )
    assert clean_query("The weather in Paris is sunny today.", "and the exam?", ["CPE"]) is None
    assert clean_query("", "and the exam?", ["CPE"]) is None


FEEDBACK = (
    "Score: 2.6/5 (relevance 3, structure 2, specificity 2, outcome 3, leadership 3).\n\n"
    "What was missing:\n"
    "- Find a mentor with experience in healthcare leadership [1]\n"
    "- Consider the Certified Physician Executive credential [2]\n\n"
    "Follow-up: How would you find a mentor?"
)
FINDINGS: dict[str, Any] = {
    "missing": [
        {"text": "Find a mentor with experience in healthcare leadership", "n": 1},
        {"text": "Consider the Certified Physician Executive credential", "n": 2},
    ],
    "part": "feedback",
}


def test_phrase_feedback_keeps_a_faithful_rephrasing(embeddings: MiniLMEmbeddings) -> None:
    phrased = (
        "Score: 2.6/5 (relevance 3, structure 2, specificity 2, outcome 3, leadership 3).\n\n"
        "What was missing:\n"
        "- Finding a mentor with experience in healthcare leadership [1]\n"
        "- Considering the Certified Physician Executive credential [2]\n\n"
        "Follow-up: How would you go about finding a mentor?"
    )
    engine, _ = engine_with(embeddings, phrased)
    assert engine.phrase_feedback(FEEDBACK, FINDINGS) == phrased


@pytest.mark.parametrize(
    "reply",
    [
        FEEDBACK.replace(" [2]", ""),  # a marker lost
        FEEDBACK.replace("2.6/5", "4.5/5"),  # a score changed
        FEEDBACK + "\nAlso, the CPE exam costs $2,500 at Harvard.",  # an invented claim
        ConnectionError("down"),
        "",
    ],
)
def test_phrase_feedback_returns_the_original_on_failure(
    embeddings: MiniLMEmbeddings, reply: Any
) -> None:
    engine, _ = engine_with(embeddings, reply)
    assert engine.phrase_feedback(FEEDBACK, FINDINGS) == FEEDBACK


def test_declined_questions_never_reach_the_engine(
    coach: Any, embeddings: MiniLMEmbeddings, tmp_path: Path
) -> None:
    from bot.coach import Coach

    engine, chat = engine_with(embeddings, GOOD)
    settings = Settings(data_dir=tmp_path, corpus_dir=coach.settings.corpus_dir)
    llm_coach = Coach(settings, embeddings=embeddings, store=coach.store, engine=engine)
    answer = llm_coach.ask("What dose of metoprolol should I give?")
    assert answer.verdict == "declined" and chat.prompts == []


# --- make_llm: start-up errors and the OpenAI-compatible client ------------------------------


def test_missing_gguf_is_a_clear_startup_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model.gguf"
    with pytest.raises(BotError) as err:
        make_llm(Settings(llm="local", llm_model=str(missing)))
    assert err.value.code == "llm_config" and str(missing) in err.value.message


def test_openai_without_endpoint_or_model_is_a_startup_error() -> None:
    with pytest.raises(BotError) as err:
        make_llm(Settings(llm="openai", llm_base_url="", llm_model=""))
    assert err.value.code == "llm_config" and "BOT_LLM_BASE_URL" in err.value.message
    with pytest.raises(BotError):
        make_llm(Settings(llm="openai", llm_base_url="localhost:8080", llm_model="m"))


def test_openai_client_settings() -> None:
    pytest.importorskip("langchain_openai", reason="needs the optional llm extra")
    chat: Any = make_llm(
        Settings(llm="openai", llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_timeout=3)
    )
    assert chat.request_timeout == 3 and chat.max_retries == 0 and chat.model_name == "m"


class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "500"

    def do_POST(self) -> None:
        if self.mode == "hang":
            threading.Event().wait(5)
            return
        body = b'{"error": "boom"}' if self.mode == "500" else b"not json at all"
        self.send_response(500 if self.mode == "500" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(mode: str) -> Generator[str, None, None]:
    handler = type("Handler", (_Handler,), {"mode": mode})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> Generator[str, None, None]:
    port = free_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    yield f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize("mode", ["closed", "500", "garbage", "hang"])
def test_openai_endpoint_failures_fall_back(embeddings: MiniLMEmbeddings, mode: str) -> None:
    pytest.importorskip("langchain_openai", reason="needs the optional llm extra")
    urls = _closed_port() if mode == "closed" else _serve(mode)
    url = next(urls)
    try:
        settings = Settings(llm="openai", llm_base_url=url, llm_model="m", llm_timeout=1)
        engine = LLMEngine(make_llm(settings), embeddings, GroundedEngine(embeddings), settings)
        answer = ask(engine)
        assert answer.verdict == "answered" and answer.answer.endswith(UNAVAILABLE_NOTE)
        assert_citations_valid(answer)
    finally:
        urls.close()
