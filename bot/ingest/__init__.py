"""Ingest stage: read the guides, chunk them by heading, embed them and sync the Chroma index."""
