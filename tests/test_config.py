"""Configuration: TOML file, environment, precedence, clear errors, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperfuse import ConfigError, SourceSettings, load_config


def _toml(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "paperfuse.toml"
    path.write_text(text)
    return {"PAPERFUSE_CONFIG": str(path)}


def test_defaults_without_file_or_environment() -> None:
    config = load_config(env={})
    assert config.email is None
    assert config.max_rounds == 3
    assert config.source("arxiv").url is None
    assert config.source("arxiv").enabled


def test_environment_variables() -> None:
    config = load_config(
        env={
            "PAPERFUSE_EMAIL": "librarian@example.org",
            "PAPERFUSE_ARXIV_URL": "http://127.0.0.1:8080",
            "PAPERFUSE_UNPAYWALL_URL": "http://127.0.0.1:8081/",
            "PAPERFUSE_OAB_URL": "https://oab.example.org/api",
            "PAPERFUSE_CACHE_DIR": "/tmp/paperfuse-cache",
            "PAPERFUSE_ARXIV_MIN_INTERVAL": "0.25",
            "PAPERFUSE_UNPAYWALL_MAX_CONCURRENCY": "8",
        }
    )
    assert config.email == "librarian@example.org"
    assert config.source("arxiv").url == "http://127.0.0.1:8080"
    assert config.source("unpaywall").url == "http://127.0.0.1:8081/"
    assert config.source("oab").url == "https://oab.example.org/api"
    assert config.cache_dir == "/tmp/paperfuse-cache"
    assert config.source("arxiv").min_interval == 0.25
    assert config.source("unpaywall").max_concurrency == 8


def test_toml_file_and_environment_precedence(tmp_path: Path) -> None:
    env = _toml(
        tmp_path,
        """
        email = "file@example.org"
        max_rounds = 2
        [sources.arxiv]
        url = "http://file.example.org"
        min_interval = 1.5
        [sources.oab]
        enabled = false
        [merge]
        abstract = ["unpaywall", "arxiv"]
        """,
    )
    config = load_config(env={**env, "PAPERFUSE_ARXIV_URL": "http://127.0.0.1:9"})
    assert config.email == "file@example.org"
    assert config.max_rounds == 2
    assert config.source("arxiv").url == "http://127.0.0.1:9"  # environment wins
    assert config.source("arxiv").min_interval == 1.5  # the rest of the table stays
    assert not config.source("oab").enabled
    assert config.merge == {"abstract": ["unpaywall", "arxiv"]}
    assert load_config(env=env, email="arg@example.org").email == "arg@example.org"


def test_toml_in_the_user_config_folder_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xdg = tmp_path / "xdg-config-home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    (xdg / "paperfuse").mkdir(parents=True)
    (xdg / "paperfuse" / "config.toml").write_text('email = "me@example.org"\n')
    assert load_config(env={}).email == "me@example.org"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("max_rounds = 'three'", "max_rounds"),
        ("max_rounds = 0", "max_rounds"),
        ("colour = 'blue'", "colour"),
        ("[sources.arxiv]\nmin_interval = 'slow'", "sources.arxiv.min_interval"),
        ("[sources.arxiv]\nmin_intervall = 3", "sources.arxiv.min_intervall"),
        ("[sources.arxiv]\nmax_concurrency = 0", "sources.arxiv.max_concurrency"),
        ("[sources.arxiv]\nurl = 'ftp://example.org'", "sources.arxiv.url"),
        ("sources = 3", "sources"),
        ("[merge]\ntitle = 'arxiv'", "merge.title"),
        ("timeout = -1", "timeout"),
    ],
)
def test_bad_toml_values_name_their_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(env=_toml(tmp_path, text))
    assert caught.value.key.startswith(key)
    assert key in str(caught.value)


def test_unreadable_toml_names_the_file(tmp_path: Path) -> None:
    env = _toml(tmp_path, "email = ")
    with pytest.raises(ConfigError, match="cannot read the TOML file"):
        load_config(env=env)


def test_missing_explicit_config_file() -> None:
    with pytest.raises(ConfigError, match="PAPERFUSE_CONFIG"):
        load_config(env={"PAPERFUSE_CONFIG": "/nonexistent/paperfuse.toml"})


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"PAPERFUSE_ARXIV_URL": "localhost:8080"}, "PAPERFUSE_ARXIV_URL"),
        ({"PAPERFUSE_UNPAYWALL_URL": "not a url"}, "PAPERFUSE_UNPAYWALL_URL"),
        ({"PAPERFUSE_ARXIV_MIN_INTERVAL": "soon"}, "PAPERFUSE_ARXIV_MIN_INTERVAL"),
        ({"PAPERFUSE_EMAIL": "nobody"}, "PAPERFUSE_EMAIL"),
    ],
)
def test_bad_environment_values_name_their_variable(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(env=env)
    assert key in str(caught.value)


def test_secrets_never_appear_in_repr_or_errors() -> None:
    config = load_config(
        env={"PAPERFUSE_EMAIL": "secret.person@example.org", "PAPERFUSE_OAB_API_KEY": "k-12345"}
    )
    assert config.secrets == ("secret.person@example.org", "k-12345")
    text = repr(config)
    assert "secret.person" not in text
    assert "k-12345" not in text
    assert "***" in text
    with pytest.raises(ConfigError) as caught:
        load_config(env={"PAPERFUSE_EMAIL": "secret.person-at-example.org"})
    assert "secret.person" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(7, 7), (1, 1), (100, 100), (0, 5), (101, 5), (True, 5), ("7", 5), (7.0, 5), (None, 5)],
)
def test_an_int_option_outside_its_range_or_of_another_type_is_the_default(
    value: object, expected: int
) -> None:
    settings = SourceSettings(options={} if value is None else {"rows": value})
    assert settings.int_option("rows", 5, high=100) == expected
