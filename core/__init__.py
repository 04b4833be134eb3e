"""The floor every other package stands on: the :class:`Mention` record that flows
collectors → store → nlp → scoring → faces, and the brand query language that decides which
text is a mention. Nothing here imports any other Grapevine package."""

from core.mention import Cursor, Mention, MentionKind, Page

__all__ = ["Cursor", "Mention", "MentionKind", "Page"]
