"""paperfuse source for the arXiv query API.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin. The source itself (batched id lookups, title search, Atom parsing)
arrives with its own issue; until then this plugin registers nothing.

Thank you to arXiv for use of its open access interoperability.
"""
