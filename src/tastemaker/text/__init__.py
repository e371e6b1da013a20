"""The text model: cultural vectors from what people write about music.

Modules, in pipeline order: `documents` (files → ``documents``), `html` (main text of a page),
`tokenize`, `tagger` (our averaged-perceptron UPOS tagger, EWT weights shipped in ``data/``),
`terms` (unigrams, n2, np, adj per document), `mentions` (who a document is about),
`model` (top terms with time decay, co-mentions, sparse vectors), `top` (the top-terms table),
`sources` (HetRec tags, Last.fm bios and review transcripts as documents).
"""

from .documents import Document, ingest_documents
from .model import TextVectors, analyse, build_terms, load_text, train_text
from .top import top_terms

__all__ = ["Document", "ingest_documents", "TextVectors", "analyse", "build_terms", "load_text",
           "train_text", "top_terms"]
