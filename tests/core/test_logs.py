"""A refused request is logged as one line; a server error keeps its traceback."""

import logging
import sys

from core.logs import ClientErrorsWithoutTraceback


def record(status):
    try:
        raise PermissionError("refused")
    except PermissionError:
        exc_info = sys.exc_info()
    entry = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "x", (), exc_info)
    entry.status_code = status
    return entry


def test_a_4xx_loses_its_traceback_and_keeps_its_line():
    entry = record(403)
    assert ClientErrorsWithoutTraceback().filter(entry) is True
    assert entry.exc_info is None and entry.getMessage() == "x"


def test_a_5xx_keeps_its_traceback():
    entry = record(500)
    ClientErrorsWithoutTraceback().filter(entry)
    assert entry.exc_info is not None and entry.exc_info[0] is PermissionError
