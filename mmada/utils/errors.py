"""Errors whose message is meant for the user, printed without a traceback."""


class UserFacingError(Exception):
    """A problem the user can fix (missing data or weights, bad config).

    ``tools/train.py`` and ``tools/test.py`` print the message and exit with
    status 1 instead of showing a traceback.
    """
