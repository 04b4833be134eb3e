"""Grapevine's faces: the ``grapevine`` command line, the collection engine and scheduler, and
the dashboard, alerts and export areas. Everything here stands on the lower layers
(``core`` → ``config`` → ``storage`` / ``collectors`` / ``nlp`` → ``scoring``) and nothing
below imports it; ``docs/architecture.md`` draws the layers.
"""

__version__ = "0.1.0"
