"""Fast paths give exactly what the general paths give.

A record one source answered skips the ranking of merge and OA ranking
(``_merge_one``, the one-location ranking, pooling one location); a field of
a record several sources answered that one source gave (or none) skips its
ranking (``_merge_ranked``); a plain identifier skips the general reading
of ``identify``. Each is compared with
its general path over every record of the recorded responses in
tests/fixtures (and variations of them), never by timing.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import msgspec
import pytest
from fixture_records import _READERS, FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

import paperfuse
from paperfuse import (
    DefaultOARanking,
    Identification,
    Identifier,
    InvalidIdentifier,
    MergePolicy,
    OALocation,
    Work,
    identify,
    merge,
    rank_oa,
)
from paperfuse._formats import _SURROGATE_RE, _writable
from paperfuse._identifiers import ArxivScheme, DoiScheme, builtin_schemes
from paperfuse._identifiers.base import (
    _CLOSERS,
    _QUOTES,
    SENTENCE_END,
    FinderScheme,
    strip_unbalanced_end,
)
from paperfuse._merge import (
    _ANY_TRUE_FIELDS,
    _ID_UNION_FIELDS,
    _MAPPING_FIELDS,
    _RESOLVER_FIELDS,
    UNION_FIELDS,
    _choose,
    _combine,
    _fill,
    _merge_ranked,
    _union,
)
from paperfuse._names import split_names
from paperfuse._oa import pool_locations
from paperfuse._records import FieldProvenance, Ids


def _partials() -> list[tuple[str, Work]]:
    """Every partial work of the recorded answers, with the source that gave it."""
    found = []
    for source, (pattern, read) in _READERS.items():
        for path in sorted((FIXTURES / source).glob(pattern)):
            found.extend((source, w) for w in read(path) if w is not None)
    return found


PARTIALS = _partials()


def _variants(work: Work) -> list[Work]:
    """``work``, and copies with repeated union items, a raised retraction and a
    repeated URL: what a source may give that the recordings may not show."""
    return [
        work,
        msgspec.structs.replace(
            work,
            categories=(*work.categories, *work.categories, "x"),
            oa_locations=(*work.oa_locations, *work.oa_locations),
            retracted=True,
            extra={**work.extra, "k": 1},
            ids=msgspec.structs.replace(work.ids, urls=(*work.ids.urls, "https://a", "https://a")),
        ),
        msgspec.structs.replace(work, retracted=False, title="", authors=()),
    ]


def test_the_recordings_hold_records_of_every_source() -> None:
    assert {source for source, _ in PARTIALS} == set(_READERS)
    assert len(PARTIALS) > 300


@pytest.mark.parametrize("policy", [None, MergePolicy({"default": ["zzz"]})])
def test_merging_one_source_gives_what_the_ranked_merge_gives(policy: MergePolicy | None) -> None:
    compared = 0
    for source, partial in PARTIALS:
        for work in _variants(partial):
            fast = merge([(source, work)], policy)
            general = _merge_ranked({source: work}, policy or MergePolicy())
            assert msgspec.json.encode(fast) == msgspec.json.encode(general), source
            assert fast == general
            compared += 1
    assert compared == 3 * len(PARTIALS)


def _rank_every_field(by_source: dict[str, Work], policy: MergePolicy) -> Work:
    """The merge of one work per source with every field ranked across the sources,
    as paperfuse merged before a field one source gave took that source's value at once."""
    provenance: dict[str, FieldProvenance] = {}
    fields: dict[str, object] = {}
    for field in Work.__struct_fields__:
        if field in _RESOLVER_FIELDS:
            continue
        values = {s: getattr(w, field) for s, w in by_source.items()}
        if field in _MAPPING_FIELDS:
            fields[field] = _combine(field, values, policy)
            continue
        if field in _ANY_TRUE_FIELDS and any(v is True for v in values.values()):
            raised = [s for s in policy.order(field, list(values)) if values[s] is True]
            fields[field] = True
            provenance[field] = FieldProvenance(source=raised[0])
            continue
        if field in UNION_FIELDS:
            combined = _union(field, values, policy)
            if combined:
                fields[field] = combined
                contributors = [s for s in policy.order(field, list(values)) if values[s]]
                provenance[field] = FieldProvenance(source=",".join(contributors))
            continue
        chosen = _choose(field, values, policy)
        if chosen is not None:
            fields[field], provenance[field] = chosen
    ids: dict[str, object] = {}
    for field in Ids.__struct_fields__:
        key = f"ids.{field}"
        values = {s: getattr(w.ids, field) for s, w in by_source.items()}
        if field in _ID_UNION_FIELDS:
            ids[field] = _union(key, values, policy)
        elif field == "other":
            ids[field] = _combine(key, values, policy)
        else:
            chosen = _choose(key, values, policy)
            if chosen is not None:
                ids[field], provenance[key] = chosen
    for field in ("authors", "editors"):
        if field in fields:
            fields[field] = split_names(fields[field])  # type: ignore[arg-type]
    if "ids.arxiv" in provenance and "ids.arxiv_version" in provenance:
        ids["arxiv_version"] = by_source[provenance["ids.arxiv"].source].ids.arxiv_version
    return Work(ids=Ids(**ids), provenance=provenance, **fields)  # type: ignore[arg-type]


