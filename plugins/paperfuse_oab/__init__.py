"""paperfuse source for the Open Access Button API.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin. The source itself arrives with its own issue; until then this plugin
registers nothing.
"""
