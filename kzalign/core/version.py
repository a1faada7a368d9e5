"""kzalign's version, in the lowest layer so every module (and every output signature) can read it."""

__version__ = "0.1.0"
