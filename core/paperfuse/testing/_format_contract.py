"""The promises every output format keeps, as a suite a format's tests subclass."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from .. import (
    Author,
    Candidate,
    Ids,
    OALocation,
    OutputFormat,
    SourceReport,
    Work,
    render,
)

__all__ = ["FAILED_WORKS", "SAMPLE_WORKS", "FormatContract"]

#: Resolved works with what makes formats stumble: markup and math in a title,
#: particles, an organisation, a DOI with an underscore, a URL with %20, accents,
#: an empty record, text a file cannot hold as such (a lone surrogate, control
#: characters).
SAMPLE_WORKS: tuple[Work, ...] = (
    Work(
        input="10.1007/978-3-319-24277-4_2",
        status="resolved",
        ids=Ids(doi="10.1007/978-3-319-24277-4_2", pmid="123", pmcid="PMC1", arxiv="2101.00001"),
        title="The <i>E. coli</i> $\\alpha$-helix & H<sub>2</sub>O: 100% {braced} #1",
        authors=(
            Author(name="Bart Van Parys", given="Bart", family="Van Parys"),
            Author(name="Jürgen Müller", given="Jürgen", family="Müller"),
            Author(name="The LHCb collaboration"),
        ),
        abstract="We show\nthat x < y and a_b ~ c.",
        published="2015-09-01",
        year=2015,
        venue="Lecture Notes in Computer Science",
        volume="9350",
        issue="2",
        pages="12-34",
        publisher="Springer",
        issn=("0302-9743",),
        isbn=("9783319242767",),
        type="book-chapter",
        language="en",
        keywords=("helix", "water"),
        oa_locations=(
            OALocation(
                url="https://example.org/a%20b/paper.pdf",
                url_for_pdf="https://example.org/a%20b/paper.pdf",
                host_type="repository",
                version="acceptedVersion",
            ),
        ),
    ),
    Work(input="1710.08557", status="resolved"),
    Work(
        input="odd",
        status="resolved",
        title="Lone \udcff surrogate and \x00\x07 control characters",
        authors=(Author(name="Ωmega"),),
        year=2020,
        type="posted-content",
    ),
)

#: One work for each way an input can fail.
FAILED_WORKS: tuple[Work, ...] = (
    Work(
        input="10.1234/nothing",
        status="not_found",
        error="no source found it",
        sources=(SourceReport(name="crossref", status="not_found"),),
    ),
    Work(
        input="Deep learning",
        status="ambiguous",
        error="2 candidates",
        candidates=(Candidate(source="crossref", score=0.8, title="Deep learning"),),
    ),
    Work(input="10.", status="invalid", error="not an identifier"),
    Work(input="PMID:1", status="error", error="pubmed: HTTP 500 after 4 attempts"),
)


class FormatContract:
    """What every output format promises, for any work it may be given.

    Set ``format`` (the :class:`~paperfuse.OutputFormat` subclass) in the
    subclass; ``works`` adds resolved works of the plugin's own to the kit's
    :data:`SAMPLE_WORKS`. Override :meth:`check` to read the output back with
    the format's own parser (a format that is JSON decodes, a .bib parses).
    """

    format: ClassVar[type[OutputFormat]]
    works: ClassVar[Sequence[Work]] = ()

    def resolved(self) -> list[Work]:
        return [*SAMPLE_WORKS, *self.works]

    def check(self, text: str, works: Sequence[Work]) -> None:
        """Read ``text`` (the batch of ``works`` as written) back; fail when it is not
        what the format promises. By default nothing: override with the format's parser."""

    def _render(self, works: Sequence[Work]) -> str:
        text = render(list(works), self.format())
        text.encode("utf-8")  # what a file or a pipe is written in
        return text

    def _empty(self) -> str:
        return render([], self.format())

    def test_contract_a_format_has_a_name_and_a_description(self) -> None:
        assert isinstance(self.format.name, str)
        assert self.format.name
        assert isinstance(self.format.description, str)
        assert self.format.description

    def test_contract_every_status_renders(self) -> None:
        works = [*self.resolved(), *FAILED_WORKS]
        text = self._render(works)
        kept = [w for w in works if self.format().accepts(w)]
        self.check(text, kept)

    def test_contract_each_resolved_work_renders_alone(self) -> None:
        for work in self.resolved():
            rendered = self.format().render(work)
            assert isinstance(rendered, str), work.input
            assert not rendered.endswith("\n"), f"render() of {work.input!r} ends in a newline"
            self.check(self._render([work]), [work])

    def test_contract_failed_inputs_are_no_entries_of_a_bibliography(self) -> None:
        resolved = self.resolved()[:1]
        with_failures = self._render([*resolved, *FAILED_WORKS])
        if self.format.bibliography:
            assert with_failures == self._render(resolved)
            assert self._render(FAILED_WORKS) == self._empty()
        else:
            assert self._render(FAILED_WORKS) != self._empty(), "failed inputs vanished"

    def test_contract_an_empty_batch_is_a_valid_document(self) -> None:
        empty = self._empty()
        one = self.format()
        assert empty == one.begin() + one.end()
        self.check(empty, [])

    def test_contract_a_batch_does_not_depend_on_an_earlier_one(self) -> None:
        works = self.resolved()
        assert self._render(works) == self._render(works)

    def test_contract_odd_text_never_stops_a_batch(self) -> None:
        odd: list[Any] = ["\udcff", "\x00", "{", "}", "\\", "%", "$", "<", "&", "\u202e"]
        odd.append("a" * 5000)
        works = [
            Work(input=f"odd {i}", status="resolved", title=t, authors=(Author(name=t),), year=2020)
            for i, t in enumerate(odd)
        ]
        self.check(self._render(works), works)
