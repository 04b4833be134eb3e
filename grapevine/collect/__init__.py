"""The collection area: ``grapevine collect``/``status`` and a periodic job per
(source × brand). The work itself is the engine's (:mod:`grapevine.engine`)."""
