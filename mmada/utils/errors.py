"""Errors whose message is meant for the user, printed without a traceback."""


class UserFacingError(Exception):
    """A problem the user can fix (missing data or weights, bad config).

    ``tools/train.py`` and ``tools/test.py`` print the message and exit with
    status 1 instead of showing a traceback.
    """


class AnnotationRequired(UserFacingError):
    """Training stopped so that people can annotate exported queries.

    Not a failure: the tools print the message (what to annotate, how to
    import it, how to continue) and exit with status 0.
    """
