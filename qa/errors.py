"""Errors a user can act on.

Library code raises these instead of printing or exiting; only the CLI turns them into exit codes.
"""


class QAError(Exception):
    """Something went wrong that the user can fix; the message says what and what to do."""


class IndexMissingError(QAError):
    """There is no index at the given location yet."""


class IndexLockedError(QAError):
    """Another process is writing the index."""


class IndexDamagedError(QAError):
    """The index files are damaged or come from another qa version; `qa index --rebuild` starts afresh."""


class IndexStorageError(QAError):
    """The index's files cannot be read or written: a full disk, an I/O error, missing permission."""


class ModelMismatchError(QAError):
    """The index was built with a different embedding model."""


class LoadError(QAError):
    """A file could not be read as an article."""


class LLMError(QAError):
    """The LLM backend failed (connection, timeout, bad output)."""


class OldIndexError(IndexDamagedError):
    """The index was made by an older qa in a format this one cannot read."""


class FetchError(LoadError):
    """A URL could not be fetched as an article page."""


# The way out of a damaged or outdated index, as every such message ends.
REBUILD_HINT = "rebuild it with `qa index --rebuild PATH...`"
