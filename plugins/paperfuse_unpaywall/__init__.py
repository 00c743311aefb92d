"""paperfuse source for the Unpaywall REST API v2 and its data snapshot.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin. The source itself arrives with its own issue; until then this plugin
registers nothing.
"""
