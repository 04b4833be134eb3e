"""The labelling area: the faces of :mod:`nlp` (commands and the periodic labelling job)."""
