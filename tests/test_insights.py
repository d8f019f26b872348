"""Admin insights: grouping quality on unseen paraphrases, and the report from a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from bot.coach import Coach
from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.insights import cluster, format_markdown, group_questions
from tests.helpers import CORPUS, DATA, ROOT, LiveServer, web_server
from tests.services import app_env

TOKEN = "insights-token-abcdefghijklmnop"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMELINE = [
    "How long does it take to become a medical director?",
    "How many years until I can be a medical director?",
    "What's the typical timeline to reach a medical director role?",
    "How soon after residency could I become a medical director?",
]
DEGREE = [
    "Should I get an MBA or an MHA?",
    "Should I get an MBA or an MHA?",
    "MBA vs MHA for physician leadership, which is better?",
]
EHR_GAP = [
    "What is the best EHR vendor for a small clinic?",
    "Which EHR system should my hospital buy?",
]
SALARY_GAP = [
    "What is the average medical director salary in Canada?",
    "How much do medical directors earn in Texas?",
]
DECLINED = [
    "What dose of metoprolol should I give?",
    "How should I treat my patient's pneumonia?",
    "What's the weather in Paris?",
]
STRONG = (
    "As associate chief I led a readmission programme: I reviewed the data with finance, "
    "brought nursing and case management into a weekly huddle, and we cut 30-day readmissions "
    "from 18% to 13% in a year, saving $1.2M, while I kept the board informed monthly."
)
COUNTED: list[str] = []
PATIENT = "My patient John Smith (DOB 03/12/1961) inspired me: what does a medical director do?"


def test_grouping_holds_on_unseen_paraphrases(embeddings: MiniLMEmbeddings) -> None:
    groups = yaml.safe_load((DATA / "insights_groups.yaml").read_text("utf-8"))["holdout"]
    texts = [q for group in groups for q in group]
    truth = [i for i, group in enumerate(groups) for _ in group]
    assert adjusted_rand_score(truth, cluster(embeddings.matrix(texts))) >= 0.7


def test_groups_count_repeats_and_pick_a_central_example(embeddings: MiniLMEmbeddings) -> None:
    groups = group_questions([*TIMELINE, *DEGREE, " ", "Where do I find openings?"], embeddings)
    assert [g["count"] for g in groups][:2] == [4, 3]
    assert groups[0]["example"] in TIMELINE and len(groups[0]["also"]) == 2
    assert group_questions([], embeddings) == [] and len(group_questions(["one"], embeddings)) == 1


@pytest.fixture(scope="module")
def scripted(
    tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings, coach: Coach
) -> Iterator[tuple[LiveServer, Coach]]:
    """A fresh store, a real server with an admin token, and a scripted set of conversations."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("insights"), corpus_dir=CORPUS)
    fresh = Coach(settings, embeddings=embeddings, store=coach.store)
    with web_server(fresh, ui=False, admin_token=TOKEN, rate_limit="1000/minute") as live:
        _converse(live)
        yield live, fresh


def _ask(live: LiveServer, message: str, sid: str | None = None) -> dict[str, Any]:
    body = {"message": message, "session_id": sid}
    reply = httpx.post(live.url + "/api/chat", json=body, timeout=60)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _converse(live: LiveServer) -> None:
    for question in TIMELINE:  # answered or no_answer: both are questions asked
        assert _ask(live, question)["verdict"] != "declined", question
    for question in DEGREE:
        reply = _ask(live, question)
        if reply["verdict"] != "declined" and reply["reason"] != "greeting":
            COUNTED.append(question)
    assert _ask(live, PATIENT)["verdict"] != "declined"
    liked = _ask(live, TIMELINE[0])
    gaps = [_ask(live, q) for q in [*EHR_GAP, *SALARY_GAP]]
    assert {g["verdict"] for g in gaps} == {"no_answer"}
    assert {_ask(live, q)["verdict"] for q in DECLINED} == {"declined"}
    for reply, rating in ((liked, 1), (gaps[0], -1)):
        vote = {"session_id": reply["session_id"], "rating": rating, "answer": reply["answer"]}
        assert httpx.post(live.url + "/api/feedback", json=vote).status_code == 200
    started = httpx.post(live.url + "/api/interview/start", json={"questions": 2, "seed": 7})
    interview = started.json()
    for answer in (STRONG, "I would ask my manager what to do."):
        result = httpx.post(
            f"{live.url}/api/interview/{interview['interview_id']}/answer",
            json={"answer": answer},
            timeout=60,
        )
        assert result.status_code == 200, result.text


