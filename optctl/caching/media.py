"""Token estimates for what is not text: images by their pixel size, PDFs by their pages.

Anthropic bills an image at about width*height/750 tokens after shrinking it to its size cap,
so the size is read from the image header in the base64 data (PNG, GIF, JPEG); an image given
by URL, or in a format not read here, gets the table's fixed estimate. The numbers come from
the ``content`` section of the rules table.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from typing import Any

# A header is near the start; decoding only this much base64 keeps a 20 MB image cheap.
_HEADER_B64_CHARS = 65536
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def image_tokens(block: dict[str, Any], content: dict[str, Any]) -> tuple[int, str]:
    """(tokens, how it was estimated) for one image block."""
    size = _image_size(_head(block.get("source")))
    if size is None:
        return content["image_fixed_tokens"], "image size unknown: fixed estimate"
    width, height = size
    tokens = min(math.ceil(width * height / content["image_pixels_per_token"]), content["image_max_tokens"])
    return tokens, f"image {width}x{height}: width*height/{content['image_pixels_per_token']}"


def document_tokens(block: dict[str, Any], content: dict[str, Any]) -> tuple[int, str]:
    """(tokens, how) for a base64 PDF or a URL document; text documents are counted as text."""
    source = block.get("source") or {}
    pages = None
    if source.get("type") == "base64" and isinstance(source.get("data"), str):
        try:
            pages = len(_PDF_PAGE.findall(base64.b64decode(source["data"], validate=False))) or None
        except (binascii.Error, ValueError):
            pages = None
    how = f"{pages} PDF pages" if pages else "page count unknown"
    pages = pages or content["document_fixed_pages"]
    return pages * content["document_page_tokens"], f"{how} x {content['document_page_tokens']} tokens a page"


def _head(source: Any) -> bytes:
    if not isinstance(source, dict) or source.get("type") != "base64" or not isinstance(source.get("data"), str):
        return b""
    data = source["data"][:_HEADER_B64_CHARS]
    try:
        return base64.b64decode(data[: len(data) // 4 * 4])
    except (binascii.Error, ValueError):
        return b""


def _image_size(head: bytes) -> tuple[int, int] | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24:
        return struct.unpack(">II", head[16:24])
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        return struct.unpack("<HH", head[6:10])
    if head.startswith(b"\xff\xd8"):
        return _jpeg_size(head)
    return None


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        length = struct.unpack(">H", head[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", head[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None
