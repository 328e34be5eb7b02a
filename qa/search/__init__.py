"""Finding the passages for a question: hybrid dense + BM25 retrieval with filters, dates and wire
copies collapsed (retriever); the measures every search shares, the result it returns and the evidence
used to abstain (ranking); "what did X say?" questions (speakers, speaker_search, with the learned
weights and cue words beside them). Imports qa.index (the store contract and records), qa.ingest and
the base."""