@pytest.mark.slow  # a real server, a scripted set of conversations
def test_the_report_groups_questions_gaps_declines_votes_and_scores(
    scripted: tuple[LiveServer, Coach],
) -> None:
    live, _ = scripted
    reply = httpx.get(live.url + "/api/admin/insights?days=7", headers=AUTH, timeout=120)
    assert reply.status_code == 200, reply.text
    report = reply.json()
    top = report["top_questions"]
    assert top[0]["count"] == 5 and top[0]["example"] in TIMELINE  # four asks and a repeat
    if COUNTED:  # the degree questions the guard let through form one group
        assert any(g["count"] == len(COUNTED) and g["example"] in COUNTED for g in top), top
    gaps = {g["example"]: g for g in report["no_answer"]}
    assert [gaps[q]["count"] for q in gaps if q in EHR_GAP] == [2]
    assert [gaps[q]["count"] for q in gaps if q in SALARY_GAP] == [2]
    assert {d["reason"]: d["count"] for d in report["declines"]} == {
        "clinical advice": 2,
        "off topic": 1,
    }
    feedback = report["feedback"]
    assert (feedback["up"], feedback["down"]) == (1, 1)
    assert {(v["rating"], v["question"]) for v in feedback["votes"]} == {
        ("up", TIMELINE[0]),
        ("down", EHR_GAP[0]),
    }
    interviews = report["interviews"]
    assert (interviews["started"], interviews["completed"], interviews["answers"]) == (1, 1, 2)
    assert all(1 <= c["average"] <= 5 and c["name"] for c in interviews["by_competency"])
    dumped = json.dumps(report)
    assert "John" not in dumped and "1961" not in dumped and "[NAME]" in dumped


@pytest.mark.slow  # a real server, a scripted set of conversations
def test_the_cli_prints_the_same_report_as_markdown(scripted: tuple[LiveServer, Coach]) -> None:
    _, fresh = scripted
    env = app_env(data_dir=fresh.settings.data_dir, corpus_dir=CORPUS)
    run = subprocess.run(
        [sys.executable, "-m", "bot", "insights", "--days", "7"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    text = run.stdout
    assert text.startswith("# Director Coach insights: last 7 days")
    assert "## Not covered by the guides (no_answer)" in text and "EHR" in text
    assert "**5×**" in text and "clinical advice: 2" in text and "John" not in text
    as_json = subprocess.run(
        [sys.executable, "-m", "bot", "insights", "--days", "7", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert json.loads(as_json.stdout)["feedback"]["down"] == 1
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "insights", "--days", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: days must be")


def test_markdown_shows_stored_text_as_text() -> None:
    report: dict[str, Any] = {
        "days": 1,
        "since": "a",
        "generated": "b",
        "conversations": 1,
        "questions": 1,
        "top_questions": [{"count": 1, "example": "![x](http://evil/x.png) `code`", "also": []}],
        "no_answer": [],
        "declines": [],
        "feedback": {"up": 0, "down": 0, "votes": []},
        "interviews": {
            "started": 0,
            "completed": 0,
            "answers": 0,
            "average_overall": None,
            "by_competency": [],
        },
    }
    text = format_markdown(report)
    assert "`![x](http://evil/x.png) 'code'`" in text
