"""liquidjs's string, HTML, URL and encoding filters, with JavaScript's semantics (see `liquid_filters`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from destination.js.values import JS_WHITESPACE, UNDEFINED, to_js_string, utf16_length
from destination.js.values import truthy as js_truthy
from destination.mapping.liquid.values import Drop, LiquidJSError, js, less_equal, number, stringify, use

__all__ = ["STRINGS", "steps"]

Filter = Callable[..., Any]
_WS = re.compile(r"\s+")


def _arg(args: tuple[Any, ...], index: int, default: Any = UNDEFINED) -> Any:
    """A positional argument as JavaScript sees it: absent (or undefined) means the default."""
    value = js(args[index]) if index < len(args) else UNDEFINED
    return default if value is UNDEFINED else value


def _int(x: float) -> int:
    """ToIntegerOrInfinity, clamped to something a Python slice accepts."""
    if x != x:
        return 0
    return int(max(-(2**53), min(2**53, x)))


# ---- strings ----------------------------------------------------------------------------------


def _string(fn: Callable[..., Any]) -> Filter:
    """A string filter: the value through `stringify`, the arguments as JavaScript values."""

    def run(value: Any, *args: Any, **_kwargs: Any) -> Any:
        text = stringify(value)
        use(len(text))
        result = fn(text, *(js(a) for a in args))
        if isinstance(result, str):
            use(len(result) - len(text))
        return result

    return run


def _two_args(name: str, fn: Callable[[str, str], str]) -> Filter:
    def run(value: Any, *args: Any, **kwargs: Any) -> str:
        if len(args) + len(kwargs) != 1:
            raise LiquidJSError(f"{name} expect 2 arguments")
        left, right = stringify(value), stringify(args[0] if args else next(iter(kwargs.values())))
        use(len(left) + len(right))
        return fn(left, right)

    return run


def _split(text: str, sep: str) -> list[str]:
    return list(text) if sep == "" else text.split(sep)


def _strip(left: bool, right: bool) -> Filter:
    """liquidjs's `strip`, `lstrip`, `rstrip`: `if (chars)` tests the argument as given.

    So `0` and `false` trim white space, while the `nil`, `empty` and `blank` drops are objects,
    truthy, and name no characters: nothing is trimmed.
    """

    def run(value: Any, chars: Any = UNDEFINED, *_args: Any, **_kwargs: Any) -> str:
        text = stringify(value)
        use(len(text))
        given = js_truthy(chars if isinstance(chars, Drop) else js(chars))
        trimmed = stringify(chars) if given else JS_WHITESPACE
        if left:
            text = text.lstrip(trimmed)
        return text.rstrip(trimmed) if right else text

    return run


def _split_filter(text: str, sep: Any = UNDEFINED, *_: Any) -> list[str]:
    parts = _split(text, stringify(sep))
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def steps(count: Any) -> int:
    """How often liquidjs's `advanceCodePoints` loop (`for (i = 0; i < count; i++)`) runs.

    liquidjs passes numeric arguments to it uncoerced, so `<` turns them into numbers: `2.5`
    runs 3 times, and anything that is NaN as a number (`"a,b"`, an object) runs 0 times.
    """
    x = number(count)
    return int(min(math.ceil(x), 2**53)) if x > 0 else 0


def _truncate(value: Any, length: Any = 50, omission: Any = "...", *_: Any) -> Any:
    """liquidjs's `truncate`: `str.length <= l || advanceCodePoints(str, 0, l) >= str.length` keeps it.

    Counted in code points, as liquidjs 10.30 counts; a length that is NaN as a number keeps
    nothing but the omission (`truncate: "a,b"` is `...`).
    """
    text, omission = stringify(value), stringify(_arg((omission,), 0, "..."))
    limit = _arg((length,), 0, 50)
    if less_equal(utf16_length(text), limit) or steps(limit) >= len(text):
        return value
    return text[: steps(number(limit) - len(omission))] + omission


def _truncatewords(value: Any, words: Any = 15, omission: Any = "...", *_: Any) -> str:
    """liquidjs's `truncatewords`, its comparisons and `slice` as JavaScript runs them on any `words`."""
    text, omission = stringify(value), stringify(_arg((omission,), 0, "..."))
    words = js(words)
    words = 15 if words is UNDEFINED else words
    parts = _WS.split(text.lstrip(JS_WHITESPACE))
    if less_equal(words, 0):
        words = 1
    count = number(words)
    end = 0 if count != count else int(max(-(2**53), min(2**53, count)))
    result = " ".join(parts[: max(len(parts) + end, 0) if end < 0 else end])
    return result + omission if less_equal(words, len(parts)) else result


def _number_of_words(text: str, *_: Any) -> int:
    text = text.strip(JS_WHITESPACE)
    return len(_WS.split(text)) if text else 0


def _replace(text: str, pattern: Any = UNDEFINED, replacement: Any = UNDEFINED, *_: Any) -> str:
    parts, replacement = _split(text, stringify(pattern)), stringify(replacement)
    use(len(text) + (len(parts) - 1) * (len(replacement) - len(stringify(pattern))))
    return replacement.join(parts)


def _replace_last(text: str, pattern: Any = "", replacement: Any = "", *_: Any) -> str:
    pattern, replacement = stringify(pattern), stringify(replacement)
    index = text.rfind(pattern)
    return text if index < 0 else text[:index] + replacement + text[index + len(pattern) :]


_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}
_UNESCAPE = re.compile(r"&(amp|lt|gt|#34|#39);")


