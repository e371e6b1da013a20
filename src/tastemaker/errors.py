"""One root exception for the package, and a few subclasses callers may want to catch."""


class TastemakerError(Exception):
    """Root of every error tastemaker raises on purpose."""


class ParameterError(TastemakerError, ValueError):
    """A parameter is outside its valid range or of the wrong kind."""


class InputError(TastemakerError):
    """An input file or dataset cannot be read as asked (the message says what to change)."""


class AudioError(InputError):
    """An audio file cannot be decoded or analysed (the message names the file and the reason)."""


class SchemaError(TastemakerError):
    """The warehouse was written by another version of tastemaker and cannot be used as is."""


class EngineError(TastemakerError):
    """The engine failed to run a statement; ``sql`` holds the statement (for a bug report)."""

    def __init__(self, message: str, sql: str | None = None):
        super().__init__(message)
        self.sql = sql


class NotFittedError(TastemakerError):
    """A model was asked to predict before `fit` (or `load`)."""


class NotFoundError(TastemakerError, KeyError):
    """A user, track, artist, week or model that was asked for does not exist."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else ""


def check_param(owner: str, name: str, value, *, low=None, high=None, choices=None, kind=None):
    """Validate one parameter and raise a `ParameterError` that names owner, parameter and value.

    >>> check_param("ALS", "factors", 64, low=1, kind=int)
    64
    """
    if kind is not None and not isinstance(value, kind) or isinstance(value, bool) and kind in (int, float):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ParameterError(
            f"The {name!r} parameter of {owner} must be of type {expected}. Got {value!r} instead."
        )
    if choices is not None and value not in choices:
        raise ParameterError(
            f"The {name!r} parameter of {owner} must be one of {sorted(choices)}. Got {value!r} instead."
        )
    if low is not None and value < low or high is not None and value > high:
        rng = f"in [{low}, {high}]" if low is not None and high is not None else (
            f">= {low}" if low is not None else f"<= {high}")
        raise ParameterError(f"The {name!r} parameter of {owner} must be {rng}. Got {value!r} instead.")
    return value