def _several_sources() -> Iterator[dict[str, Work]]:
    """Records of two and three sources: each recorded partial beside the next ones of
    other sources, in their variants (a field given by one, by several, by none)."""
    by_source: dict[str, list[Work]] = {}
    for source, work in PARTIALS:
        by_source.setdefault(source, []).append(work)
    names = sorted(by_source)
    for n, (source, work) in enumerate(PARTIALS):
        others = [s for s in names if s != source]
        first, second = others[n % len(others)], others[(n + 1) % len(others)]
        a = by_source[first][n % len(by_source[first])]
        b = by_source[second][(n * 7) % len(by_source[second])]
        variants = _variants(work)
        yield {source: variants[n % 3], first: a}
        yield {source: variants[(n + 1) % 3], first: _variants(a)[n % 3], second: b}


@pytest.mark.parametrize(
    "policy", [MergePolicy(), MergePolicy({"default": ["zzz"], "title": ["arxiv", "crossref"]})]
)
def test_merging_several_sources_gives_what_ranking_every_field_gives(policy: MergePolicy) -> None:
    kinds: Counter[int] = Counter()
    for by_source in _several_sources():
        fast = _merge_ranked(by_source, policy)
        general = _rank_every_field(by_source, policy)
        assert msgspec.json.encode(fast) == msgspec.json.encode(general), sorted(by_source)
        assert fast == general
        kinds[len(by_source)] += 1
    assert kinds[2] == kinds[3] == len(PARTIALS)


def test_one_source_answering_twice_is_merged_as_the_ranked_merge_does() -> None:
    for (source, work), (_, other) in itertools.pairwise(PARTIALS):
        later = msgspec.structs.replace(other, type="preprint")
        fast = merge([(source, later), (source, work)])
        general = _merge_ranked(
            {source: _fill(*sorted((later, work), key=_preprint))}, MergePolicy()
        )
        assert fast == general


def _preprint(work: Work) -> bool:
    return work.type in ("posted-content", "preprint")


class _GeneralRanking(DefaultOARanking):
    """The default ranking, made to take its general path (an overridden sort key)."""

    def sort_key(self, work: Work, location: OALocation) -> tuple[int, int, int]:
        return super().sort_key(work, location)


def _locations() -> list[tuple[Work, OALocation]]:
    found = [(w, loc) for _, w in PARTIALS for loc in w.oa_locations]
    blank = OALocation(url=" ", source="x")
    return [*found, *((w, msgspec.structs.replace(blank)) for w, _ in found[:3])]


