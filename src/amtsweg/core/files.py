"""Naming and serving files that people upload (applications, answers to a Nachforderung,
Postfach messages, notices sent through the API).

A file is accepted by its content (libmagic), never by its name or the browser's type, so the
name the sender chose cannot be trusted either: `rechnung.pdf.html` holding a JPEG would be
offered to the clerk as a web page, and `bescheid.pdf.exe` shows as `bescheid.pdf` in a file
manager that hides known extensions. :func:`stored_name` therefore gives every stored file
the extension of its detected type, drops the extensions it claimed before (so
`rechnung.pdf.html` becomes `rechnung.jpg`, not `rechnung.pdf.jpg`) and removes what could
mislead or break a file system (control and bidi characters, path separators, reserved
device names). It is idempotent, so the models apply it again when a name is read, which
also covers files stored before it existed. :func:`download` serves such a file.
"""

import mimetypes
import unicodedata

import magic
from django.http import HttpResponse
from django.utils.http import content_disposition_header

MAX_NAME = 150  # characters, extension included
DEFAULT_STEM = "datei"

# The extension of each type we accept somewhere; other types fall back to Python's own
# table (not the system's /etc/mime.types, so every machine names files alike).
EXTENSIONS = {
    "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png",
    "image/tiff": ".tif", "image/gif": ".gif", "image/webp": ".webp", "image/heic": ".heic",
    "text/plain": ".txt", "text/csv": ".csv", "application/json": ".json",
    "application/xml": ".xml", "text/xml": ".xml", "application/zip": ".zip",
    "application/gzip": ".gz",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/msword": ".doc", "application/vnd.ms-excel": ".xls",
}
_TABLE = mimetypes.MimeTypes()  # Python's built-in table only
# Suffixes that a name may carry as a pretended type: dropped before the real extension.
_KNOWN_SUFFIXES = (
    {ext.lstrip(".").lower() for ext in _TABLE.types_map[True]}
    | {ext.lstrip(".").lower() for ext in _TABLE.types_map[False]}
    | {ext.lstrip(".") for ext in EXTENSIONS.values()}
    | {"jpeg", "jpe", "jfif", "tiff", "htm", "html", "xhtml", "shtml", "svg", "svgz", "hta",
       "exe", "com", "scr", "pif", "bat", "cmd", "msi", "msp", "cpl", "dll", "lnk", "url",
       "js", "jse", "mjs", "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "jar", "apk", "app",
       "sh", "py", "php", "docm", "xlsm", "pptm", "iso", "img", "dmg", "reg", "inf", "chm",
       "gz", "tgz", "bz2", "xz", "7z", "rar"}
)
_FORBIDDEN = set('<>:"/\\|?*')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
             *(f"lpt{i}" for i in range(10))}


def sniff(data: bytes) -> str:
    """The content type libmagic detects from the first 64 KB."""
    return magic.from_buffer(bytes(data[:65536]), mime=True)


def extension(content_type: str) -> str:
    """The extension for a detected type, with its dot (".bin" for unknown types)."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return EXTENSIONS.get(kind) or _TABLE.guess_extension(kind, strict=False) or ".bin"


def stored_name(original: str, content_type: str) -> str:
    """The name a file is stored, shown and downloaded under: the sender's name without
    the extensions it claimed, plus the extension of the type detected from its content.
    `stored_name(stored_name(x, t), t) == stored_name(x, t)`."""
    name = unicodedata.normalize("NFC", original or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for c in name:
        category = unicodedata.category(c)
        if category.startswith("Z"):  # every kind of space and line separator
            kept.append(" ")
        elif not category.startswith("C") and c not in _FORBIDDEN:  # no control, bidi
            kept.append(c)
    stem = " ".join("".join(kept).split())
    while True:
        base, dot, suffix = stem.rpartition(".")
        if not (dot and base.strip(" .") and suffix.lower() in _KNOWN_SUFFIXES):
            break
        stem = base.rstrip(" .")
    suffix = extension(content_type)
    stem = stem.strip(" .")[:MAX_NAME - len(suffix)].rstrip(" .")
    if not stem or stem.split(".", 1)[0].lower() in _RESERVED:
        stem = DEFAULT_STEM if not stem else f"{DEFAULT_STEM}-{stem}"
    return stem + suffix


def download(data: bytes, name: str, content_type: str) -> HttpResponse:
    """An uploaded file as a download, never as a page: `attachment` with the stored name
    (RFC 6266, `filename*` for non-ASCII), the detected type, no sniffing, no caching,
    and a sandbox in case a browser renders it anyway."""
    response = HttpResponse(bytes(data), content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(
        True, stored_name(name, content_type))
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
