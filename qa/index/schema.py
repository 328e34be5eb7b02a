"""The local index's SQLite tables and its format version: what `qa.index.store.Store` reads and
`qa.index.store_writer.StoreWriter` writes, created in one transaction."""

from __future__ import annotations

import contextlib
import sqlite3

from ..errors import QAError

DB_NAME = "qa.sqlite3"  # in the index folder, beside the vector files
# 2: resolved dates per paragraph (paragraph_dates), wire-copy clusters (paragraphs.cluster, wire_bands)
FORMAT_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT, date TEXT, byline TEXT, url TEXT,
    origin TEXT, origin_hash TEXT,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS articles_origin ON articles(origin);
CREATE INDEX IF NOT EXISTS articles_date ON articles(date);  -- a time question's bounds (qa.search.timeframe)
CREATE TABLE IF NOT EXISTS paragraphs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    part INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    speakers TEXT NOT NULL DEFAULT '[]',
    cluster INTEGER  -- wire copies share it: the id of the first-indexed paragraph of the group; NULL if alone
);
CREATE INDEX IF NOT EXISTS paragraphs_article ON paragraphs(article_id, number, part);
CREATE INDEX IF NOT EXISTS paragraphs_cluster ON paragraphs(cluster) WHERE cluster IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS paragraphs_fts USING fts5(text, tokenize='porter unicode61');
-- Dates the paragraph mentions, resolved against its article's publication date (qa.ingest.dates).
CREATE TABLE IF NOT EXISTS paragraph_dates (
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL,
    first TEXT NOT NULL, last TEXT NOT NULL, granularity TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS paragraph_dates_paragraph ON paragraph_dates(paragraph_id);
CREATE INDEX IF NOT EXISTS paragraph_dates_span ON paragraph_dates(first, last);
-- MinHash LSH bands of searchable paragraphs, to find wire copies (qa.ingest.wire).
CREATE TABLE IF NOT EXISTS wire_bands (
    band INTEGER NOT NULL,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    PRIMARY KEY (band, paragraph_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wire_bands_paragraph ON wire_bands(paragraph_id);
"""

# Who said what (qa.ingest.attribution): one row per speaker of an article, one per attributed statement.
SPEAKER_SCHEMA = """
CREATE TABLE IF NOT EXISTS speakers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    descriptors TEXT NOT NULL DEFAULT '[]',
    kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS speakers_article ON speakers(article_id);
CREATE TABLE IF NOT EXISTS statements (
    speaker_id INTEGER NOT NULL REFERENCES speakers(id) ON DELETE CASCADE,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    cue TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    reference TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS statements_speaker ON statements(speaker_id);
CREATE INDEX IF NOT EXISTS statements_paragraph ON statements(paragraph_id);
"""


def create_schema(db: sqlite3.Connection) -> None:
    """Create the tables in one transaction, so a crash while creating leaves no half-made index."""
    try:
        db.executescript(
            "BEGIN IMMEDIATE;\n" + SCHEMA + SPEAKER_SCHEMA
            + f"INSERT OR IGNORE INTO meta VALUES ('format_version', '{FORMAT_VERSION}'), ('generation', '0');\n"
            + "COMMIT;"
        )
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error, QAError):
                db.execute("ROLLBACK")
        raise
