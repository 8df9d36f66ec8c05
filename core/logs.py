"""Logging filters: a refused request is one line, not a traceback."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """django.request logs every 403 and 404 with the exception that made it, so one sweep of
    refused URLs filled the log with tracebacks that say nothing more than the line does. A
    4xx keeps its line (method, path, status); a 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
