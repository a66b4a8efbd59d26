"""Run the benchmarks: ``python bench/run.py [name ...]`` (default: every ``*_bench.py``).

Each script prints its own Markdown table with the machine and date; paste the output into
``bench/RESULTS.md``. They need the local PostgreSQL (``--database-url``, default
``postgresql://postgres@127.0.0.1:5432/test``) and only talk to 127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    names = sys.argv[1:] or sorted(p.stem.removesuffix("_bench") for p in HERE.glob("*_bench.py"))
    status = 0
    for name in names:
        script = HERE / f"{name}_bench.py"
        print(f"\n## {name}\n", flush=True)
        status |= subprocess.call([sys.executable, str(script)], cwd=HERE)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
