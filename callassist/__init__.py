"""callassist: a terminal assistant for repayment-negotiation phone calls."""

import os

# The matcher's numpy work is one small matrix-vector product per utterance: extra BLAS threads only add
# wake-up latency (tens of ms at the 99th percentile here) and compete with audio decoding. Set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