def test_ranking_one_location_gives_what_the_general_ranking_gives() -> None:
    locations = _locations()
    assert len(locations) > 300
    for work, location in locations:
        for candidate in (work, msgspec.structs.replace(work, journal_is_oa=True, ids=work.ids)):
            fast = DefaultOARanking().rank(candidate, [location])
            general = _GeneralRanking().rank(candidate, [location])
            assert fast == general


def test_pooling_one_location_gives_what_the_general_pooling_gives() -> None:
    for _, location in _locations():
        one: Sequence[OALocation] = [location]
        assert pool_locations(one) == pool_locations(iter(one))
        assert pool_locations((location,)) == pool_locations(iter(one))


def test_rank_oa_of_one_source_records_is_unchanged_by_the_fast_paths() -> None:
    for source, work in PARTIALS:
        merged = merge([(source, work)])
        fast = rank_oa(merged, merged.oa_locations)
        general = rank_oa(merged, iter(merged.oa_locations), _GeneralRanking())
        assert msgspec.json.encode(fast) == msgspec.json.encode(general)


def _general_identify(text: str) -> Identification:
    """:func:`identify` by its general reading: the built-in schemes given as a list
    of other objects of theirs, which the fast path does not take."""
    return identify(text, [type(scheme)() for scheme in builtin_schemes()])


_plain_ids = st.from_regex(r"\A[0-9]{4}\.[0-9]{4,5}(v[0-9]{1,5})?\Z")


@settings(max_examples=500)
@given(_plain_ids)
def test_identifying_a_plain_arxiv_id_gives_what_the_general_reading_gives(text: str) -> None:
    assert identify(text) == _general_identify(text)
    assert identify(text, builtin_schemes()) == _general_identify(text)


@pytest.mark.parametrize(
    "text",
    [
        "1701.00001",
        "1701.00001v2",
        "0704.0001",
        "0703.0001",
        "1501.0001",
        "1412.00001",
        "1713.00001",
        "1701.00000",
        "1701.00001v0",
        "2301.12345v10",
        "9912.12345",
    ],
)
def test_identifying_plain_ids_at_the_rules_edges(text: str) -> None:
    assert identify(text) == _general_identify(text)


def _assert_normalised_as_in_general(scheme: FinderScheme, value: str) -> None:
    """The scheme's normalize (with its fast path) says of ``value`` what the general
    search of every written form says: the same value, or the same refusal."""

    def outcome(normalize: Callable[[str], str]) -> str:
        try:
            return normalize(value)
        except InvalidIdentifier as e:
            return f"invalid: {e}"

    assert outcome(scheme.normalize) == outcome(lambda v: FinderScheme.normalize(scheme, v))


@settings(max_examples=500)
@given(st.one_of(_plain_ids, st.from_regex(r"\A[0-9]{4}\.[0-9]{3,6}\Z"), st.text(max_size=12)))
def test_normalising_an_arxiv_id_gives_what_the_general_path_gives(value: str) -> None:
    _assert_normalised_as_in_general(ArxivScheme(), value)


def test_a_plugin_scheme_is_still_asked_about_a_plain_arxiv_id() -> None:
    class Claims(DoiScheme):
        name = "claims"

        def parse(self, text: str) -> Iterator[Identifier]:
            yield Identifier(scheme="claims", value=text)

    found = identify("1701.00001", [*builtin_schemes(), Claims()])
    assert {i.scheme for i in found.identifiers} == {"arxiv", "claims"}


@settings(max_examples=500)
@given(
    st.text(
        st.characters(
            codec=None,
            categories=None,
            min_codepoint=0,
            max_codepoint=0xFFFF,
            exclude_characters=(),
        )
        | st.sampled_from(["\ud800", "\udcff", "\udfff", "é", "\U0001f600"]),
        max_size=40,
    )
)
def test_writable_text_is_what_the_surrogate_replacement_gives(text: str) -> None:
    assert _writable(text) == _SURROGATE_RE.sub("\ufffd", text)
    _writable(text).encode("utf-8")  # always encodes


