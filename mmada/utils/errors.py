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


class StoppedBySignal(UserFacingError):
    """Training saved a checkpoint and stopped because it was asked to (SIGTERM).

    ``tools/train.py`` prints the message and exits with status 143 (128 +
    SIGTERM): not finished, not failed; the same command with ``--resume``
    continues.
    """
