"""``python -m conformance``: run every row and rewrite docs/data/conformance.json."""

from __future__ import annotations

import sys
import time

from .data import DATA_FILE, build, dumps


def main() -> int:
    start = time.perf_counter()
    document = build()
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    DATA_FILE.write_text(dumps(document), encoding="utf-8")
    seconds = time.perf_counter() - start
    print(f"wrote {DATA_FILE} ({len(document['rows'])} rows, {seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
