"""The default guides, shipped as `bot.resources.corpus`; only the documents are ingested."""
