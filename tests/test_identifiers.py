"""Tests of identifier schemes and identify() (paperfuse._identifiers).

Tables of real identifiers in the forms people paste them, what each must become, and the
malformed inputs that must come back ``invalid`` with a reason that says what is wrong.
``fixtures/identifiers/vectors.csv`` adds the test vectors of other projects that agree
with paperfuse's rules (provenance in the README beside it).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from paperfuse._errors import InvalidIdentifier
from paperfuse._identifiers import (
    MAX_INPUT_LENGTH,
    ArxivScheme,
    DoiScheme,
    IdentifierScheme,
    PmcidScheme,
    PmidScheme,
    UrlScheme,
    builtin_schemes,
    identify,
)
from paperfuse._records import Identification, Identifier, encode_json

VECTORS = Path(__file__).parent / "fixtures" / "identifiers" / "vectors.csv"
SCHEMES: dict[str, IdentifierScheme] = {scheme.name: scheme for scheme in builtin_schemes()}


def keys(result: Identification) -> list[tuple[str, str, int | None]]:
    """The (scheme, value, version) of each identifier in a result, in order."""
    return [identifier.key for identifier in result.identifiers]


def single(text: str) -> Identifier:
    """The one identifier ``text`` identifies; fails the test otherwise."""
    result = identify(text)
    assert result.kind == "identifier", result
    assert len(result.identifiers) == 1, result.identifiers
    return result.identifiers[0]


def invalid_reason(text: str) -> str:
    """The reason ``text`` is invalid; fails the test when it is not invalid."""
    result = identify(text)
    assert result.kind == "invalid", result
    assert result.identifiers == ()
    assert result.query is None
    assert result.reason
    return result.reason


# --- DOI -------------------------------------------------------------------------------------

DOI_FORMS = [
    ("10.1016/j.epsl.2011.11.037", "10.1016/j.epsl.2011.11.037"),
    ("doi:10.1016/j.epsl.2011.11.037", "10.1016/j.epsl.2011.11.037"),
    ("DOI:10.1016/J.EPSL.2011.11.037", "10.1016/j.epsl.2011.11.037"),
    ("doi: 10.1016/j.epsl.2011.11.037", "10.1016/j.epsl.2011.11.037"),
    ("DOI 10.1038/nature12373", "10.1038/nature12373"),
    ("info:doi/10.1038/nature12373", "10.1038/nature12373"),
    ("https://doi.org/10.1103/PhysRevLett.80.3915", "10.1103/physrevlett.80.3915"),
    ("http://dx.doi.org/10.1016/j.epsl.2011.11.037", "10.1016/j.epsl.2011.11.037"),
    ("https://www.doi.org/10.1038/nature12373", "10.1038/nature12373"),
    ("doi.org/10.1016/j.epsl.2011.11.037", "10.1016/j.epsl.2011.11.037"),
    ("dx.doi.org/10.1038/nature12373", "10.1038/nature12373"),
    ("https://doi.org/10.1038/nature12373#abstract", "10.1038/nature12373"),
    ("10.1002%2Fanie.201915678", "10.1002/anie.201915678"),
    ("https://doi.org/10.1097%2F00004032-200403000-00012", "10.1097/00004032-200403000-00012"),
    ("10.1038/nature12373.", "10.1038/nature12373"),
    ("10.1038/nature12373,", "10.1038/nature12373"),
    ("10.1038/nature12373;", "10.1038/nature12373"),
    ("10.1038/nature12373)", "10.1038/nature12373"),
    ("10.1038/nature12373]", "10.1038/nature12373"),
    ('10.1038/nature12373"', "10.1038/nature12373"),
    ("10.1038/nature12373'", "10.1038/nature12373"),
    ("10.1038/nature12373).", "10.1038/nature12373"),
    ("doi:10.1038/NATURE12373.", "10.1038/nature12373"),
    ("10.1016/S0933-3657(96)00367-3", "10.1016/s0933-3657(96)00367-3"),
    ("10.1016/S0933-3657(96)00367-3).", "10.1016/s0933-3657(96)00367-3"),
    (
        "10.1002/(SICI)1521-3978(199806)46:4/5<493::AID-PROP493>3.0.CO;2-P",
        "10.1002/(sici)1521-3978(199806)46:4/5<493::aid-prop493>3.0.co;2-p",
    ),
    ("10.1000.10/123456", "10.1000.10/123456"),
    ("10.1016/Üникóδé-дôΐ", "10.1016/üникóδé-дôΐ"),
    ('"10.1038/nature12373"', "10.1038/nature12373"),
    ("<https://doi.org/10.1038/nature12373>", "10.1038/nature12373"),
]


@pytest.mark.parametrize(("text", "value"), DOI_FORMS)
def test_doi_forms(text: str, value: str) -> None:
    identifier = single(text)
    assert identifier == Identifier(scheme="doi", value=value, confidence=1.0)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10.1234", "prefix with no suffix"),
        ("10.1234/", "prefix with no suffix"),
        ("doi:", "no DOI"),
        ("https://doi.org/", "no DOI"),
        ("doi:7717/peerj.705", "starts with '10.'"),
        ("doi:10.771/peerj.705", "4 to 9 digit registrant code"),
        ("10.10O0/123456", "4 to 9 digit registrant code"),
        ("doi:10/b6vnmd", "shortDOI"),
    ],
)
def test_malformed_doi(text: str, reason: str) -> None:
    assert reason in invalid_reason(text)


@pytest.mark.parametrize(
    ("text", "doi", "arxiv"),
    [
        ("10.48550/arXiv.2301.00001", "10.48550/arxiv.2301.00001", "2301.00001"),
        ("doi:10.48550/ARXIV.1710.08557", "10.48550/arxiv.1710.08557", "1710.08557"),
        ("https://doi.org/10.48550/arxiv.2301.00001", "10.48550/arxiv.2301.00001", "2301.00001"),
        ("10.48550/arXiv.hep-th/9901001", "10.48550/arxiv.hep-th/9901001", "hep-th/9901001"),
    ],
)
def test_arxiv_doi_gives_the_doi_and_the_arxiv_id(text: str, doi: str, arxiv: str) -> None:
    result = identify(text)
    assert result.kind == "identifier"
    assert keys(result) == [("doi", doi, None), ("arxiv", arxiv, None)]
    assert all(identifier.confidence == 1.0 for identifier in result.identifiers)


def test_malformed_arxiv_part_of_a_doi_is_reported_beside_the_doi() -> None:
    result = identify("10.48550/arXiv.1234.1234")
    assert result.kind == "identifier"
    assert keys(result) == [("doi", "10.48550/arxiv.1234.1234", None)]
    assert result.reason == (
        "1234.1234 looks like a new-style arXiv id, but month 34 is invalid (months are 01 to 12)"
    )


# --- arXiv -----------------------------------------------------------------------------------

ARXIV_FORMS = [
    ("0704.0001", "0704.0001", None),
    ("1412.7878", "1412.7878", None),
    ("1501.00001", "1501.00001", None),
    ("2301.00001v3", "2301.00001", 3),
    ("1709.09354V1", "1709.09354", 1),
    ("arXiv:1710.08557", "1710.08557", None),
    ("ARXIV:1710.08557v2", "1710.08557", 2),
    ("arxiv: 2301.00001", "2301.00001", None),
    ("arXiv:1501.00001v1 [hep-th]", "1501.00001", 1),
    ("arXiv:0706.0001v1 [q-bio.CB]", "0706.0001", 1),
    ("hep-th/9901001", "hep-th/9901001", None),
    ("hep-th/9901001v2", "hep-th/9901001", 2),
    ("cond-mat/0709123", "cond-mat/0709123", None),
    ("math.GT/0309136", "math/0309136", None),
    ("math.CA/0611800v2", "math/0611800", 2),
    ("arXiv:math.GT/0309136v2", "math/0309136", 2),
    ("HEP-TH/9901001", "hep-th/9901001", None),
    ("hep-th/1601.07616", "1601.07616", None),
    ("https://arxiv.org/abs/2301.00001", "2301.00001", None),
    ("http://arxiv.org/abs/2301.00001v2", "2301.00001", 2),
    ("https://arxiv.org/pdf/2301.00001", "2301.00001", None),
    ("https://arxiv.org/pdf/2301.00001.pdf", "2301.00001", None),
    ("https://arxiv.org/pdf/2301.00001v2", "2301.00001", 2),
    ("https://arxiv.org/pdf/2301.00001v2.pdf", "2301.00001", 2),
    ("https://arxiv.org/abs/hep-th/9305059?context=math", "hep-th/9305059", None),
    ("http://www.arxiv.org/abs/math/0211159/", "math/0211159", None),
    ("https://www.arxiv.org/pdf/math.GT/0309136v2.pdf", "math/0309136", 2),
    ("export.arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001", 1),
    ("arxiv.org/abs/1710.08557", "1710.08557", None),
]


@pytest.mark.parametrize(("text", "value", "version"), ARXIV_FORMS)
def test_arxiv_forms(text: str, value: str, version: int | None) -> None:
    assert single(text) == Identifier(scheme="arxiv", value=value, version=version)


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("1234.1234", ["new-style arXiv id", "month 34 is invalid"]),
        ("https://arxiv.org/abs/1234.1234", ["month 34 is invalid"]),
        ("0612.1234", ["start in April 2007 (0704)"]),
        ("0707.12345", ["have 4 digits after the dot, not 5"]),
        ("1501.0001", ["have 5 digits after the dot, not 4"]),
        ("0704.0000", ["numbers start at 1"]),
        ("2301.00001v0", ["start at v1"]),
        ("2301.00001v", ["must be followed by a number"]),
        ("hep-th/990100", ["old-style arXiv id", "6 digits, not 7"]),
        ("hep-th/9913001", ["month 13 is invalid"]),
        ("hep-th/0801001", ["from 1991 to 2007"]),
        ("hep-th/9901000", ["numbers start at 001"]),
        ("foo/9901001", ["archive is not one of arXiv's"]),
        ("arXiv:", ["'arXiv:' is followed by no identifier"]),
        ("arXiv:attention", ["'attention' is not an arXiv id"]),
        (
            "cond\u2014mat/0709123",
            ["old-style arXiv id", "non-ASCII dash", "U+2014 EM DASH", "cond-mat/0709123"],
        ),
        ("arXiv:hep\u2013th/9901001v2", ["EN DASH", "did you mean hep-th/9901001v2?"]),
    ],
)
def test_malformed_arxiv(text: str, reasons: list[str]) -> None:
    reason = invalid_reason(text)
    for part in reasons:
        assert part in reason


# --- PMID and PMCID --------------------------------------------------------------------------

PMID_FORMS = [
    ("PMID: 31233491", "31233491"),
    ("pmid:12082125", "12082125"),
    ("PMID 31233491", "31233491"),
    ("pubmed:25648772", "25648772"),
    ("PMID: 00123", "123"),
    ("https://pubmed.ncbi.nlm.nih.gov/12082125/", "12082125"),
    ("https://pubmed.ncbi.nlm.nih.gov/12082125", "12082125"),
    ("pubmed.ncbi.nlm.nih.gov/12082125/", "12082125"),
    ("https://www.ncbi.nlm.nih.gov/pubmed/31233491", "31233491"),
    ("https://europepmc.org/article/MED/31233491", "31233491"),
]


@pytest.mark.parametrize(("text", "value"), PMID_FORMS)
def test_pmid_forms(text: str, value: str) -> None:
    result = identify(text)
    assert keys(result) == [("pmid", value, None)]
    assert result.identifiers[0].confidence == 1.0
    assert result.reason is None


@pytest.mark.parametrize("text", ["1", "123", "31233491", "99999999"])
def test_bare_number_is_a_pmid_guess_with_a_reason(text: str) -> None:
    result = identify(text)
    assert result.kind == "identifier"
    assert result.identifiers == (Identifier(scheme="pmid", value=text, confidence=0.5),)
    assert result.reason == f"{text} was read as a PMID only because it is a number"


@pytest.mark.parametrize("text", ["0123", "123456789", "3.14159"])
def test_numbers_that_are_no_pmid(text: str) -> None:
    result = identify(text)
    assert result.kind == "query"
    assert result.identifiers == ()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("PMID:", "followed by nothing"),
        ("PMID: abc", "not a number"),
        ("PMID: 0", "PMIDs start at 1"),
        ("pmid:PMC4304851", "PMC4304851 is a PMCID, not a PMID"),
    ],
)
def test_malformed_pmid(text: str, reason: str) -> None:
    assert reason in invalid_reason(text)


PMCID_FORMS = [
    ("PMC123456", "PMC123456"),
    ("pmc123456", "PMC123456"),
    ("PMC0123", "PMC123"),
    ("PMCID: PMC123", "PMC123"),
    ("pmcid:PMC4304851", "PMC4304851"),
    ("pmc:PMC4304851", "PMC4304851"),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC123/", "PMC123"),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4304851/pdf/nihms652185.pdf", "PMC4304851"),
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC123/", "PMC123"),
    ("https://europepmc.org/article/PMC/PMC123", "PMC123"),
    ("https://europepmc.org/article/PMC/123", "PMC123"),
    ("europepmc.org/articles/PMC123", "PMC123"),
]


@pytest.mark.parametrize(("text", "value"), PMCID_FORMS)
def test_pmcid_forms(text: str, value: str) -> None:
    assert single(text) == Identifier(scheme="pmcid", value=value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("PMC", "'PMC' is followed by no digits"),
        ("PMCID:", "followed by no PMCID"),
        ("pmcid:25648772", "may be a PMID"),
        ("PMC12a", "not a PMCID"),
    ],
)
def test_malformed_pmcid(text: str, reason: str) -> None:
    assert reason in invalid_reason(text)


# --- URLs ------------------------------------------------------------------------------------

PUBLISHER_PAGES = [
    (
        "https://link.springer.com/article/10.1007/s00222-019-00888-5",
        "10.1007/s00222-019-00888-5",
    ),
    ("https://onlinelibrary.wiley.com/doi/full/10.1002/anie.201915678", "10.1002/anie.201915678"),
    ("https://onlinelibrary.wiley.com/doi/10.1002/anie.201915678/full", "10.1002/anie.201915678"),
    ("https://onlinelibrary.wiley.com/doi/10.1002/anie.201915678/epdf", "10.1002/anie.201915678"),
    (
        "https://onlinelibrary.wiley.com/doi/10.1002/anie.201915678/abstract",
        "10.1002/anie.201915678",
    ),
    ("https://onlinelibrary.wiley.com/doi/pdf/10.1002/anie.201915678", "10.1002/anie.201915678"),
    ("https://pubs.acs.org/doi/10.1021/acs.jpca.9b05437", "10.1021/acs.jpca.9b05437"),
    (
        "https://journals.aps.org/prd/abstract/10.1103/PhysRevD.89.084044",
        "10.1103/physrevd.89.084044",
    ),
    (
        "https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0061390",
        "10.1371/journal.pone.0061390",
    ),
    ("https://www.biorxiv.org/content/10.1101/087619v3.full", "10.1101/087619"),
    (
        "https://www.medrxiv.org/content/10.1101/2020.04.14.20062463v2.full.pdf",
        "10.1101/2020.04.14.20062463",
    ),
]


@pytest.mark.parametrize(("url", "doi"), PUBLISHER_PAGES)
def test_publisher_page_gives_its_doi_and_the_url(url: str, doi: str) -> None:
    result = identify(url)
    assert result.kind == "identifier"
    assert result.identifiers == (
        Identifier(scheme="url", value=url, confidence=1.0),
        Identifier(scheme="doi", value=doi, confidence=0.9),
    )
    assert result.reason == f"DOI {doi} was read from the address of a publisher's page"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("https://www.nature.com/articles/s41586-020-2649-2", None),
        ("HTTPS://Example.COM/Path?q=1#frag", "https://example.com/Path?q=1"),
        ("http://example.com", "http://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://arxiv.org/list/hep-th/new", None),
        ("https://pubmed.ncbi.nlm.nih.gov/?term=cancer", None),
    ],
)
def test_other_urls_stay_urls(text: str, value: str | None) -> None:
    assert single(text) == Identifier(scheme="url", value=value or text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("ftp://example.com/paper.pdf", "only http and https URLs"),
        ("http://.example.org/paper", "bad host"),
        ("https://example.org:99999/", "not a valid URL"),
        ("url:", "no http(s) URL"),
    ],
)
def test_malformed_url(text: str, reason: str) -> None:
    assert reason in invalid_reason(text)


# --- round trips -----------------------------------------------------------------------------

ROUND_TRIP_INPUTS = [
    *(text for text, _ in DOI_FORMS),
    *(text for text, _, _ in ARXIV_FORMS),
    *(text for text, _ in PMID_FORMS),
    *(text for text, _ in PMCID_FORMS),
    *(url for url, _ in PUBLISHER_PAGES),
    "10.48550/arXiv.2301.00001",
    "31233491",
    "HTTPS://Example.COM/Path?q=1#frag",
]


@pytest.mark.parametrize("text", ROUND_TRIP_INPUTS)
def test_round_trip(text: str) -> None:
    """Normalising a normalised value changes nothing; its string identifies it again."""
    identifiers = identify(text).identifiers
    assert identifiers
    for identifier in identifiers:
        scheme = SCHEMES[identifier.scheme]
        assert scheme.normalize(identifier.value) == identifier.value
        again = identify(str(identifier))
        assert again.kind == "identifier"
        assert again.identifiers[0].key == identifier.key
        assert again.identifiers[0].confidence == 1.0


@pytest.mark.parametrize(
    ("scheme", "value", "normalized"),
    [
        (DoiScheme(), " https://doi.org/10.1038/NATURE12373 ", "10.1038/nature12373"),
        (DoiScheme(), "doi:10.1002%2Fanie.201915678", "10.1002/anie.201915678"),
        (ArxivScheme(), "arXiv:math.GT/0309136v2", "math/0309136"),
        (ArxivScheme(), "https://arxiv.org/abs/2301.00001v4", "2301.00001"),
        (PmidScheme(), "PMID: 0123", "123"),
        (PmcidScheme(), "pmc0123", "PMC123"),
        (UrlScheme(), "HTTP://Example.org#top", "http://example.org/"),
    ],
)
def test_normalize(scheme: IdentifierScheme, value: str, normalized: str) -> None:
    assert scheme.normalize(value) == normalized
    assert scheme.normalize(normalized) == normalized


@pytest.mark.parametrize(
    ("scheme", "value"),
    [
        (DoiScheme(), "not a doi"),
        (ArxivScheme(), "1234.1234"),
        (PmidScheme(), "abc"),
        (PmcidScheme(), "123"),
        (UrlScheme(), "http://.example.org/"),
    ],
)
def test_normalize_refuses_what_is_no_identifier(scheme: IdentifierScheme, value: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        scheme.normalize(value)
    assert raised.value.scheme == scheme.name


@pytest.mark.parametrize(
    ("identifier", "url"),
    [
        (
            Identifier(scheme="doi", value="10.1038/nature12373"),
            "https://doi.org/10.1038/nature12373",
        ),
        (
            Identifier(scheme="doi", value="10.1002/(sici)1521-3978(199806)46:4/5<493::aid"),
            "https://doi.org/10.1002/(sici)1521-3978(199806)46:4/5%3C493::aid",
        ),
        (Identifier(scheme="arxiv", value="2301.00001"), "https://arxiv.org/abs/2301.00001"),
        (
            Identifier(scheme="arxiv", value="math/0309136", version=2),
            "https://arxiv.org/abs/math/0309136v2",
        ),
        (Identifier(scheme="pmid", value="123"), "https://pubmed.ncbi.nlm.nih.gov/123/"),
        (
            Identifier(scheme="pmcid", value="PMC123"),
            "https://pmc.ncbi.nlm.nih.gov/articles/PMC123/",
        ),
        (Identifier(scheme="url", value="https://example.org/a"), "https://example.org/a"),
    ],
)
def test_scheme_urls(identifier: Identifier, url: str) -> None:
    assert SCHEMES[identifier.scheme].url(identifier) == url


# --- inputs that are no identifier at all ------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\t\n  \r\n"])
def test_empty_input(text: str) -> None:
    assert invalid_reason(text) == "empty input"


def test_over_long_input_is_refused_at_once() -> None:
    result = identify("a" * 10_000_000)
    assert result.kind == "invalid"
    assert result.reason == "input is 10,000,000 characters long; the limit is 2,000"
    assert result.text == "a" * 100 + "\u2026"


def test_input_of_the_limit_is_read() -> None:
    assert MAX_INPUT_LENGTH == 2_000
    assert identify("a" * MAX_INPUT_LENGTH).kind == "query"
    assert identify("a" * (MAX_INPUT_LENGTH + 1)).kind == "invalid"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10.1038/nature12373\x00", "input contains the control character U+0000 at position 19"),
        ("PMC\x07123", "input contains the control character U+0007 at position 3"),
        ("Attention\x1bis all you need", "input contains the control character U+001B"),
    ],
)
def test_control_characters_are_refused(text: str, reason: str) -> None:
    assert invalid_reason(text).startswith(reason)


def test_invisible_characters_are_ignored() -> None:
    text = "\ufeff10.1038/\u200bnature12373\u00ad"
    result = identify(text)
    assert keys(result) == [("doi", "10.1038/nature12373", None)]
    assert result.text == text


@pytest.mark.parametrize("text", ["/", "...", "\u2014 \u2014", "()"])
def test_text_without_letters_or_digits(text: str) -> None:
    assert invalid_reason(text) == "input has no letters or digits"


def test_text_that_is_not_a_string() -> None:
    result = identify(b"10.1038/nature12373")  # type: ignore[arg-type]
    assert result.kind == "invalid"
    assert result.reason == "input must be text, not bytes"


def test_text_is_the_stripped_input() -> None:
    result = identify("  PMC123 \n")
    assert result.text == "PMC123"


# Bytes that are not UTF-8 reach Python as lone surrogates ("\udcff" for byte 0xff): from
# argv, and from stdin or files decoded with errors="surrogateescape".
@pytest.mark.parametrize(
    ("text", "reason", "shown"),
    [
        ("\udcff", "input is not valid UTF-8: byte 0xff at position 0", "\ufffd"),
        (
            "10.1038/\udcffx",
            "input is not valid UTF-8: byte 0xff at position 8",
            "10.1038/\ufffdx",
        ),
        (
            "  arXiv:1710.\udce2\udc80\udc9308557 ",
            "input is not valid UTF-8: byte 0xe2 at position 11",
            "arXiv:1710.\ufffd\ufffd\ufffd08557",
        ),
        (
            "Attention is all \ud800you need",
            "input contains U+D800, a lone surrogate, at position 17: it is not text",
            "Attention is all \ufffdyou need",
        ),
        ("\ud83d\ude00", "input contains U+D83D, a lone surrogate, at position 0", "\ufffd\ufffd"),
    ],
)
def test_undecodable_bytes_make_the_input_invalid(text: str, reason: str, shown: str) -> None:
    result = identify(text)
    assert result.kind == "invalid"
    assert result.reason is not None
    assert result.reason.startswith(reason)
    assert result.text == shown
    encode_json(result).decode("utf-8")  # the echo can be written out


def test_over_long_input_with_undecodable_bytes_is_shown_writable() -> None:
    result = identify("\udcff" * 5_000)
    assert result.kind == "invalid"
    assert result.text == "\ufffd" * 100 + "\u2026"
    encode_json(result)


# re's \d and str.isdigit() accept every script's digits; identifiers are ASCII only.
OTHER_DIGITS = {
    "arabic-indic": 0x0660,
    "extended arabic-indic": 0x06F0,
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "thai": 0x0E50,
    "fullwidth": 0xFF10,
    "mathematical bold": 0x1D7CE,
}


def in_digits(text: str, zero: int) -> str:
    """``text`` with its ASCII digits written in the script whose zero is ``zero``."""
    return text.translate({ord(str(n)): chr(zero + n) for n in range(10)})


@pytest.mark.parametrize("zero", OTHER_DIGITS.values(), ids=OTHER_DIGITS.keys())
@pytest.mark.parametrize(
    "text",
    [
        "1710.08557",
        "1710.08557v2",
        "arXiv:1710.08557",
        "arxiv:math/0211159",
        "math/0211159",
        "https://arxiv.org/abs/1710.08557",
        "10.1038/nature",
        "doi:10.1103/physrevlett.80.3915",
        "https://doi.org/10.1038/nature",
        "PMID: 31233491",
        "https://pubmed.ncbi.nlm.nih.gov/31233491/",
        "PMC4831178",
        "PMCID: PMC4831178",
        "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4831178/",
    ],
)
def test_identifiers_are_written_in_ascii_digits(text: str, zero: int) -> None:
    assert identify(text).kind == "identifier"  # the same in ASCII digits is one
    written = in_digits(text, zero)
    result = identify(written)
    assert result.identifiers == (), result
    assert result.kind == "invalid"
    assert result.reason is not None
    assert "digits that are not ASCII" in result.reason
    assert f"did you mean {text}?" in result.reason


@pytest.mark.parametrize("zero", OTHER_DIGITS.values(), ids=OTHER_DIGITS.keys())
def test_other_digits_in_titles_and_doi_suffixes_are_kept(zero: int) -> None:
    suffix = in_digits("nature123", zero)
    assert keys(identify("10.1038/" + suffix)) == [("doi", "10.1038/" + suffix, None)]
    title = identify(in_digits("The 2019 outbreak of a novel coronavirus", zero))
    assert title.kind == "query"
    number = identify(in_digits("31233491", zero))
    assert number.kind == "query"  # a bare number was only a guess: no PMID guess either


# Inputs built to make a careless regular expression backtrack; each must still come back
# quickly (the suite would hang otherwise) and as what it is.
NASTY_INPUTS: list[tuple[str, Callable[[], str], str]] = [
    ("letters", lambda: "a" * MAX_INPUT_LENGTH, "query"),
    ("digits", lambda: "1" * MAX_INPUT_LENGTH, "query"),
    ("doi prefix", lambda: "10." + "1" * (MAX_INPUT_LENGTH - 3), "query"),
    ("doi subdivisions", lambda: "10.1234" + ".1" * 996, "invalid"),
    ("closing parens", lambda: "10.1234/" + ")" * 1992, "invalid"),
    ("trailing dots", lambda: "10.1234/x" + "." * 1991, "identifier"),
    ("arxiv prefix", lambda: "arXiv:" + "1" * 1994, "invalid"),
    ("new-style number", lambda: "1234." + "1" * 1995, "invalid"),
    ("old-style digits", lambda: "hep-th/" + "9" * 1993, "invalid"),
    ("dashes", lambda: "a" + "-" * 1990 + "/0101010", "invalid"),
    ("host", lambda: "https://" + "a" * 1992, "invalid"),
    ("host labels", lambda: "https://" + "a." * 996, "invalid"),
    ("query of dois", lambda: "https://x.org/?" + "id=10.1234/x&" * 152, "identifier"),
    ("surnames", lambda: "Smith, " * 285, "query"),
    ("initials", lambda: "J. " * 666, "query"),
    ("quotes", lambda: '"a' * 1000, "query"),
    ("years", lambda: "(2020) " * 285, "query"),
    ("names", lambda: "Aa Bb " * 333, "query"),
    ("vancouver", lambda: "Smith AB, " * 200, "query"),
    ("tokens", lambda: "doi:10.1038/x " * 142, "query"),
    ("mixed", lambda: "aA1.-/(\"' " * 200, "query"),
]


@pytest.mark.parametrize(
    ("make", "kind"),
    [(make, kind) for _, make, kind in NASTY_INPUTS],
    ids=[name for name, _, _ in NASTY_INPUTS],
)
def test_nasty_input_of_the_limit(make: Callable[[], str], kind: str) -> None:
    text = make()
    assert len(text) <= MAX_INPUT_LENGTH
    result = identify(text)
    assert result.kind == kind
    if kind == "invalid":
        assert result.reason
        assert len(result.reason) < 400  # reasons quote the input cut short


# --- several identifiers in one text ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "arXiv:1710.08557 doi:10.1103/PhysRevD.89.084044",
            [("arxiv", "1710.08557", None), ("doi", "10.1103/physrevd.89.084044", None)],
        ),
        (
            "doi: 10.1103/PhysRevD.89.084044\nPMID: 31233491",
            [("doi", "10.1103/physrevd.89.084044", None), ("pmid", "31233491", None)],
        ),
        (
            "https://example.org/a https://example.org/b",
            [("url", "https://example.org/a", None), ("url", "https://example.org/b", None)],
        ),
    ],
)
def test_several_identifiers(text: str, expected: list[tuple[str, str, None]]) -> None:
    result = identify(text)
    assert result.kind == "identifier"
    assert keys(result) == expected


@pytest.mark.parametrize("text", ["arXiv:1710.08557 Deep learning", "12345 67890"])
def test_identifier_among_words_or_guesses_is_a_query(text: str) -> None:
    result = identify(text)
    assert result.kind == "query"
    assert result.identifiers == ()


def test_one_malformed_identifier_in_a_list_makes_it_invalid() -> None:
    reason = invalid_reason("arXiv:1710.08557 arXiv:1234.1234")
    assert reason.startswith("arXiv:1234.1234: ")
    assert "month 34 is invalid" in reason


# --- queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Attention is all you need", "Attention is all you need"),
        ("  Attention   is all\nyou need ", "Attention is all you need"),
        ('"Attention is all you need"', "Attention is all you need"),
        ("The 2019 novel coronavirus outbreak", "The 2019 novel coronavirus outbreak"),
        ("BAD_ID", "BAD_ID"),
    ],
)
def test_title_query(text: str, title: str) -> None:
    result = identify(text)
    assert result.kind == "query"
    assert result.query is not None
    assert result.query.kind == "title"
    assert result.query.title == title
    assert result.query.text == " ".join(text.split())
    assert (result.query.author, result.query.year) == (None, None)


CITATIONS = [
    (  # APA
        "Smith, J. A., & Doe, B. (2020). Deep learning for cats. Journal of Feline Studies, "
        "12(3), 45\u201367. https://doi.org/10.1234/jfs.2020.001",
        "Smith",
        2020,
        "Deep learning for cats",
    ),
    (  # Vancouver
        "Smith JA, Doe B. Deep learning for cats. J Feline Stud. 2020;12(3):45-67.",
        "Smith",
        2020,
        "Deep learning for cats",
    ),
    (  # MLA
        'Smith, John. "Deep Learning for Cats." Journal of Feline Studies, vol. 12, no. 3, '
        "2020, pp. 45-67.",
        "Smith",
        2020,
        "Deep Learning for Cats",
    ),
    (  # free form
        'Vaswani et al., "Attention Is All You Need", NeurIPS 2017',
        "Vaswani",
        2017,
        "Attention Is All You Need",
    ),
    (  # ACL
        "Ashish Vaswani, Noam Shazeer, Niki Parmar, and Illia Polosukhin. 2017. Attention is "
        "all you need. In Advances in Neural Information Processing Systems, pages 5998\u20136008.",
        "Vaswani",
        2017,
        "Attention is all you need",
    ),
    (  # physics, no title
        "A. Einstein, B. Podolsky, and N. Rosen, Phys. Rev. 47, 777 (1935).",
        "Einstein",
        1935,
        None,
    ),
    (  # a title with its year
        "Attention is all you need (2017)",
        None,
        2017,
        "Attention is all you need",
    ),
    (  # long, several sentences, no year
        "Lamport L. Time, clocks, and the ordering of events in a distributed system. "
        "Communications of the ACM. Volume 21, issue 7.",
        "Lamport",
        None,
        "Time, clocks, and the ordering of events in a distributed system",
    ),
]


@pytest.mark.parametrize(("text", "author", "year", "title"), CITATIONS)
def test_citation_query(text: str, author: str | None, year: int | None, title: str | None) -> None:
    result = identify(text)
    assert result.kind == "query"
    assert result.identifiers == ()
    assert result.query is not None
    assert result.query.kind == "citation"
    assert (result.query.author, result.query.year, result.query.title) == (author, year, title)


# --- plugin schemes ---------------------------------------------------------------------------


class IsbnScheme(IdentifierScheme):
    """A third-party scheme: ``isbn:`` and 13 digits with a valid check digit."""

    name = "isbn"
    _PREFIX = re.compile(r"isbn:\s*([\d-]+)", re.IGNORECASE)

    def parse(self, text: str) -> Iterable[Identifier]:
        match = self._PREFIX.fullmatch(text)
        if match is None:
            return
        digits = match.group(1).replace("-", "")
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
        if len(digits) != 13 or total % 10:
            raise InvalidIdentifier(f"{digits} is not an ISBN-13", scheme=self.name)
        yield Identifier(scheme=self.name, value=digits)


class OpenLibraryScheme(IdentifierScheme):
    """A plugin that reads ISBNs out of Open Library URLs, sure of them."""

    name = "isbn"

    def parse(self, text: str) -> Iterable[Identifier]:
        if text.startswith("https://openlibrary.org/isbn/"):
            yield Identifier(scheme=self.name, value=text.rsplit("/", 1)[1])


class BrokenScheme(IdentifierScheme):
    """A plugin with a bug."""

    name = "broken"

    def parse(self, text: str) -> Iterable[Identifier]:
        raise RuntimeError("boom")


class SloppyScheme(IdentifierScheme):
    """A plugin that returns something other than identifiers."""

    name = "sloppy"

    def parse(self, text: str) -> Iterable[Identifier]:
        return ["10.1038/nature12373"]  # type: ignore[list-item]


class DoubtfulScheme(IdentifierScheme):
    """A plugin that guesses a DOI for anything, and whose explanation fails."""

    name = "doubtful"

    def parse(self, text: str) -> Iterable[Identifier]:
        yield Identifier(scheme="doi", value="10.1038/nature12373", confidence=0.3)

    def explain(self, identifier: Identifier) -> str | None:
        raise ValueError("no idea")


def test_builtin_schemes_in_order() -> None:
    schemes = builtin_schemes()
    assert [scheme.name for scheme in schemes] == ["doi", "arxiv", "pmid", "pmcid", "url"]
    assert all(isinstance(scheme, IdentifierScheme) for scheme in schemes)
    assert [scheme.fallback for scheme in schemes] == [False, False, False, False, True]


def test_plugin_scheme_is_consulted() -> None:
    schemes = [*builtin_schemes(), IsbnScheme()]
    result = identify("isbn:978-0-262-03384-8", schemes)
    assert result.kind == "identifier"
    assert result.identifiers == (Identifier(scheme="isbn", value="9780262033848"),)
    assert identify("isbn:978-0-262-03384-8").kind == "query"


def test_plugin_scheme_can_find_input_malformed() -> None:
    result = identify("isbn:978-0-262-03384-9", [*builtin_schemes(), IsbnScheme()])
    assert result.kind == "invalid"
    assert result.reason == "9780262033849 is not an ISBN-13"


def test_plugin_identifier_silences_the_url_fallback() -> None:
    url = "https://openlibrary.org/isbn/9780262033848"
    assert keys(identify(url)) == [("url", url, None)]
    result = identify(url, [*builtin_schemes(), OpenLibraryScheme()])
    assert keys(result) == [("isbn", "9780262033848", None)]


def test_failing_scheme_is_skipped_and_reported() -> None:
    result = identify("10.1038/nature12373", [BrokenScheme(), *builtin_schemes()])
    assert keys(result) == [("doi", "10.1038/nature12373", None)]
    assert result.reason == "scheme 'broken' failed and was skipped: RuntimeError('boom')"
    query = identify("Attention is all you need", [BrokenScheme(), *builtin_schemes()])
    assert query.kind == "query"
    assert query.reason is not None
    assert "'broken' failed" in query.reason


def test_scheme_returning_no_identifiers_is_skipped() -> None:
    result = identify("Attention is all you need", [SloppyScheme()])
    assert result.kind == "query"
    assert result.reason == "scheme 'sloppy' returned something not an Identifier"


def test_identifiers_are_deduplicated_most_confident_first() -> None:
    result = identify("10.1038/nature12373", [DoubtfulScheme(), *builtin_schemes()])
    assert result.identifiers == (Identifier(scheme="doi", value="10.1038/nature12373"),)
    guessed = identify("Attention is all you need", [DoubtfulScheme(), *builtin_schemes()])
    assert guessed.identifiers == (
        Identifier(scheme="doi", value="10.1038/nature12373", confidence=0.3),
    )
    assert guessed.reason is None  # the failing explanation is dropped, not raised


# --- test vectors of other projects -------------------------------------------------------------


def load_vectors() -> list[dict[str, str]]:
    with VECTORS.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


VECTOR_ROWS = load_vectors()
PROVENANCE = ("source_repo", "source_path", "commit", "license", "check")
SOURCE_SCHEMES = {"pubmed": "pmid", "pmc": "pmcid"}
SOURCE_PREFIX = re.compile(r"(?:arxiv|doi|pubmed|pmid|pmcid|pmc):", re.IGNORECASE)


def vector_id(row: dict[str, str]) -> str:
    return f"{row['source_repo']}:{row['value'] or '<empty>'}"


def outcome(result: Identification) -> str:
    """A result as the vectors' ``paperfuse_expected`` column writes it."""
    if result.kind != "identifier":
        return result.kind
    return "|".join(str(identifier) for identifier in result.identifiers)