def test_a_plain_arxiv_id_reads_the_same_with_the_installed_plugins_schemes() -> None:
    """The fast path also serves a resolver's schemes (the built-in ones and the
    plugins', which say nothing of a plain arXiv id)."""
    schemes = list(paperfuse.PluginHost().schemes.values())
    assert len(schemes) > len(builtin_schemes())  # the plugins' schemes are there
    general = [type(scheme)() for scheme in schemes]
    for text in ("1701.00001", "1701.00001v2", "0704.0001", "1713.00001", "1701.00001v0"):
        assert identify(text, schemes) == identify(text, general)


def test_a_plugin_scheme_that_refuses_a_plain_arxiv_id_is_heard() -> None:
    class Refuses(DoiScheme):
        name = "refuses"

        def parse(self, text: str) -> Iterator[Identifier]:
            raise InvalidIdentifier("refuses: not one of ours")

    found = identify("1701.00001", [*builtin_schemes(), Refuses()])
    assert found.identifiers == identify("1701.00001").identifiers
    assert found.reason == "refuses: not one of ours"  # the general reading heard it


def _recorded_dois() -> list[str]:
    """Every DOI of the recorded records, as written and in upper case."""
    dois = sorted({work.ids.doi for _, work in PARTIALS if work.ids.doi})
    return dois + [doi.upper() for doi in dois]


_doi_like = st.from_regex(
    r"\A10\.[0-9]{3,10}(\.[0-9]{1,3})?/[-._;()/:A-Za-z0-9<>\[\]{}'\"%#?&=+ ]{0,24}\Z"
)


def test_identifying_a_recorded_doi_gives_what_the_general_reading_gives() -> None:
    dois = _recorded_dois()
    assert len(dois) > 200
    for doi in dois:
        assert identify(doi) == _general_identify(doi), doi


@settings(max_examples=1000)
@given(st.one_of(_doi_like, st.sampled_from(["10.48550/arXiv.1701.00001", "10.1234/a."])))
def test_identifying_a_doi_like_text_gives_what_the_general_reading_gives(text: str) -> None:
    assert identify(text) == _general_identify(text)
    assert identify(text, builtin_schemes()) == _general_identify(text)


_doi_addresses = st.sampled_from(
    ["https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/",
     "https://DOI.org/", "doi.org/", "https://doi.org"]
)  # fmt: skip


def test_identifying_a_recorded_doi_at_doi_org_gives_what_the_general_reading_gives() -> None:
    for doi in _recorded_dois():
        for address in ("https://doi.org/", "http://dx.doi.org/"):
            assert identify(address + doi) == _general_identify(address + doi), doi


@settings(max_examples=1000)
@given(
    _doi_addresses,
    st.one_of(
        _doi_like,
        st.sampled_from(["10.48550/arXiv.1701.00001", "10.1234/a.", "10.1/a?b", "10.1/a#b"]),
    ),
)
def test_identifying_a_doi_org_address_gives_what_the_general_reading_gives(
    address: str, doi: str
) -> None:
    text = address + doi
    assert identify(text) == _general_identify(text)
    assert identify(text, builtin_schemes()) == _general_identify(text)


@settings(max_examples=1000)
@given(st.one_of(_doi_like, st.sampled_from(_recorded_dois())))
def test_normalising_a_doi_gives_what_the_general_path_gives(value: str) -> None:
    _assert_normalised_as_in_general(DoiScheme(), value)


@settings(max_examples=1000)
@given(
    st.text(
        alphabet=st.sampled_from(list("()[]{}<>.,;'\"\u201c\u201d\u2018\u2019aZ9/-")), max_size=12
    )
)
def test_stripping_an_unbalanced_end_is_unchanged_by_its_early_return(text: str) -> None:
    assert strip_unbalanced_end(text) == _strip_unbalanced_end_general(text)


