"""The plugin host: registration, guards, blocking, and the built-in plugins."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

import paperfuse
from installed_plugins import BUILT_IN_PLUGINS, install_distribution
from paperfuse import IdentifierScheme, OutputFormat, PluginHost, PluginWarning, Source
from paperfuse.testing import CLI, Isolation


class _GoodSource(Source):
    name = "good"
    schemes = ("doi",)
    batch_size = 50
    politeness = paperfuse.Politeness(min_interval=1.0, max_concurrency=1)


class _IsbnScheme(IdentifierScheme):
    name = "isbn"

    def parse(self, text: str) -> Iterable[paperfuse.Identifier]:
        if text.lower().startswith("isbn:"):
            yield paperfuse.Identifier(scheme="isbn", value=text[5:].replace("-", ""))


class _CsvFormat(OutputFormat):
    name = "csv"

    def render(self, work: paperfuse.Work) -> str:
        return f"{work.ids.doi},{work.title}"


class GoodPlugin:
    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> list[type[Source]]:
        return [_GoodSource]

    @paperfuse.hookimpl
    def paperfuse_register_schemes(self) -> list[type[IdentifierScheme]]:
        return [_IsbnScheme]

    @paperfuse.hookimpl
    def paperfuse_register_formats(self) -> list[type[OutputFormat]]:
        return [_CsvFormat]


def test_plugin_registered_in_test_offers_source_scheme_and_format() -> None:
    host = PluginHost(entry_points=False, plugins={"good": GoodPlugin()})
    assert host.sources == {"good": _GoodSource}
    assert "isbn" in host.schemes
    assert host.formats["csv"] is _CsvFormat
    info = host.plugins["good"]
    assert (info.sources, info.schemes, info.formats) == (["good"], ["isbn"], ["csv"])
    assert info.status == "loaded"
    assert not host.failures


def test_core_schemes_and_formats_come_through_the_same_hooks() -> None:
    host = PluginHost(entry_points=False)
    assert {"doi", "arxiv", "pmid", "pmcid", "url"} <= set(host.schemes)
    assert {"json", "bibtex", "csl-json"} <= set(host.formats)
    assert host.plugins["paperfuse"].builtin


def test_plugin_scheme_is_used_by_resolver_identify() -> None:
    config = paperfuse.Config()
    resolver = paperfuse.Resolver(config, entry_points=False, plugins={"good": GoodPlugin()})
    found = resolver.identify("isbn:978-3-16-148410-0")
    assert found.kind == "identifier"
    assert found.identifiers[0] == paperfuse.Identifier(scheme="isbn", value="9783161484100")


def test_each_resolver_has_its_own_plugin_manager() -> None:
    one = PluginHost(entry_points=False, plugins={"good": GoodPlugin()})
    two = PluginHost(entry_points=False)
    assert one.pm is not two.pm
    assert "good" in one.sources
    assert "good" not in two.sources


class _DuplicatePlugin:
    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> list[type[Source]]:
        return [_GoodSource]


class _Nameless(Source):
    schemes = ("doi",)


class _BadBatch(Source):
    name = "badbatch"
    batch_size = 0


class _BadPlugin:
    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> list[object]:
        return [_Nameless, _BadBatch, dict]


class _RaisingPlugin:
    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> list[type[Source]]:
        raise RuntimeError("database missing")

    @paperfuse.hookimpl
    def paperfuse_register_formats(self) -> list[type[OutputFormat]]:
        return [_CsvFormat]


class _MisspelledHook:
    @paperfuse.hookimpl
    def paperfuse_register_source(self) -> list[type[Source]]:  # no such hook
        return []


def test_duplicate_source_name_is_refused_with_owner_named() -> None:
    with pytest.warns(PluginWarning, match="already registered by plugin 'first'"):
        host = PluginHost(
            entry_points=False, plugins={"first": GoodPlugin(), "second": _DuplicatePlugin()}
        )
    assert host.sources["good"] is _GoodSource
    assert host.plugins["second"].status == "failed"
    assert "source 'good' is already registered" in host.plugins["second"].errors[0]


def test_invalid_source_classes_are_refused_one_by_one() -> None:
    with pytest.warns(PluginWarning):
        host = PluginHost(entry_points=False, plugins={"bad": _BadPlugin()})
    errors = host.plugins["bad"].errors
    assert any("source name None" in e for e in errors)
    assert any("batch_size must be a positive integer" in e for e in errors)
    assert any("is not a paperfuse.Source subclass" in e for e in errors)
    assert host.sources == {}


def test_hook_that_raises_is_reported_and_other_hooks_still_count() -> None:
    with pytest.warns(PluginWarning, match="database missing"):
        host = PluginHost(entry_points=False, plugins={"raising": _RaisingPlugin()})
    info = host.plugins["raising"]
    assert info.formats == ["csv"]
    assert "paperfuse_register_sources raised RuntimeError: database missing" in info.errors[0]


def test_unknown_hook_name_is_reported() -> None:
    with pytest.warns(PluginWarning, match="paperfuse_register_source, which is not a paperfuse"):
        host = PluginHost(entry_points=False, plugins={"typo": _MisspelledHook()})
    assert host.plugins["typo"].status == "failed"


# -- entry points: a fake installed distribution on sys.path ---------------------------


def _install_fake_distribution(root: Path) -> None:
    """A distribution with one working plugin and two that fail to import."""
    install_distribution(
        root,
        "paperfuse-fake-plugins",
        {
            "fakegood": "paperfuse_fake_good",
            "fakebroken": "paperfuse_fake_broken",
            "fakemissing": "paperfuse_fake_not_installed",
        },
        {
            "paperfuse_fake_good": """
                import paperfuse

                class FakeSource(paperfuse.Source):
                    name = "fake"
                    schemes = ("doi",)

                @paperfuse.hookimpl
                def paperfuse_register_sources():
                    return [FakeSource]
            """,
            "paperfuse_fake_broken": "raise ImportError('needs libfoo 9')\n",
        },
    )


@pytest.fixture
def fake_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paperfuse_isolated: Isolation
) -> Path:
    """Three fake entry points installed beside the built-in ones, and allowed with them."""
    _install_fake_distribution(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    paperfuse_isolated.use_plugins(
        entry_points=BUILT_IN_PLUGINS | {"fakegood", "fakebroken", "fakemissing"}
    )
    return tmp_path


def test_broken_entry_point_is_reported_and_others_load(fake_distribution: Path) -> None:
    with pytest.warns(PluginWarning) as caught:
        host = PluginHost()
    assert "fake" in host.sources
    broken = host.plugins["fakebroken"]
    assert broken.status == "failed"
    assert broken.distribution == "paperfuse-fake-plugins"
    assert broken.version == "1.2.3"
    assert "ImportError: needs libfoo 9" in broken.errors[0]
    assert host.plugins["fakemissing"].status == "failed"
    assert {str(w.message).split(":")[0] for w in caught} == {
        "paperfuse plugin fakebroken",
        "paperfuse plugin fakemissing",
    }


def test_disabled_plugins_are_not_loaded(fake_distribution: Path) -> None:
    env = {"PAPERFUSE_DISABLED_PLUGINS": "fakegood, fakebroken,fakemissing"}
    host = PluginHost(env=env)
    assert "fake" not in host.sources
    assert host.plugins["fakegood"].status == "disabled"
    assert host.plugins["fakebroken"].status == "disabled"
    assert not host.failures


def test_allow_list_loads_only_named_plugins(fake_distribution: Path) -> None:
    host = PluginHost(env={"PAPERFUSE_PLUGINS": "fakegood"})
    assert "fake" in host.sources
    assert host.plugins["arxiv"].status == "disabled"
    assert not host.failures


def test_builtin_plugin_packages_are_entry_points_of_paperfuse() -> None:
    host = PluginHost()
    for name in ("arxiv", "unpaywall", "oab"):
        info = host.plugins[name]
        assert info.distribution == "paperfuse"
        assert info.version == paperfuse.__version__
        assert info.status == "loaded"


def test_cli_plugins_lists_failures_and_keeps_working(
    fake_distribution: Path, paperfuse_cli: CLI
) -> None:
    env = {"PYTHONPATH": str(fake_distribution)}
    listing = paperfuse_cli.subprocess("plugins", env=env)
    assert listing.exit_code == 0, listing.stderr
    assert "fakebroken  (paperfuse-fake-plugins 1.2.3)  failed" in listing.stdout
    assert "error: cannot be imported (paperfuse_fake_broken): ImportError: needs libfoo 9" in (
        listing.stdout
    )
    assert "fakegood  (paperfuse-fake-plugins 1.2.3)  loaded" in listing.stdout
    assert "registers sources: fake" in listing.stdout
    assert "arxiv  (paperfuse " in listing.stdout

    identified = paperfuse_cli.subprocess("identify", "10.1038/nature12373", env=env)
    assert identified.exit_code == 0
    assert '"value": "10.1038/nature12373"' in identified.stdout
    assert "paperfuse: warning: paperfuse plugin fakebroken" in identified.stderr
    assert "Traceback" not in identified.stderr


def test_cli_plugins_json(fake_distribution: Path, paperfuse_cli: CLI) -> None:
    import json

    listing = paperfuse_cli.subprocess(
        "plugins", "--json", env={"PYTHONPATH": str(fake_distribution)}
    )
    plugins = {p["name"]: p for p in json.loads(listing.stdout)}
    assert plugins["fakegood"]["sources"] == ["fake"]
    assert plugins["fakebroken"]["status"] == "failed"
    assert plugins["fakegood"]["descriptions"] == {}  # FakeSource declares none
    assert plugins["arxiv"]["descriptions"]["source arxiv"].startswith("arXiv query API")
    assert plugins["paperfuse"]["descriptions"]["format bibtex"]
    assert plugins["arxiv"]["shadows"] == plugins["arxiv"]["shadowed"] == []


# -- hooks are called through pluggy, with the arguments each implementation names ------------


class _OldStylePlugin:
    """Written before the registration hooks had arguments: takes none."""

    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> list[type[Source]]:
        return [_GoodSource]


class _VersionAwareSource(Source):
    name = "aware"
    schemes = ("doi",)


class _NewStylePlugin:
    """Takes the argument the hook gained, and registers according to it."""

    seen: str | None = None

    @paperfuse.hookimpl
    def paperfuse_register_sources(self, paperfuse_version: str) -> list[type[Source]]:
        type(self).seen = paperfuse_version
        return [_VersionAwareSource] if paperfuse_version else []


class _FuturePlugin:
    """Written for a paperfuse whose hook has an argument this one does not give."""

    @paperfuse.hookimpl
    def paperfuse_register_sources(self, resolver_flavour: str) -> list[type[Source]]:
        return [_GoodSource]


def test_a_hook_that_gained_an_argument_serves_old_and_new_plugins_alike() -> None:
    host = PluginHost(
        entry_points=False, plugins={"old": _OldStylePlugin(), "new": _NewStylePlugin()}
    )
    assert host.sources == {"good": _GoodSource, "aware": _VersionAwareSource}
    assert _NewStylePlugin.seen == paperfuse.__version__
    assert not host.failures


def test_an_implementation_asking_for_an_unknown_argument_is_reported() -> None:
    with pytest.warns(PluginWarning, match="resolver_flavour"):
        host = PluginHost(
            entry_points=False, plugins={"future": _FuturePlugin(), "old": _OldStylePlugin()}
        )
    assert host.plugins["future"].status == "failed"
    assert "cannot be registered" in host.plugins["future"].errors[0]
    assert host.sources == {"good": _GoodSource}


def test_trace_hooks_shows_every_registration_call(capsys: pytest.CaptureFixture[str]) -> None:
    PluginHost(
        entry_points=False,
        plugins={"old": _OldStylePlugin()},
        env={"PAPERFUSE_TRACE_HOOKS": "1"},
    )
    err = capsys.readouterr().err
    for hook in ("sources", "schemes", "formats"):
        assert f"paperfuse_register_{hook} [hook]" in err
    assert f"paperfuse_version: {paperfuse.__version__}" in err
    assert "finish paperfuse_register_sources -->" in err


def test_no_trace_without_the_switch(capsys: pytest.CaptureFixture[str]) -> None:
    PluginHost(entry_points=False, plugins={"old": _OldStylePlugin()})
    assert "[hook]" not in capsys.readouterr().err


def test_every_hook_signature_is_readable_by_type_checkers() -> None:
    import typing

    from paperfuse import hookspecs

    hints = typing.get_type_hints(hookspecs.paperfuse_rank_oa_locations)
    assert hints["work"] is paperfuse.Work
    assert hints["locations"] == Sequence[paperfuse.OALocation]
    assert hints["return"] == Sequence[paperfuse.OALocation] | None
    for hook in ("sources", "schemes", "formats"):
        hints = typing.get_type_hints(getattr(hookspecs, f"paperfuse_register_{hook}"))
        assert hints["paperfuse_version"] is str


# -- the merge ranking comes from what sources declare ----------------------------------------

BUILT_IN_ORDER = (
    "crossref",
    "crossref-snapshot",
    "datacite",
    "pubmed",
    "europepmc",
    "openalex",
    "openalex-snapshot",
    "unpaywall",
    "unpaywall-snapshot",
    "oab",
    "arxiv",
    "idconv",
    "web",
)


def test_the_built_in_sources_declarations_give_the_documented_ranking() -> None:
    ranking = paperfuse.DEFAULT_RANKING
    assert ranking["default"] == BUILT_IN_ORDER
    assert ranking["abstract"][:3] == ("pubmed", "arxiv", "crossref")
    for field in ("comment", "journal_ref", "primary_category", "updated", "ids.arxiv"):
        assert ranking[field][0] == "arxiv"
    for field in ("ids.pmid", "ids.pmcid", "publication_types"):
        assert ranking[field] == (
            "pubmed",
            "europepmc",
            "crossref",
            "crossref-snapshot",
            "datacite",
            *BUILT_IN_ORDER[BUILT_IN_ORDER.index("openalex") :],
        )
    assert paperfuse.MergePolicy().ranking == ranking


def test_a_plugin_source_takes_its_place_by_its_role() -> None:
    sources = dict(PluginHost().sources)

    class MedraSource(Source):
        name = "medra"
        role = "registration agency"
        authoritative_for = ("license",)

    class NoRole(Source):
        name = "aaa-no-role"

    ranking = paperfuse.default_ranking([*sources.values(), MedraSource, NoRole])
    assert ranking["default"][:5] == (
        "crossref",
        "crossref-snapshot",
        "datacite",
        "medra",
        "pubmed",
    )
    no_role = [cls.name for cls in (*sources.values(), NoRole) if cls.role is None]
    assert ranking["default"][-len(no_role) :] == tuple(sorted(no_role))  # after every declared one
    assert "aaa-no-role" in no_role
    assert ranking["license"][0] == "medra"
    policy = paperfuse.MergePolicy({"title": ["arxiv"]}, sources=[*sources.values(), MedraSource])
    assert policy.order("venue", ["arxiv", "medra", "crossref"]) == ["crossref", "medra", "arxiv"]
    assert policy.order("title", ["medra", "arxiv"]) == ["arxiv", "medra"]
    merged = paperfuse.merge(
        [("arxiv", paperfuse.Work(venue="arXiv")), ("medra", paperfuse.Work(venue="J. Ital."))],
        policy,
    )
    assert merged.venue == "J. Ital."


class _RoleTypoSource(Source):
    name = "typo"
    role = "registration-agency"


class _RoleTypoPlugin:
    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> list[type[Source]]:
        return [_RoleTypoSource]


def test_an_unknown_role_is_refused_naming_the_roles() -> None:
    with pytest.warns(
        PluginWarning, match="role 'registration-agency' is none of registration agency"
    ):
        host = PluginHost(entry_points=False, plugins={"typo": _RoleTypoPlugin()})
    assert "typo" not in host.sources


def test_core_names_no_source_in_its_merge_ranking() -> None:
    import ast

    merge_module = Path(paperfuse.__file__).parent / "_merge.py"
    literals = {
        node.value
        for node in ast.walk(ast.parse(merge_module.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert literals & set(BUILT_IN_ORDER) == set()


# -- name clashes: a third-party plugin wins over a built-in one, and says so ----------------


class _ThirdPartyCrossref(Source):
    name = "crossref"
    schemes = ("doi",)
    description = "a third-party Crossref source"


class _ThirdPartyJson(OutputFormat):
    name = "json"
    description = "JSON, the third-party way"

    def render(self, work: paperfuse.Work) -> str:
        return "{}"


class _ThirdPartyDoi(IdentifierScheme):
    name = "doi"
    description = "DOIs, the third-party way"

    def parse(self, text: str) -> Iterable[paperfuse.Identifier]:
        return ()


class _ClashingPlugin:
    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> list[type[Source]]:
        return [_ThirdPartyCrossref]

    @paperfuse.hookimpl
    def paperfuse_register_schemes(self) -> list[type[IdentifierScheme]]:
        return [_ThirdPartyDoi]

    @paperfuse.hookimpl
    def paperfuse_register_formats(self) -> list[type[OutputFormat]]:
        return [_ThirdPartyJson]


def test_a_third_party_plugin_loaded_after_the_built_ins_takes_their_names() -> None:
    host = PluginHost(plugins={"crossref-plus": _ClashingPlugin()})
    assert host.sources["crossref"] is _ThirdPartyCrossref
    assert host.formats["json"] is _ThirdPartyJson
    assert isinstance(host.schemes["doi"], _ThirdPartyDoi)
    plus, builtin, core = (
        host.plugins["crossref-plus"],
        host.plugins["crossref"],
        host.plugins["paperfuse"],
    )
    assert plus.status == "loaded"
    assert not plus.errors
    assert plus.shadows == [
        "source crossref of plugin crossref",
        "scheme doi of plugin paperfuse",
        "format json of plugin paperfuse",
    ]
    assert builtin.shadowed == ["source crossref by plugin crossref-plus"]
    # listed as shadowed, not as registered; its data-file source keeps its own name
    assert builtin.sources == ["crossref-snapshot"]
    assert "format json by plugin crossref-plus" in core.shadowed
    assert "json" not in core.formats
    assert "bibtex" in core.formats
    assert plus.descriptions["source crossref"] == "a third-party Crossref source"
    assert not host.failures


def test_blocking_the_third_party_plugin_brings_the_built_in_one_back() -> None:
    host = PluginHost(
        plugins={"crossref-plus": _ClashingPlugin()},
        env={"PAPERFUSE_DISABLED_PLUGINS": "crossref-plus"},
    )
    assert host.sources["crossref"].__module__.startswith("paperfuse_crossref")
    assert host.plugins["crossref"].shadowed == []
    assert host.plugins["crossref-plus"].status == "disabled"


def test_two_third_party_plugins_the_first_keeps_the_name() -> None:
    with pytest.warns(PluginWarning) as caught:
        host = PluginHost(
            entry_points=False, plugins={"one": _ClashingPlugin(), "two": _ClashingPlugin()}
        )
    assert "source 'crossref' is already registered by plugin 'one'" in str(caught[0].message)
    assert host.plugins["one"].sources == ["crossref"]
    assert host.plugins["two"].status == "failed"
    assert len(host.plugins["two"].errors) == 3  # source, scheme and format, each reported


def _install_same_name_crossref(root: Path) -> None:
    """A ``paperfuse-crossref`` distribution whose entry point is named ``crossref`` too."""
    install_distribution(
        root,
        "paperfuse-crossref",
        {"crossref": "paperfuse_crossref_plus"},
        {
            "paperfuse_crossref_plus": """
                import paperfuse

                class CrossrefPlus(paperfuse.Source):
                    name = "crossref"
                    schemes = ("doi",)
                    description = "Crossref, from the paperfuse-crossref package"

                @paperfuse.hookimpl
                def paperfuse_register_sources():
                    return [CrossrefPlus]
            """
        },
    )


@pytest.fixture
def same_name_crossref(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _install_same_name_crossref(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _by_distribution(host: PluginHost, distribution: str, entry_point: str) -> paperfuse.PluginInfo:
    (info,) = [
        i
        for i in host.plugins.values()
        if i.distribution == distribution and i.name.split(":")[-1] == entry_point
    ]
    return info


def test_a_same_named_third_party_package_wins_whichever_loads_first(
    same_name_crossref: Path,
) -> None:
    host = PluginHost()
    assert host.sources["crossref"].__module__ == "paperfuse_crossref_plus"
    builtin = _by_distribution(host, "paperfuse", "crossref")
    plus = _by_distribution(host, "paperfuse-crossref", "crossref")
    # The one that loads second is named "<distribution>:<entry point>".
    assert sorted([builtin.name, plus.name]) in (
        ["crossref", "paperfuse-crossref:crossref"],
        ["crossref", "paperfuse:crossref"],
    )
    assert builtin.shadowed == [f"source crossref by plugin {plus.name}"]
    assert plus.shadows == [f"source crossref of plugin {builtin.name}"]
    assert not host.failures


@pytest.mark.parametrize(
    ("blocked", "module"),
    [
        ("paperfuse-crossref:crossref", "paperfuse_crossref._source"),
        ("Paperfuse_Crossref:crossref", "paperfuse_crossref._source"),  # pip's name rules
        ("paperfuse:crossref", "paperfuse_crossref_plus"),
    ],
)
def test_either_same_named_plugin_can_be_blocked_by_distribution_and_name(
    same_name_crossref: Path, blocked: str, module: str
) -> None:
    host = PluginHost(env={"PAPERFUSE_DISABLED_PLUGINS": blocked})
    assert host.sources["crossref"].__module__ == module
    assert not any(i.shadowed or i.shadows for i in host.plugins.values())


def test_a_plain_name_blocks_every_plugin_of_that_name(same_name_crossref: Path) -> None:
    host = PluginHost(env={"PAPERFUSE_DISABLED_PLUGINS": "crossref"})
    assert "crossref" not in host.sources


def test_cli_plugins_shows_descriptions_and_what_is_shadowed(
    same_name_crossref: Path, paperfuse_cli: CLI
) -> None:
    listing = paperfuse_cli.subprocess("plugins", env={"PYTHONPATH": str(same_name_crossref)})
    assert listing.exit_code == 0, listing.stderr
    out = listing.stdout
    assert "      source crossref: Crossref, from the paperfuse-crossref package" in out
    assert "      source arxiv: arXiv query API: preprint metadata and a green OA copy" in out
    assert "      format bibtex: a .bib bibliography: one BibTeX entry per resolved work" in out
    assert "      scheme doi: DOIs (" in out
    assert "    shadowed: source crossref by plugin " in out
    assert "(block that plugin to use this one)" in out
    assert "    shadows source crossref of plugin " in out


def test_python_m_paperfuse_is_the_paperfuse_command() -> None:
    version = subprocess.run(
        [sys.executable, "-m", "paperfuse", "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"paperfuse {paperfuse.__version__}"
    identified = subprocess.run(
        [sys.executable, "-m", "paperfuse", "identify", "arXiv:1710.08557"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert identified.returncode == 0, identified.stderr
    assert '"value": "1710.08557"' in identified.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "paperfuse", "--help"], capture_output=True, text=True, timeout=60
    )
    assert helped.stdout.startswith("Usage: paperfuse ")


def test_the_configuration_blocks_plugins_by_name_too(
    same_name_crossref: Path, tmp_path: Path, paperfuse_cli: CLI
) -> None:
    config = paperfuse.Config(disabled_plugins=["paperfuse-crossref:crossref"])
    with paperfuse.Resolver(config) as resolver:
        assert resolver.host.sources["crossref"].__module__ == "paperfuse_crossref._source"
    toml = tmp_path / "paperfuse.toml"
    toml.write_text('disabled_plugins = ["paperfuse:crossref"]\n')
    listing = paperfuse_cli.subprocess(
        "plugins", env={"PYTHONPATH": str(same_name_crossref), "PAPERFUSE_CONFIG": str(toml)}
    )
    assert listing.exit_code == 0, listing.stderr
    assert "shadow" not in listing.stdout
    assert ":crossref  (paperfuse " in listing.stdout or "crossref  (paperfuse 0" in listing.stdout
    assert "  disabled\n" in listing.stdout


def test_cli_plugins_lists_even_with_a_broken_configuration(
    tmp_path: Path, paperfuse_cli: CLI
) -> None:
    toml = tmp_path / "paperfuse.toml"
    toml.write_text("colour = 'blue'\n")
    listing = paperfuse_cli.subprocess("plugins", env={"PAPERFUSE_CONFIG": str(toml)})
    assert listing.exit_code == 0
    assert "arxiv  (paperfuse " in listing.stdout
    assert "configuration colour: unknown setting" in listing.stderr


# -- politeness from settings: Source.politeness_for -------------------------------------------


class _PooledSource(Source):
    """Faster for callers who give a contact email or a pool option, as some services are."""

    name = "pooled"
    schemes = ("doi",)
    politeness = paperfuse.Politeness(min_interval=1.0, max_concurrency=1)

    @classmethod
    def politeness_for(
        cls, config: paperfuse.Config, settings: paperfuse.SourceSettings
    ) -> paperfuse.Politeness:
        if settings.options.get("pool") == "broken":
            raise RuntimeError("no such pool")
        if config.email or settings.options.get("pool") == "fast":
            return paperfuse.Politeness(min_interval=0.02, max_concurrency=8, daily_budget=500)
        return cls.politeness

    async def lookup(
        self, identifiers: Sequence[paperfuse.Identifier]
    ) -> dict[paperfuse.Identifier, paperfuse.Work]:
        p = self.context.politeness
        seen = f"{p.min_interval} {p.max_concurrency} {p.daily_budget}"
        return {i: paperfuse.Work(title=seen) for i in identifiers}


class _PooledPlugin:
    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> list[type[Source]]:
        return [_PooledSource]


def _politeness_seen(config: paperfuse.Config) -> str | None:
    with paperfuse.Resolver(config, entry_points=False, plugins={"p": _PooledPlugin()}) as r:
        return r.resolve("10.1234/abc").title


@pytest.mark.parametrize(
    ("config", "seen"),
    [
        (paperfuse.Config(), "1.0 1 None"),
        (paperfuse.Config(email="me@example.org"), "0.02 8 500"),
        (
            paperfuse.Config(
                sources={"pooled": paperfuse.SourceSettings(options={"pool": "fast"})}
            ),
            "0.02 8 500",
        ),
        # Figures set in the settings still win over what politeness_for returns.
        (
            paperfuse.Config(
                email="me@example.org",
                sources={"pooled": paperfuse.SourceSettings(max_concurrency=2)},
            ),
            "0.02 2 500",
        ),
        # A politeness_for that fails leaves the declared figures.
        (
            paperfuse.Config(
                sources={"pooled": paperfuse.SourceSettings(options={"pool": "broken"})}
            ),
            "1.0 1 None",
        ),
    ],
)
def test_a_source_declares_its_politeness_from_the_configuration(
    config: paperfuse.Config, seen: str
) -> None:
    assert _politeness_seen(config) == seen
