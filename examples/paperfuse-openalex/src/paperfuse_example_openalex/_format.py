"""A reference list in Markdown as a paperfuse output format."""

from __future__ import annotations

from paperfuse import Author, OutputFormat, Work

__all__ = ["MarkdownReferences"]


def _name(author: Author) -> str:
    """``Family, G.`` for a person; an organisation (no family name) whole."""
    if author.family is None:
        return author.name
    initials = " ".join(f"{part[0]}." for part in (author.given or "").split() if part)
    return f"{author.family}, {initials}" if initials else author.family


class MarkdownReferences(OutputFormat):
    """One Markdown list of the resolved works, one reference an item."""

    name = "markdown-references"
    description = "a Markdown reference list (example plugin)"
    #: One document for the whole batch: failed inputs are never rendered into it.
    bibliography = True

    def begin(self) -> str:
        return "## References\n\n"

    def render(self, work: Work) -> str:
        authors = "; ".join(_name(a) for a in work.authors) or "Anonymous"
        parts = [f"- {authors} ({work.year or 'n.d.'}). {work.title or 'Untitled'}."]
        if work.venue:
            parts.append(f"*{work.venue}*.")
        if work.ids.doi:
            parts.append(f"https://doi.org/{work.ids.doi}")
        return " ".join(parts)
