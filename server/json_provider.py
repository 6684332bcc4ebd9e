"""The app's JSON writer: Flask's, with orjson doing the encoding.

A neighbourhood answer is ~500 nodes and 2,000 edges (160 KB); the standard library's
encoder spent more time on it than the store's query. The output is the same JSON:
keys sorted and compact as Flask writes them, what Flask's encoder turns into text
(dates as HTTP dates, decimals, ``__html__``) turned the same way. It differs only in
bytes, not in meaning: non-ASCII characters are written as UTF-8, not ``\\u`` escapes.
Indented output (debug mode) and what orjson cannot write (integers beyond 64 bits)
go to Flask's own encoder.

>>> from flask import Flask
>>> app = Flask(__name__)
>>> app.json = OrjsonProvider(app)
>>> app.json.dumps({"b": (1, 2), "a": "é"})
'{"a":"é","b":[1,2]}'
"""

from __future__ import annotations

from typing import Any

import orjson
from exokg.io._values import finite
from flask.json.provider import DefaultJSONProvider

__all__ = ["OrjsonProvider"]

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider, encoding with orjson (see the module docs)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs.get("indent") is None and self.sort_keys:
            try:
                return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()
            except orjson.JSONEncodeError:
                pass  # e.g. an integer beyond 64 bits: the standard encoder writes it
        # as orjson does: a float that is no JSON number (NaN, infinities) is null, where
        # the standard encoder wrote NaN, which JSON.parse refuses
        return super().dumps(finite(obj), **kwargs)
