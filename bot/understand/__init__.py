"""Question understanding: normalise casual typing, split context from questions."""

from bot.understand.parse import Context, Understander, Understanding, make_understander

__all__ = ["Context", "Understander", "Understanding", "make_understander"]
