"""sanctions-screening: sync the official sanctions lists, match names and identifiers, explain every hit."""

__version__ = "0.1.0"
