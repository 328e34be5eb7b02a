"""What the benchmarks share: the repository put on sys.path when a script is run from bench/ (so
`import qa` reads this checkout, not an installed copy), percentiles, two-column tables, and a
process's memory from /proc (Linux). Imported first by every script: `import _common`."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
DEFAULT_DATA = REPO.parent / "shared/bench-data/bbc_news"

for _folder in (BENCH, REPO):  # the repository first
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile (0..100) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def percentiles(values: list[float], qs=(5, 10, 25, 50, 75, 90, 95)) -> list[float]:
    return [percentile(values, q) for q in qs]


def print_measures(rows: list[tuple[str, str]]) -> None:
    """A two-column Markdown table of (measure, value)."""
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


def memory_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process, in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def peak_rss_mb(pid: int, reset: bool = False) -> float:
    """A process's peak RSS so far (VmHWM); `reset` starts a new peak from its current RSS (Linux).
    Not getrusage's ru_maxrss: a child's starts at its parent's RSS at the fork (~320 MB here, the
    parent having loaded the embedding model), which hid a smaller child's own peak."""
    peak = memory_mb(pid)[1]
    if reset:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    return peak
