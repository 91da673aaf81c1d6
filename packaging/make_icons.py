"""Render the application icon from resources/icons/passerelle.svg.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py

Writes resources/icons/passerelle.png (256 px) and passerelle.ico (16 to 256 px:
32-bit BMP entries up to 64 px, as old Explorer views and NSIS expect, and a
PNG entry at 256 px). Qt renders the SVG with QPainter onto a QImage, so no
display is needed. The outputs are committed; rerun after editing the SVG.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SVG = ICONS / "passerelle.svg"
BMP_SIZES = (16, 20, 24, 32, 40, 48, 64)
PNG_SIZE = 256


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"png"))
    if not writer.write(image):
        raise SystemExit(f"PNG encoding failed: {writer.errorString()}")
    buffer.close()
    return bytes(data.data())


def _scanline(image: QImage, y: int) -> bytes:
    line = image.constScanLine(y)
    assert isinstance(line, memoryview)  # typed as object in the PySide6 stubs
    return line.tobytes()


def bmp_entry(image: QImage) -> bytes:
    """A 32-bit DIB as stored in .ico files: BGRA rows bottom-up, then the AND mask."""
    width, height = image.width(), image.height()
    # Format_ARGB32 is 0xAARRGGBB per pixel: little-endian bytes B, G, R, A.
    rows = [_scanline(image, y)[: width * 4] for y in range(height)]
    xor = b"".join(reversed(rows))
    mask_stride = ((width + 31) // 32) * 4
    mask_rows = []
    for row in reversed(rows):
        bits = bytearray(mask_stride)
        for x in range(width):
            if row[x * 4 + 3] == 0:  # fully transparent: masked out for old renderers
                bits[x // 8] |= 0x80 >> (x % 8)
        mask_rows.append(bytes(bits))
    and_mask = b"".join(mask_rows)
    header = struct.pack(
        "<IiiHHIIiiII", 40, width, height * 2, 1, 32, 0, len(xor) + len(and_mask), 0, 0, 0, 0
    )
    return header + xor + and_mask


def ico_bytes(entries: list[tuple[int, bytes]]) -> bytes:
    directory = struct.pack("<HHH", 0, 1, len(entries))
    offset = 6 + 16 * len(entries)
    records = b""
    for size, data in entries:
        side = 0 if size >= 256 else size  # 0 means 256 in ICONDIRENTRY
        records += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return directory + records + b"".join(data for _, data in entries)


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"SVG illisible : {SVG}", file=sys.stderr)
        return 1
    big = render(renderer, PNG_SIZE)
    (ICONS / "passerelle.png").write_bytes(png_bytes(big))
    entries = [(size, bmp_entry(render(renderer, size))) for size in BMP_SIZES]
    entries.append((PNG_SIZE, png_bytes(big)))
    (ICONS / "passerelle.ico").write_bytes(ico_bytes(entries))
    print(f"{ICONS / 'passerelle.png'}, {ICONS / 'passerelle.ico'} ({len(entries)} sizes)")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
