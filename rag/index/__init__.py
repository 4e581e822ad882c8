"""Persistent index: documents, chunks, vectors and search structures, written atomically."""
