"""callassist: a terminal assistant for repayment-negotiation phone calls."""

__version__ = "0.1.0"
