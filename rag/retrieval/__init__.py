"""Retrievers: BM25 over Vietnamese syllables, dense FAISS, and their fusion."""
