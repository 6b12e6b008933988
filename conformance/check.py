"""``python -m conformance.check [framework ...]``: run every row (of the named frameworks) on its cases."""

from __future__ import annotations

import sys

from .model import max_difference
from .rows import all_rows


def main(frameworks: list[str]) -> int:
    failed = 0
    for row in all_rows():
        if frameworks and row.framework not in frameworks:
            continue
        try:
            worst = max(max_difference(row, case) for case in row.run_cases())
            print(f"ok   {row.key} [{row.kind}] max |diff| {worst:.2e}")
        except Exception as error:  # noqa: BLE001 - report every row, then fail
            failed += 1
            print(f"FAIL {row.key}: {type(error).__name__}: {str(error)[:600]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