def test_vectors_carry_their_provenance() -> None:
    assert len(VECTOR_ROWS) == 168
    for row in VECTOR_ROWS:
        assert all(row[column] for column in PROVENANCE), row
        assert re.fullmatch(r"[0-9a-f]{40}", row["commit"]), row


@pytest.mark.parametrize("row", VECTOR_ROWS, ids=vector_id)
def test_vectors_identify(row: dict[str, str]) -> None:
    assert outcome(identify(row["value"])) == row["paperfuse_expected"]


@pytest.mark.parametrize("row", VECTOR_ROWS, ids=vector_id)
def test_vectors_agree_with_their_source(row: dict[str, str]) -> None:
    """What paperfuse finds is what the source project asserts, up to its notation."""
    result = identify(row["value"])
    first = row["expected_scheme"].split("|")[0]
    scheme = SOURCE_SCHEMES.get(first, first)
    found = [identifier for identifier in result.identifiers if identifier.scheme == scheme]
    if row["expected_valid"] == "False":
        assert found == []
        return
    assert len(found) == 1
    expected = SOURCE_PREFIX.sub("", row["expected_normalized"], count=1)
    if not expected:
        return
    version = None
    if scheme == "arxiv":
        match = re.fullmatch(r"(.+?)v(\d+)", expected)
        expected, version = (match.group(1), int(match.group(2))) if match else (expected, None)
    assert found[0].value == (expected.lower() if scheme == "doi" else expected)
    if version is not None:
        assert found[0].version == version
