"""How long ``paperfuse --help`` takes to start (target: under 0.3 s).

Runs the installed ``paperfuse`` command N times (default 20) and prints the
median and the worst wall time, plus Python's own start-up for comparison.

    python benchmarks/cli_startup.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time


def _time(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    exe = shutil.which("paperfuse") or str(
        __import__("pathlib").Path(sys.executable).with_name("paperfuse")
    )
    rows = [
        ("python -c pass", _time([sys.executable, "-c", "pass"], runs)),
        ("paperfuse --help", _time([exe, "--help"], runs)),
        ("paperfuse identify <doi>", _time([exe, "identify", "10.1038/nature12373"], runs)),
    ]
    print(f"{'command':<28} {'median s':>9} {'worst s':>9}   ({runs} runs)")
    for name, times in rows:
        print(f"{name:<28} {statistics.median(times):>9.3f} {max(times):>9.3f}")


if __name__ == "__main__":
    main()