def _escape(text: str, *_: Any) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def _strip_html(text: str, *_: Any) -> str:
    blocks = {"<script": "</script>", "<style": "</style>", "<!--": "-->", "<": ">"}
    out, i = "", 0
    while i < len(text):
        lt = text.find("<", i)
        if lt < 0:
            return out + text[i:]
        out += text[i:lt]
        for opener, closer in list(blocks.items()):
            if not text.startswith(opener, lt):
                continue
            end = text.find(closer, lt + len(opener))
            if end >= 0:
                i = end + len(closer)
                break
            del blocks[opener]
        if i <= lt:
            return out + text[lt:]
    return out


def _uri(text: str, safe: str) -> str:
    try:
        return quote(text.encode("utf-8"), safe=safe)
    except UnicodeEncodeError:
        raise LiquidJSError("URI malformed") from None


_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _url_decode(text: str, *_: Any) -> str:
    """`decodeURIComponent` after `+` → space: a malformed escape is JavaScript's URIError."""
    text = text.replace("+", " ")

    def decode(match: re.Match[str]) -> str:
        try:
            return bytes.fromhex(match.group().replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            raise LiquidJSError("URI malformed") from None

    decoded = _PERCENT.sub(decode, text)
    if "%" in _PERCENT.sub("", text):
        raise LiquidJSError("URI malformed")
    return decoded


def _cgi_escape(text: str, *_: Any) -> str:
    encoded = _uri(text, "-_.!~*'()").replace("%20", "+")
    return re.sub(r"[!'()*]", lambda m: f"%{ord(m.group()):02X}", encoded)


def _slugify(value: Any, mode: Any = "default", cased: Any = False, *_args: Any, **_kwargs: Any) -> str:
    """liquidjs's `slugify`: `mode` looked up as a property key, `cased` tested as given (a drop is truthy)."""
    text = stringify(value)
    mode = js(mode)
    mode = "default" if mode is UNDEFINED else mode if isinstance(mode, str) else to_js_string(mode)
    if mode == "raw":
        text = _WS.sub("-", text).strip("-") if text else text
    elif mode in ("default", "latin", "pretty", "ascii"):
        if mode == "latin":
            text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
        keep = _slug_keeper(mode)
        text = re.sub(r"-+", "-", "".join(ch if keep(ch) else "-" for ch in text)).strip("-")
    return text if js_truthy(cased if isinstance(cased, Drop) else js(cased)) else text.lower()


def _slug_keeper(mode: str) -> Callable[[str], bool]:
    if mode == "ascii":
        return lambda ch: ch.isascii() and ch.isalnum()
    extra = "._~!$&'()+,;=@" if mode == "pretty" else ""
    return lambda ch: unicodedata.category(ch)[0] in "ML" or unicodedata.category(ch) == "Nd" or ch in extra


def _base64_decode(text: str, *_: Any) -> str:
    compact = re.sub(r"[\t\n\f\r ]", "", text)
    bare = re.sub(r"==?$", "", compact) if len(compact) % 4 == 0 else compact
    if len(bare) % 4 == 1 or not re.fullmatch(r"[A-Za-z0-9+/]*", bare):
        raise LiquidJSError("invalid base64 provided to base64_decode")
    padded = bare + "=" * (-len(bare) % 4)
    return base64.b64decode(padded).decode("utf-8", "replace")


STRINGS: dict[str, Filter] = {
    "append": _two_args("append", lambda a, b: a + b),
    "prepend": _two_args("prepend", lambda a, b: b + a),
    "lstrip": _strip(True, False),
    "rstrip": _strip(False, True),
    "strip": _strip(True, True),
    "downcase": _string(lambda s, *_: s.lower()),
    "upcase": _string(lambda s, *_: s.upper()),
    "capitalize": _string(lambda s, *_: s[:1].upper() + s[1:].lower()),
    "remove": _string(lambda s, p=UNDEFINED, *_: "".join(_split(s, stringify(p)))),
    "remove_first": _string(lambda s, p=UNDEFINED, *_: s.replace(stringify(p), "", 1)),
    "remove_last": _string(lambda s, p=UNDEFINED, *_: _replace_last(s, p, "")),
    "replace": _string(_replace),
    "replace_first": _string(lambda s, p=UNDEFINED, r=UNDEFINED, *_: s.replace(stringify(p), stringify(r), 1)),
    "replace_last": _string(_replace_last),
    "split": _string(_split_filter),
    "strip_newlines": _string(lambda s, *_: re.sub(r"\r?\n", "", s)),
    "normalize_whitespace": _string(lambda s, *_: _WS.sub(" ", s)),
    "squish": _string(lambda s, *_: _WS.sub(" ", s).strip(JS_WHITESPACE)),
    "number_of_words": _string(_number_of_words),
    "truncate": _truncate,
    "truncatewords": _truncatewords,
    "escape": _string(_escape),
    "xml_escape": _string(_escape),
    "escape_once": _string(
        lambda s, *_: _escape(
            _UNESCAPE.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">", "#34": '"', "#39": "'"}[m.group(1)], s)
        )
    ),
    "strip_html": _string(_strip_html),
    "url_encode": _string(lambda s, *_: _uri(s, "-_.!~*'()").replace("%20", "+")),
    "url_decode": _string(_url_decode),
    "cgi_escape": _string(_cgi_escape),
    "uri_escape": _string(lambda s, *_: _uri(s, "-_.!~*'();,/?:@&=+$#[]")),
    "slugify": _slugify,
    "base64_encode": _string(lambda s, *_: base64.b64encode(s.encode("utf-8", "replace")).decode("ascii")),
    "base64_decode": _string(_base64_decode),
    "sha256": _string(lambda s, *_: hashlib.sha256(s.encode("utf-8", "replace")).hexdigest()),
    "hmac_sha256": _string(
        lambda s, key=UNDEFINED, *_: hmac.new(
            stringify(key).encode("utf-8", "replace"), s.encode("utf-8", "replace"), "sha256"
        ).hexdigest()
    ),
}
