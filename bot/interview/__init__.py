"""Mock medical-director interviews: question bank, plan, rubric, feedback and scorecard."""

from __future__ import annotations

from bot.interview.bank import COMPETENCY_IDS, DIMENSIONS, SETTINGS
from bot.interview.service import InterviewService

__all__ = ["COMPETENCY_IDS", "DIMENSIONS", "SETTINGS", "InterviewService"]
