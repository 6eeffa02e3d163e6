"""The webhook's common case answered at the WSGI layer, the rest by Flask.

A WeChat message is one POST to ``/wechat`` with a plain query string (hex signatures, digits, the
openid's letters) and a body of a stated length. Flask would build a request object, match the URL,
push its contexts, open a session and build a response object around the same few steps
(``_read``, then ``_answer``, in wechat.py). Here those steps run directly, and the reply goes out
with the headers Flask's ``Response`` gives it (``tests/test_wechat_protocol.py`` compares them).

Anything else goes to Flask untouched, and so does a message ``_read`` refuses (a wrong signature, a
body that is not WeChat's) or fails on: nothing has been done for it yet, so Flask reads it again from
the start and answers exactly as it would have (the body already read is handed back to it). An error
after that point is handled by Flask's own ``handle_exception``, in a request context of the message.
"""
from __future__ import annotations

import io
import re
import time

from typing import Callable

# what WeChat's query strings are made of; one with escapes (%, +) or anything else is read by Flask
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.=&-]*")


def install(app, read: Callable, answer: Callable, refused: type[Exception]) -> None:
    """Answer the common POSTs to ``/wechat`` ahead of Flask (its ``wsgi_app``, the way a middleware is
    added) with the view's own steps: ``read`` (raising ``refused``) and ``answer`` (wechat.py)."""
    flask_app = app.wsgi_app

    def wsgi_app(environ, start_response):
        if environ.get("PATH_INFO") != "/wechat" or environ.get("REQUEST_METHOD") != "POST":
            return flask_app(environ, start_response)
        started = time.time()  # the message's locks expire counted from here, as in wechat.receive
        query, length = environ.get("QUERY_STRING", ""), environ.get("CONTENT_LENGTH", "")
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if (not (length.isascii() and length.isdigit()) or (limit is not None and int(length) > limit)
                or "HTTP_TRANSFER_ENCODING" in environ or not _PLAIN_QUERY.fullmatch(query)):
            return flask_app(environ, start_response)
        body = environ["wsgi.input"].read(int(length))
        args: dict[str, str] = {}
        for pair in query.split("&"):
            if pair:
                name, _, value = pair.partition("=")
                args.setdefault(name, value)  # MultiDict.get: the first value given
        try:
            if len(body) != int(length):
                raise refused(400)  # cut short: Flask says what it says of that
            message = read(app.config, args, body)
        except Exception:  # refused, or a fault in reading: nothing done yet, Flask answers it as ever
            environ["wsgi.input"] = io.BytesIO(body)
            return flask_app(environ, start_response)
        try:
            xml, mimetype = answer(app, *message, started)
        except Exception as exc:  # what Flask does with a view's error: its handler, its log, its 500
            with app.request_context(environ):
                return app.handle_exception(exc)(environ, start_response)
        data = xml.encode("utf-8")
        start_response("200 OK", [("Content-Type", f"{mimetype}; charset=utf-8"), ("Content-Length", str(len(data)))])
        return [data]

    app.wsgi_app = wsgi_app
