"""Retrieval stage: condense follow-ups, then hybrid dense + BM25 search with a relevance floor."""