def _strip_unbalanced_end_general(text: str) -> str:
    """strip_unbalanced_end as it was written before its early return (a verbatim copy)."""
    counts = Counter(text)
    end = len(text)
    while end:
        last = text[end - 1]
        unbalanced = (last in _CLOSERS and counts[last] > counts[_CLOSERS[last]]) or (
            last in _QUOTES and counts[last] % 2 == 1
        )
        if last not in SENTENCE_END and not unbalanced:
            break
        counts[last] -= 1
        end -= 1
    return text[:end]


def _revealed_by_every_scheme(locations: Sequence[OALocation]) -> dict[str, Identifier]:
    """Unpaywall's reading of its locations' identifiers as it was written first (a
    verbatim copy): every built-in scheme asked about every URL of a revealing host."""
    hosts = ("arxiv.org", "ncbi.nlm.nih.gov", "europepmc.org")
    found: dict[str, Identifier] = {}
    texts: set[str] = set()
    for location in locations:
        urls = (location.url, location.url_for_pdf, location.url_for_landing_page)
        texts.update(u for u in urls if u and any(host in u for host in hosts))
        if location.pmh_id and location.pmh_id.lower().startswith("oai:arxiv.org:"):
            texts.add("arXiv:" + location.pmh_id.split(":", 2)[2])
    for text in sorted(texts):
        for identifier in identify(text).identifiers:
            if identifier.scheme in ("arxiv", "pmcid", "pmid"):
                found.setdefault(identifier.scheme, identifier)
    return found


def test_unpaywall_reads_recorded_locations_as_every_scheme_would() -> None:
    from paperfuse_unpaywall._mapping import _revealed

    works = [w for _, w in PARTIALS if w.oa_locations]
    assert sum(1 for w in works if _revealed_by_every_scheme(w.oa_locations)) > 20
    for work in works:
        assert _revealed(work.oa_locations) == _revealed_by_every_scheme(work.oa_locations)


_revealing_urls = st.from_regex(
    r"\Ahttps?://(www\.)?(arxiv\.org/(abs|pdf)/[0-9]{4}\.[0-9]{4,5}(v[0-9])?(\.pdf)?"
    r"|europepmc\.org/(articles|abstract/MED|article/PMC)/(PMC)?[0-9]{1,8}"
    r"|(www\.)?ncbi\.nlm\.nih\.gov/(pmc/articles/PMC[0-9]{1,8}|pubmed/[0-9]{1,8})/?)"
    r"[/?#a-z0-9=.]{0,8}\Z"
)


@settings(max_examples=500)
@given(st.lists(st.tuples(_revealing_urls, st.sampled_from(["url", "pdf", "page"])), max_size=3))
def test_unpaywall_reads_revealing_urls_as_every_scheme_would(urls: list[tuple[str, str]]) -> None:
    from paperfuse_unpaywall._mapping import _revealed

    fields = {"url": "url", "pdf": "url_for_pdf", "page": "url_for_landing_page"}
    locations = [
        OALocation(**{"url": "https://example.org/copy", fields[kind]: url})  # type: ignore[arg-type]
        for url, kind in urls
    ]
    assert _revealed(tuple(locations)) == _revealed_by_every_scheme(locations)


_REVEALING_HOSTS = ("arxiv.org", "ncbi.nlm.nih.gov", "europepmc.org")


