"""Configuration names: a hyphenated source's environment variables, unknown keys named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

import paperfuse
from paperfuse import ConfigError, Identifier, Source, Work, load_config


def _toml(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "paperfuse.toml"
    path.write_text(text)
    return {"PAPERFUSE_CONFIG": str(path)}


def test_a_hyphen_in_a_source_name_is_an_underscore_in_its_variables() -> None:
    env = {
        "PAPERFUSE_UNPAYWALL_SNAPSHOT_URL": "http://127.0.0.1:8080",
        "PAPERFUSE_UNPAYWALL_SNAPSHOT_MIN_INTERVAL": "0.5",
    }
    config = load_config(env=env)
    settings = config.source("unpaywall-snapshot")
    assert (settings.url, settings.min_interval) == ("http://127.0.0.1:8080", 0.5)
    assert config.check_sources(["unpaywall-snapshot"]) == []  # no "no installed source"


def test_the_environment_still_wins_over_the_file_key_by_key(tmp_path: Path) -> None:
    env = _toml(
        tmp_path,
        '[sources.unpaywall-snapshot]\nurl = "http://file.example.org"\nmin_interval = 2.0\n',
    )
    env["PAPERFUSE_UNPAYWALL_SNAPSHOT_URL"] = "http://127.0.0.1:9"
    settings = load_config(env=env).source("unpaywall-snapshot")
    assert (settings.url, settings.min_interval) == ("http://127.0.0.1:9", 2.0)


def test_a_bad_url_names_the_variable_with_underscores() -> None:
    with pytest.raises(ConfigError, match="PAPERFUSE_UNPAYWALL_SNAPSHOT_URL"):
        load_config(env={"PAPERFUSE_UNPAYWALL_SNAPSHOT_URL": "localhost:1"})


class _HyphenSource(Source):
    name = "my-source"
    schemes = ("doi",)

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, Work]:
        return {i: Work(title=self.context.base_url) for i in identifiers}


class _HyphenPlugin:
    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> list[type[Source]]:
        return [_HyphenSource]


def test_a_resolver_gives_a_hyphenated_source_its_url_from_the_environment() -> None:
    config = load_config(env={"PAPERFUSE_MY_SOURCE_URL": "http://127.0.0.1:7/prefix/"})
    with paperfuse.Resolver(config, entry_points=False, plugins={"p": _HyphenPlugin()}) as r:
        work = r.resolve("10.1234/abc")
    assert work.title == "http://127.0.0.1:7/prefix"


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ("emial = 'a@b.org'", "emial", "unknown setting"),
        ("[sources.arxiv]\nurll = 'http://x.org'", "sources.arxiv.urll", "unknown setting"),
        ("[merge]\ntitel = ['arxiv']", "merge.titel", "did you mean 'title'?"),
        ("[merge]\n'ids.dio' = ['arxiv']", "merge.ids.dio", "did you mean 'ids.doi'?"),
    ],
)
def test_an_unknown_key_is_an_error_naming_it(
    tmp_path: Path, text: str, key: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(env=_toml(tmp_path, text))
    assert caught.value.key == key
    assert says in str(caught.value)


def test_known_merge_fields_pass(tmp_path: Path) -> None:
    text = "[merge]\ndefault = ['arxiv']\nabstract = ['arxiv']\n'ids.pmid' = ['pubmed']\n"
    assert set(load_config(env=_toml(tmp_path, text)).merge) == {"default", "abstract", "ids.pmid"}


def test_an_unknown_source_in_a_merge_ranking_is_an_error_naming_it() -> None:
    config = paperfuse.Config(merge={"title": ["crossref", "crosref"]})
    with pytest.raises(ConfigError, match="no installed source is named 'crosref'") as caught:
        config.check_sources(["crossref", "arxiv"])
    assert caught.value.key == "merge.title"
    assert "did you mean 'crossref'?" in str(caught.value)
