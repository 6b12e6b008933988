"""Build-time helpers for the segref documentation site (MkDocs hooks).

Each module in this package is registered in ``mkdocs.yml`` under ``hooks:``.
They are plain modules so that their pure functions can be unit-tested with
pytest (``from sitebuild import katex``).
"""
