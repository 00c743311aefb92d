"""Contract suites: base test classes a plugin's tests subclass.

A source's tests subclass :class:`SourceContract` and supply the plugin, the
source's name, inputs its recorded answers find, and :meth:`~SourceContract.replay`,
which serves those recorded answers on a :class:`~paperfuse.testing.FakeUpstream`.
Every test of the class then checks one promise a source makes to paperfuse
and its users. A scheme's tests subclass :class:`SchemeContract`.

The base classes' names do not start with ``Test``, so pytest collects only
the subclasses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import unquote_plus

import pytest

from .._errors import InvalidIdentifier
from .._records import Work, encode_json
from ._cli import CLI, report
from ._isolation import Isolation, retries
from ._resolvers import ResolverFactory
from ._upstream import WRONG_SHAPE_JSON, FakeUpstream

__all__ = ["HOSTILE_TEXTS", "OTHER_IDENTIFIERS", "SchemeContract", "SourceContract"]

#: A valid XML document in the shape of no service's answer (synthetic, not recorded).
WRONG_SHAPE_XML = b'<?xml version="1.0" encoding="UTF-8"?><unexpected><shape n="1"/></unexpected>'


class SourceContract:
    """The promises every source keeps, checked against a fake upstream.

    Set in the subclass:

    ``plugin``
        the plugin module or object that registers the source;
    ``source``
        the source's name;
    ``found``
        inputs (identifiers as a user types them) that the recorded answers find;
    ``unknown``
        an input of an accepted scheme that the service does not know (None: not checked);
    ``search_title``
        a title the recorded search answer holds candidates for (None: the
        source does not search);
    ``not_found_status``
        the HTTP status the service answers for an identifier it does not
        know (404), or None when unknown identifiers come back inside a 200
        answer (a search API): then a 404 means a wrong URL and is an error;
    ``wrong_shape_body``, ``wrong_shape_type``
        a body that parses but is no answer of the service (JSON by default;
        :data:`WRONG_SHAPE_XML` for XML services);
    ``settings``
        the source's settings for every test (options, for instance);
    ``extra_plugins``
        other plugins the source needs loaded beside it.

    and implement :meth:`replay`.
    """

    plugin: ClassVar[object]
    source: ClassVar[str]
    found: ClassVar[Sequence[str]] = ()
    unknown: ClassVar[str | None] = None
    search_title: ClassVar[str | None] = None
    not_found_status: ClassVar[int | None] = 404
    wrong_shape_body: ClassVar[bytes] = WRONG_SHAPE_JSON
    wrong_shape_type: ClassVar[str] = "application/json"
    settings: ClassVar[Mapping[str, Any]] = {}
    extra_plugins: ClassVar[Sequence[object]] = ()
    #: Secrets the contract configures and looks for (fake, never real ones).
    email: ClassVar[str] = "contract-tester@example.org"
    api_key: ClassVar[str] = "contract-key-5d41402abc4b2a76"
    #: The Retry-After (seconds) the rate-limit check sends; the gap it expects.
    retry_after: ClassVar[float] = 0.5

    def replay(self, upstream: FakeUpstream) -> None:
        """Serve the recorded answers of the service on ``upstream`` (routes at its root)."""
        raise NotImplementedError("a SourceContract subclass replays its recorded answers")

    # -- helpers ----------------------------------------------------------------------------------

    def plugins(self) -> dict[str, object]:
        """The plugin and ``extra_plugins``, by the names the contract loads them under."""
        named = {"contract-" + self.source: self.plugin}
        for i, plugin in enumerate(self.extra_plugins):
            named[f"contract-extra-{i}"] = plugin
        return named

    def resolver(
        self,
        factory: ResolverFactory,
        upstream: FakeUpstream,
        *,
        api_key: bool = False,
        use_cache: bool = True,
        **settings: Any,
    ) -> Any:
        """A resolver of the plugin (and ``extra_plugins``) with the source at ``upstream``."""
        named = self.plugins()
        source_settings = {**self.settings, **settings}
        if api_key:
            source_settings["api_key"] = self.api_key
        return factory(
            named,
            urls={self.source: upstream.url},
            email=self.email,
            settings={self.source: source_settings},
            use_cache=use_cache,
        )

    def first(self) -> str:
        if not self.found:
            raise NotImplementedError("a SourceContract subclass names inputs in `found`")
        return self.found[0]

    def asked_value(self, resolver: Any, text: str) -> str:
        """The identifier of ``text`` the source is asked with (its scheme's normal form)."""
        schemes = self.source_class(resolver).schemes
        identifiers = resolver.identify(text).identifiers
        chosen = [i for i in identifiers if i.scheme in schemes] or identifiers
        return str(chosen[0].value)

    def source_class(self, resolver: Any) -> Any:
        return resolver.host.sources[self.source]

    def assert_attributed(self, work: Work, value: str, *, status: str = "error") -> str:
        """The source's report says ``status``, and its message names the identifier
        (URL-decoded, case aside) and is no plugin error."""
        found = report(work, self.source)
        assert found.status == status, f"{self.source}: {found.status}: {found.error}"
        message = found.error or ""
        assert "plugin error" not in message, message
        assert value.lower() in unquote_plus(message).lower(), (
            f"the error does not name {value!r}: {message}"
        )
        return message

    # -- the contract -----------------------------------------------------------------------------

    def test_contract_every_identifier_asked_gets_an_answer(
        self, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        self.replay(paperfuse_upstream)
        inputs = [*self.found, *([self.unknown] if self.unknown else [])]
        with self.resolver(paperfuse_resolver, paperfuse_upstream) as resolver:
            works = list(resolver.resolve_many(inputs))
        assert [w.input for w in works] == inputs
        for work in works[: len(self.found)]:
            found = report(work, self.source)
            assert (work.status, found.status) == ("resolved", "ok"), (work.input, found.error)
        if self.unknown:
            assert report(works[-1], self.source).status == "not_found", works[-1].sources

    def test_contract_404_is_not_found_and_not_retried(
        self, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        paperfuse_upstream.not_found()
        with retries(3), self.resolver(paperfuse_resolver, paperfuse_upstream) as resolver:
            work = resolver.resolve(self.first())
            value = self.asked_value(resolver, self.first())
        if self.not_found_status == 404:
            assert report(work, self.source).status == "not_found", work.sources
        else:  # a 404 from a search API says the URL is wrong: an error, attributed
            self.assert_attributed(work, value)
        assert len(paperfuse_upstream.asked) == 1, [a.url for a in paperfuse_upstream.asked]

    def _retried_then_attributed(
        self, status: str, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        """Two attempts, the second after Retry-After, then an error naming ``status``."""
        with retries(2), self.resolver(paperfuse_resolver, paperfuse_upstream) as resolver:
            work = resolver.resolve(self.first())
            value = self.asked_value(resolver, self.first())
        asked = paperfuse_upstream.asked
        assert len(asked) == 2, [a.url for a in asked]
        assert asked[1].at - asked[0].at >= self.retry_after * 0.9, "Retry-After not honoured"
        assert status in self.assert_attributed(work, value)

    def test_contract_429_is_retried_honouring_retry_after_then_attributed(
        self, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        paperfuse_upstream.rate_limited(retry_after=self.retry_after)
        self._retried_then_attributed("429", paperfuse_upstream, paperfuse_resolver)

    def test_contract_5xx_is_retried_honouring_retry_after_then_attributed(
        self, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        paperfuse_upstream.server_error(status=503, retry_after=self.retry_after)
        self._retried_then_attributed("503", paperfuse_upstream, paperfuse_resolver)

    def test_contract_a_passing_5xx_is_retried_to_an_answer(
        self, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        self.replay(paperfuse_upstream)
        paperfuse_upstream.server_error(status=502, times=1)
        with retries(2), self.resolver(paperfuse_resolver, paperfuse_upstream) as resolver:
            work = resolver.resolve(self.first())
        assert report(work, self.source).status == "ok", work.sources
        assert paperfuse_upstream.asked[0].path == paperfuse_upstream.asked[1].path

    @pytest.mark.parametrize("fault", ["html", "empty", "wrong_shape"])
    def test_contract_an_unreadable_body_is_an_attributed_error(
        self, fault: str, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        if fault == "wrong_shape":
            paperfuse_upstream.wrong_shape(
                body=self.wrong_shape_body, content_type=self.wrong_shape_type
            )
        else:
            getattr(paperfuse_upstream, fault)()
        with self.resolver(paperfuse_resolver, paperfuse_upstream) as resolver:
            work = resolver.resolve(self.first())
            value = self.asked_value(resolver, self.first())
        self.assert_attributed(work, value)

    def test_contract_a_timeout_is_an_attributed_error(
        self, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        paperfuse_upstream.slow(delay=3.0)
        with self.resolver(paperfuse_resolver, paperfuse_upstream, timeout=0.3) as resolver:
            work = resolver.resolve(self.first())
            value = self.asked_value(resolver, self.first())
        assert "timed out" in self.assert_attributed(work, value)

    def test_contract_secrets_never_appear(
        self,
        paperfuse_upstream: FakeUpstream,
        paperfuse_resolver: ResolverFactory,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        works: list[Work] = []
        self.replay(paperfuse_upstream)
        with self.resolver(paperfuse_resolver, paperfuse_upstream, api_key=True) as resolver:
            works += resolver.resolve_many(self.found)
        # Faults whose answers quote the request back, secrets in its query included.
        for fault in (paperfuse_upstream.html, paperfuse_upstream.rate_limited):
            paperfuse_upstream.clear()
            fault()
            with self.resolver(
                paperfuse_resolver, paperfuse_upstream, api_key=True, use_cache=False
            ) as resolver:
                works.append(resolver.resolve(self.first()))
        shown = [encode_json(w).decode() for w in works]
        shown += [r.error or "" for w in works for r in w.sources]
        shown.append(caplog.text)
        for secret in (self.email, self.api_key):
            for text in shown:
                assert secret not in text, f"{secret!r} shown: {text[:500]}"

    def test_contract_the_url_setting_and_a_path_prefix_are_honoured(
        self, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        paperfuse_upstream.prefix = "/mirror/v2"
        self.replay(paperfuse_upstream)
        with self.resolver(paperfuse_resolver, paperfuse_upstream) as resolver:
            work = resolver.resolve(self.first())
        assert report(work, self.source).status == "ok", work.sources
        outside = [a.url for a in paperfuse_upstream.asked if a.path is None]
        assert paperfuse_upstream.asked
        assert not outside, outside

    def test_contract_the_url_from_the_environment_is_honoured(
        self,
        paperfuse_upstream: FakeUpstream,
        paperfuse_isolated: Isolation,
        paperfuse_cli: CLI,
    ) -> None:
        paperfuse_upstream.prefix = "/proxy"
        self.replay(paperfuse_upstream)
        paperfuse_isolated.use_plugins(self.plugins())
        if self.settings:  # what the environment cannot say goes in the configuration file
            paperfuse_isolated.configure({"sources": {self.source: dict(self.settings)}})
        ran = paperfuse_cli(
            "resolve",
            "-q",
            self.first(),
            urls={self.source: paperfuse_upstream.url},
            email=self.email,
        )
        (work,) = ran.works()
        assert report(work, self.source).status == "ok", (ran.stderr, work.sources)
        assert self.email not in ran.stdout + ran.stderr
        assert paperfuse_upstream.asked, "the source did not ask the URL from the environment"

    def test_contract_a_second_run_makes_no_request(
        self, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        self.replay(paperfuse_upstream)
        with self.resolver(paperfuse_resolver, paperfuse_upstream) as resolver:
            first = list(resolver.resolve_many(self.found))
        paperfuse_upstream.asked.clear()
        with self.resolver(paperfuse_resolver, paperfuse_upstream) as resolver:
            again = list(resolver.resolve_many(self.found))
        assert paperfuse_upstream.asked == []
        assert [w.status for w in again] == [w.status for w in first]
        assert all(report(w, self.source).cached for w in again)

    def test_contract_search_returns_candidates(
        self, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
    ) -> None:
        if self.search_title is None:
            pytest.skip(f"{self.source} does not search titles")
        self.replay(paperfuse_upstream)
        with self.resolver(paperfuse_resolver, paperfuse_upstream) as resolver:
            assert self.source_class(resolver).searches_titles
            work = resolver.resolve(self.search_title)
        assert report(work, self.source).status == "ok", work.sources
        assert paperfuse_upstream.asked


#: Texts of the built-in schemes and titles: a plugin's scheme must not claim them.
OTHER_IDENTIFIERS = (
    "10.1038/nature12373",
    "doi:10.1103/PhysRevLett.80.3915",
    "https://doi.org/10.7554/eLife.01567",
    "arXiv:1710.08557",
    "1710.08557v2",
    "math/0211159",
    "PMID: 29915538",
    "29915538",
    "PMC2883744",
    "Attention is all you need",
    "The structure of scientific revolutions, Kuhn 1962",
)

#: Texts no scheme should choke on: each must parse, yield nothing, or raise InvalidIdentifier.
HOSTILE_TEXTS = (
    "",
    " ",
    "\x00",
    "\ufeff",
    "\u200b" * 10,
    "\U0001f4a9",
    "é" * 5,
    "9" * 5_000,
    "-" * 300,
    "%00%ff",
    "<script>alert(1)</script>",
    "http://",
    "urn:",
    "isbn:",
    "0",
    "X",
    "((((",
    "\udcff",
)


class SchemeContract:
    """The promises every identifier scheme keeps.

    Set in the subclass: ``scheme`` (an instance or the class), ``valid``
    (texts it parses into at least one identifier of its own) and, if the
    scheme refuses malformed ones, ``malformed`` (texts meant as its
    identifiers that it refuses with :class:`~paperfuse.InvalidIdentifier`).
    """

    scheme: ClassVar[Any]
    valid: ClassVar[Sequence[str]] = ()
    malformed: ClassVar[Sequence[str]] = ()
    others: ClassVar[Sequence[str]] = OTHER_IDENTIFIERS

    def instance(self) -> Any:
        return self.scheme() if isinstance(self.scheme, type) else self.scheme

    def test_contract_valid_texts_parse(self) -> None:
        scheme = self.instance()
        assert self.valid, "a SchemeContract subclass names valid texts"
        for text in self.valid:
            found = list(scheme.parse(text))
            assert any(i.scheme == scheme.name for i in found), (text, found)

    def test_contract_parse_raises_only_invalid_identifier(self) -> None:
        scheme = self.instance()
        for text in (*self.valid, *self.malformed, *HOSTILE_TEXTS, *self.others):
            try:
                list(scheme.parse(text))
            except InvalidIdentifier:
                pass
            except Exception as e:
                pytest.fail(f"parse({text[:40]!r}) raised {type(e).__name__}: {e}")

    def test_contract_malformed_texts_are_refused_with_a_reason(self) -> None:
        scheme = self.instance()
        for text in self.malformed:
            with pytest.raises(InvalidIdentifier) as refused:
                list(scheme.parse(text))
            assert str(refused.value).strip(), text

    def test_contract_normalisation_is_idempotent(self) -> None:
        scheme = self.instance()
        for text in self.valid:
            for identifier in scheme.parse(text):
                once = scheme.normalize(identifier.value)
                assert scheme.normalize(once) == once, (text, once)
                assert identifier.value == once, f"parse({text!r}) gave a value not in normal form"

    def test_contract_claims_no_doi_arxiv_id_pmid_or_title(self) -> None:
        scheme = self.instance()
        for text in self.others:
            try:
                claimed = list(scheme.parse(text))
            except InvalidIdentifier as e:
                pytest.fail(f"{scheme.name} refuses {text!r} as malformed: {e}")
            assert claimed == [], f"{scheme.name} claims {text!r}: {claimed}"
