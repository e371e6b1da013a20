"""tastemaker: a weekly discovery playlist for every listener of a music catalogue."""

__version__ = "0.1.0"
