"""Prompt templates and the interview question bank, shipped as `bot.resources.prompts`."""
