"""qa: answers from news articles, every claim cited to an article and paragraph."""

from .api import QA
from .answer import Answer, Citation
from .documents import Article, Paragraph
from .errors import QAError
from .retriever import SearchResult
from .store import Passage

__version__ = "0.1.0"
__all__ = ["QA", "Answer", "Article", "Citation", "Paragraph", "Passage", "QAError", "SearchResult"]
