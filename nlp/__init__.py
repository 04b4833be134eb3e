"""Grapevine's classifiers: sentiment, complaint and comment quality, plus language id."""

#: The most oneDNN may use (``ONEDNN_MAX_CPU_ISA``) for bf16 products to stay batch-invariant
#: on a CPU with AMX (Intel Sapphire Rapids and later). There oneDNN runs a product of a few
#: rows on AVX-512 and a larger one on the AMX tiles; a bf16 product of 1,536 inputs sums
#: a row otherwise for 40 rows than for 512, depending on the thread count too. Grapevine's
#: int8 products do not need the cap (``nlp.int8.MIN_ROWS``), so it is not set here: a
#: process that labels with bf16 products (``[nlp] int8 = false``) needs it before its first
#: oneDNN product, which Grapevine's commands see to
#: (``grapevine.labelling.area.build_classifier``), and the classifier warns where it is
#: missing (``nlp.int8.check_kernels``). It caps nothing below AVX-512 BF16.
ONEDNN_ISA = "AVX512_CORE_BF16"
