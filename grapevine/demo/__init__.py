"""``grapevine demo``: a clearly labelled demo store (see :mod:`grapevine.demo.area`)."""
