"""Shared test set-up: no retries with backoff, no real user config, no network."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import stamina


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """stamina's testing mode: one attempt, no waiting (tests of retries raise it)."""
    with stamina.set_testing(True):
        yield


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the user's configuration, email, plugin switches and the network out of every test."""
    for name in list(os.environ):
        if name.startswith("PAPERFUSE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    # A safety net: a built-in source that a test forgot to point at its local
    # server reaches a closed local port, never the internet.
    for source in (
        "ARXIV",
        "UNPAYWALL",
        "OAB",
        "DOI",
        "CROSSREF",
        "DATACITE",
        "IDCONV",
        "PUBMED",
        "EUROPEPMC",
    ):
        monkeypatch.setenv(f"PAPERFUSE_{source}_URL", "http://127.0.0.1:9")
    # The same for doi.org where a test builds its Config in code, without the environment.
    monkeypatch.setattr("paperfuse._agency.DOI_RA_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
