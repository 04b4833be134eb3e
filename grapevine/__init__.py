"""Grapevine: social listening and sentiment monitoring.

The flow (see ``../shared/DESIGN.md``)::

    config/ -> collectors/ -> storage/ -> nlp/ -> storage/ -> scoring/ -> app.py, alerts, export

This package holds what ties the stages together: the :class:`~grapevine.mention.Mention`
record every stage passes on, the boolean query matcher, the collection engine, the
scheduler and the ``grapevine`` command line.
"""

from grapevine.mention import Cursor, Mention, MentionKind, Page

__all__ = ["Cursor", "Mention", "MentionKind", "Page"]
__version__ = "0.1.0"
