"""Grapevine's classifiers: sentiment, complaint and comment quality, plus language id."""

import os

#: The most oneDNN may use, set before its first product. oneDNN picks a kernel for every
#: product shape, and on a CPU with AMX (Intel Sapphire Rapids and later) it runs products
#: of a few rows with AVX-512 kernels and larger ones on the AMX tiles, which round the
#: rescaled (int8) or summed (bf16) results otherwise: a one-text batch then got other
#: probabilities than the same text among 31 others (measured: ``nlp.int8.kernels_agree``).
#: Capped at AVX-512 VNNI and BF16, every shape takes the same family of kernels, as on
#: AVX-512 CPUs without AMX (AMD Zen 4), and labels are the same function of the text
#: there. It caps nothing below AVX-512 BF16. A value set in the environment wins.
ONEDNN_ISA = "AVX512_CORE_BF16"
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", ONEDNN_ISA)