def _openalex_revealed_by_every_scheme(data: dict[str, Any]) -> dict[str, str]:
    """OpenAlex's reading of its locations' identifiers as it was written first (a
    verbatim copy of its texts): every built-in scheme asked about every text."""
    texts: set[str] = set()
    for location in data.get("locations") or ():
        for key in ("landing_page_url", "pdf_url"):
            url = location.get(key)
            if url and any(
                host in url.lower() for host in ("arxiv.org", "ncbi.nlm.nih.gov", "europepmc.org")
            ):
                texts.add(url)
        kind = location.get("id") or ""
        if kind.lower().startswith("pmh:oai:arxiv.org:"):
            texts.add("arXiv:" + kind[len("pmh:oai:arxiv.org:") :])
        elif kind.lower().startswith("pmh:oai:pubmedcentral.nih.gov:"):
            number = kind[len("pmh:oai:pubmedcentral.nih.gov:") :]
            if number.isascii() and number.isdigit() and len(number) <= 12:
                texts.add(f"PMC{number}")
    found: dict[str, str] = {}
    for text in sorted(texts):
        for identifier in identify(text).identifiers:
            if identifier.scheme in ("arxiv", "pmcid", "pmid"):
                found.setdefault(identifier.scheme, identifier.value)
    return found


def _openalex_works() -> list[dict[str, Any]]:
    """Every recorded OpenAlex work: the single works and each of a list's results."""
    works = []
    for path in sorted((FIXTURES / "openalex").glob("*.json")):
        data = json.loads(path.read_text())
        works.extend(data.get("results", [data]))
    return works


def test_openalex_reads_recorded_locations_as_every_scheme_would() -> None:
    from paperfuse_openalex._mapping import _revealed

    works = _openalex_works()
    assert sum(1 for w in works if _openalex_revealed_by_every_scheme(w)) >= 2
    for work in works:
        assert _revealed(work)[0] == _openalex_revealed_by_every_scheme(work)


@settings(max_examples=500)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.sampled_from(["landing_page_url", "pdf_url"]), _revealing_urls),
            st.tuples(
                st.just("id"),
                st.one_of(
                    st.from_regex(r"\Apmh:oai:(arXiv|arxiv)\.org:[0-9]{4}\.[0-9]{4,5}(v[0-9])?\Z"),
                    st.from_regex(r"\Apmh:oai:pubmedcentral\.nih\.gov:[0-9]{1,9}\Z"),
                ),
            ),
        ),
        max_size=4,
    ),
    st.booleans(),
)
def test_openalex_reads_revealing_locations_as_every_scheme_would(
    fields: list[tuple[str, str]], shout: bool
) -> None:
    from paperfuse_openalex._mapping import _revealed

    locations = [{key: value.upper() if shout and key != "id" else value} for key, value in fields]
    data = {"locations": locations}
    assert _revealed(data)[0] == _openalex_revealed_by_every_scheme(data)


_NAMES = st.sampled_from(["arxiv", "crossref", "unpaywall", "openalex", "pubmed", "zzz"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["title", "abstract", "ids.doi", "volume"]), min_size=1),
    st.lists(st.lists(_NAMES, unique=True, max_size=6), min_size=1, max_size=5),
)
def test_a_policys_kept_orders_are_the_orders_it_makes(
    fields: list[str], source_lists: list[list[str]]
) -> None:
    policy = MergePolicy({"volume": ["pubmed", "zzz"]})
    for field in fields:
        for sources in source_lists:
            ranked = policy.ranking.get(field, policy.ranking["default"])
            expected = sorted(
                sources, key=lambda s: (list(ranked).index(s) if s in ranked else len(ranked), s)
            )
            assert policy.order(field, sources) == expected
            assert policy.order(field, sources) == expected  # once kept


def test_a_policys_orders_follow_its_ranking_when_it_changes() -> None:
    policy = MergePolicy({"title": ("b", "a")})
    assert policy.order("title", ["a", "b", "c"]) == ["b", "a", "c"]
    assert policy.order("title", ["a", "b", "c"]) == ["b", "a", "c"]
    policy.ranking["title"] = ("c", "a")
    assert policy.order("title", ["a", "b", "c"]) == ["c", "a", "b"]
    policy.ranking["title"] = ["a"]  # a list, which can change in place
    assert policy.order("title", ["b", "a"]) == ["a", "b"]
    policy.ranking["title"].insert(0, "b")
    assert policy.order("title", ["b", "a"]) == ["b", "a"]
