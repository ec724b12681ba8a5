"""A small text extractor for the PDFs typst writes (no PDF library is installed).

It follows each page's fonts to their ToUnicode maps and decodes the strings of the text
operators, so a string found here is real, extractable text of that page (what a screen reader
or copy-and-paste gets), not just bytes somewhere in the file.
"""

import re
import zlib

_OBJ = re.compile(rb"(?m)^(\d+) 0 obj\n(.*?)\nendobj", re.S)
_STREAM = re.compile(rb"^(<<.*?>>)\s*stream\r?\n", re.S)


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number -> (dictionary text, decoded stream or None)."""
    objs = {}
    for m in _OBJ.finditer(pdf):
        body = m.group(2)
        sm = _STREAM.match(body)
        if sm is None:
            objs[int(m.group(1))] = (body, None)
            continue
        head = sm.group(1)
        length = int(re.search(rb"/Length (\d+)", head).group(1))
        data = body[sm.end():sm.end() + length]
        if b"/FlateDecode" in head:
            data = zlib.decompress(data)
        objs[int(m.group(1))] = (head, data)
    assert objs, "no PDF objects found (object streams are not supported here)"
    return objs


def _ref(d: bytes, key: bytes) -> int:
    return int(re.search(rb"/" + key + rb" (\d+) 0 R", d).group(1))


def _cmap(data: bytes) -> dict[int, str]:
    out = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int(dst, 16)
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(first + i)
    return out


_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f",
        b"(": b"(", b")": b")", b"\\": b"\\"}


def _literal(s: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        m = re.match(rb"[0-7]{1,3}", s[i + 1:i + 4])
        if m:
            out.append(int(m.group(0), 8) & 0xFF)
            i += 1 + len(m.group(0))
        else:
            out += _ESC.get(s[i + 1:i + 2], b"")
            i += 2
    return bytes(out)


def _string_end(s: bytes, i: int) -> int:
    """Index after the literal string starting at s[i] == "(" (parentheses may nest)."""
    depth, i = 0, i
    while i < len(s):
        c = s[i]
        if c == 0x5C:  # backslash escapes the next byte
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unterminated string")


_OTHER = re.compile(rb"<<|>>|<[0-9A-Fa-f\s]*>|/[^\s/\[\]()<>{}%]+|[^\s/\[\]()<>{}%]+|.", re.S)


def _tokens(s: bytes):
    i = 0
    while i < len(s):
        if s[i] == 0x28:
            j = _string_end(s, i)
        else:
            j = _OTHER.match(s, i).end()
        yield s[i:j]
        i = j


def _glyphs(raw: bytes, cmap: dict[int, str]) -> list[str]:
    return [cmap.get(int.from_bytes(raw[i:i + 2], "big"), "\ufffd")
            for i in range(0, len(raw) - 1, 2)]


def _decode(content: bytes, fonts: dict[bytes, dict[int, str]]) -> str:
    runs, current, cmap, last_name = [], [], {}, b""
    actual = False  # inside a marked span whose /ActualText replaces its glyphs
    for tok in _tokens(content):
        if tok.startswith(b"<") and tok not in (b"<<", b">>"):
            raw = bytes.fromhex(re.sub(rb"\s", b"", tok[1:-1]).decode())
            if last_name == b"ActualText":
                current.append(raw.decode("utf-16"))
                actual = True
            elif cmap and not actual:
                current += _glyphs(raw, cmap)
        elif tok == b"EMC":
            actual = False
        elif actual:
            continue
        elif tok.startswith(b"/"):
            last_name = tok[1:]
        elif tok == b"Tf":
            cmap = fonts.get(last_name, {})
        elif tok == b"ET":
            runs.append("".join(current))
            current = []
        elif tok.startswith(b"("):
            current += _glyphs(_literal(tok[1:-1]), cmap)
    return "\n".join(runs)


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page, one line per text object, in page order."""
    objs = _objects(pdf)
    pages_dict = next(d for d, _ in objs.values() if re.search(rb"/Type/Pages\b", d))
    kids = [int(n) for n in re.findall(rb"(\d+) 0 R",
                                        re.search(rb"/Kids\[(.*?)\]", pages_dict).group(1))]
    texts = []
    for kid in kids:
        page = objs[kid][0]
        resources = objs[_ref(page, b"Resources")][0]
        fonts = {}
        font_dict = re.search(rb"/Font<<(.*?)>>", resources)
        for name, num in re.findall(rb"/([^\s/]+) (\d+) 0 R", font_dict.group(1) if font_dict
                                    else b""):
            font = objs[int(num)][0]
            fonts[name] = _cmap(objs[_ref(font, b"ToUnicode")][1])
        texts.append(_decode(objs[_ref(page, b"Contents")][1], fonts))
    return texts


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page_texts(pdf)).replace("\u200b", "")
