"""Scope guard: decide in code whether a message is a career question, before any model runs."""
