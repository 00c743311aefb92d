"""The server's metrics, in Prometheus' text exposition format.

What each source cost comes from :meth:`paperfuse.Resolver.stats`; the
requests the server answered, and how long each took, are counted here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from .. import SourceStats

__all__ = ["Metrics"]

#: The routes counted by name; any other path is counted as "other", so that
#: a scan of random paths cannot grow the metrics without bound.
_ROUTES = frozenset(
    {"/", "/resolve", "/identify", "/formats", "/health", "/metrics", "/openapi.json"}
    | {"/search", "/export", "/assets/page.css", "/assets/page.js"}
)


class Metrics:
    """Counts of the server's answers and their durations, per route and status."""

    def __init__(self) -> None:
        self.answers: defaultdict[tuple[str, str, int], int] = defaultdict(int)
        self.seconds: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.count: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.refused_count = 0
        self.left_count = 0

    def refused(self) -> None:
        """Count one request refused because its client had too many in flight."""
        self.refused_count += 1

    def client_left(self) -> None:
        """Count one request whose client left before its answer; its work was cancelled."""
        self.left_count += 1

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        """Count one answer of ``status`` to ``method path`` that took ``seconds``."""
        route = path if path in _ROUTES else "other"
        self.answers[method, route, status] += 1
        self.seconds[method, route] += seconds
        self.count[method, route] += 1

    def exposition(self, stats: Mapping[str, SourceStats]) -> str:
        """Every metric, as Prometheus text."""
        lines: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            lines.extend((f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"))

        per_source = (
            ("requests", "HTTP requests sent to the source."),
            ("calls", "Lookups asked of the source (a batch is one call)."),
            ("cache_hits", "Answers of the source found in the cache."),
        )
        for field, help_text in per_source:
            name = f"paperfuse_source_{field}_total"
            family(name, "counter", help_text)
            for source, figures in sorted(stats.items()):
                lines.append(f'{name}{{source="{_label(source)}"}} {getattr(figures, field)}')
        family("paperfuse_source_paused", "gauge", "1 when the source is paused or gone.")
        for source, figures in sorted(stats.items()):
            paused = 1 if figures.paused else 0
            lines.append(f'paperfuse_source_paused{{source="{_label(source)}"}} {paused}')
        family(
            "paperfuse_source_budget_left",
            "gauge",
            "What is left of the source's daily budget, in the unit it counts in.",
        )
        for source, figures in sorted(stats.items()):
            if figures.budget_left is not None:
                unit = _label(figures.budget_unit or "")
                labels = f'source="{_label(source)}",unit="{unit}"'
                lines.append(f"paperfuse_source_budget_left{{{labels}}} {figures.budget_left}")
        family(
            "paperfuse_http_refused_total", "counter", "Requests refused: too many of one client."
        )
        lines.append(f"paperfuse_http_refused_total {self.refused_count}")
        family(
            "paperfuse_http_client_left_total",
            "counter",
            "Requests whose client left before the answer (their work was cancelled).",
        )
        lines.append(f"paperfuse_http_client_left_total {self.left_count}")
        family("paperfuse_http_responses_total", "counter", "Answers of the server.")
        for (method, route, status), n in sorted(self.answers.items()):
            labels = f'method="{method}",route="{route}",status="{status}"'
            lines.append(f"paperfuse_http_responses_total{{{labels}}} {n}")
        family("paperfuse_http_response_seconds", "summary", "Time taken by the server's answers.")
        for (method, route), total in sorted(self.seconds.items()):
            labels = f'method="{method}",route="{route}"'
            lines.append(f"paperfuse_http_response_seconds_sum{{{labels}}} {total:.6f}")
            lines.append(
                f"paperfuse_http_response_seconds_count{{{labels}}} {self.count[method, route]}"
            )
        return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    """A label value escaped as the text format wants."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
