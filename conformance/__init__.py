"""Cross-framework conformance: what other libraries compute, run against segref.

Each row of the data (``conformance/rows/*.py``) states one equality, "this framework
call equals this segref call", with a tolerance; ``tests/conformance`` asserts every row
on random 2D and 3D inputs and ``python -m conformance`` writes the values the site
shows (``docs/data/conformance.json``). The rows import their framework only when they
run, so the site builds and the core tests read the data without any framework installed.
"""
