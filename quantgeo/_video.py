"""Movie files written frame by frame: animated GIF through Pillow, MP4 (H.264) through
``imageio-ffmpeg``.

Memory stays flat in the number of frames: each frame is encoded and written as it arrives.
Both formats go to a temporary file that is renamed onto the target only when the movie is
complete (:func:`quantgeo._io.atomic_path`).  The renderers (:mod:`quantgeo.animation`,
:mod:`quantgeo.animation_learners`) draw the frames; this module only writes them.
"""

from __future__ import annotations

import contextlib
import io
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray

from quantgeo._io import atomic_path

__all__ = ["GifWriter", "Mp4Writer", "frames_of", "mp4_available", "open_writer"]

RGB = NDArray[np.uint8]


class GifWriter:
    """Animated GIF written frame by frame (Pillow encodes each frame; memory stays flat).

    Pillow's own multi-frame writer keeps every frame until the end; here each frame is
    quantised and LZW-encoded by Pillow as a one-frame GIF, and its image block is appended to
    the open file with its palette as a local colour table.

    Parameters
    ----------
    fh
        Binary file opened for writing.
    size
        ``(width, height)`` in pixels of every frame.
    fps
        Frames per second (GIF delays are whole centiseconds).
    loop
        Number of loops (0: forever).
    """

    def __init__(self, fh: BinaryIO, size: tuple[int, int], fps: float, loop: int = 0) -> None:
        self.fh = fh
        self.size = (int(size[0]), int(size[1]))
        self.delay = max(2, round(100.0 / fps))
        self.frames = 0
        w, h = self.size
        fh.write(b"GIF89a" + struct.pack("<HHBBB", w, h, 0x70, 0, 0))
        fh.write(b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00")

    def append(self, frame: RGB) -> None:
        """Add one ``(height, width, 3)`` uint8 RGB frame."""
        from PIL import Image

        if frame.shape[:2] != (self.size[1], self.size[0]):
            raise ValueError(f"frame has shape {frame.shape[:2]}, the movie is {self.size[::-1]}")
        img = Image.fromarray(np.ascontiguousarray(frame[..., :3]), "RGB")
        pal = img.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        buf = io.BytesIO()
        pal.save(buf, format="GIF")
        table, descriptor, data = _split_gif(buf.getvalue())
        # Graphic control extension: disposal 1 (keep), delay, no transparency.
        self.fh.write(b"\x21\xf9\x04\x04" + struct.pack("<H", self.delay) + b"\x00\x00")
        left, top, w, h, packed = struct.unpack("<HHHHB", descriptor)
        bits = max(0, (len(table) // 3).bit_length() - 2)
        packed = 0x80 | (packed & 0x40) | bits
        self.fh.write(b"\x2c" + struct.pack("<HHHHB", left, top, w, h, packed))
        self.fh.write(table.ljust(3 * (2 << bits), b"\x00"))
        self.fh.write(data)
        self.frames += 1

    def close(self) -> None:
        """Write the GIF trailer."""
        self.fh.write(b"\x3b")


def _split_gif(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """(colour table, image descriptor fields, LZW data with terminator) of a one-frame GIF."""
    if raw[:3] != b"GIF":
        raise ValueError("Pillow did not produce a GIF")
    packed = raw[10]
    pos = 13
    table = b""
    if packed & 0x80:
        n = 3 * (2 << (packed & 7))
        table = raw[pos : pos + n]
        pos += n
    while pos < len(raw):
        tag = raw[pos]
        if tag == 0x21:  # extension: label, then sub-blocks
            pos += 2
            while raw[pos]:
                pos += raw[pos] + 1
            pos += 1
        elif tag == 0x2C:
            descriptor = raw[pos + 1 : pos + 10]
            pos += 10
            if descriptor[8] & 0x80:
                n = 3 * (2 << (descriptor[8] & 7))
                table = raw[pos : pos + n]
                pos += n
            start = pos
            pos += 1  # LZW minimum code size
            while raw[pos]:
                pos += raw[pos] + 1
            pos += 1
            return table, descriptor, raw[start:pos]
        else:
            break
    raise ValueError("no image block in the GIF produced by Pillow")


class Mp4Writer:
    """H.264 MP4 through ``imageio-ffmpeg`` (frames piped to ffmpeg as they are rendered).

    Frames are padded (white) to a multiple of 16 pixels, as yuv420p encoders require.
    """

    def __init__(self, path: Path, size: tuple[int, int], fps: float, quality: float = 7.0) -> None:
        import imageio_ffmpeg

        w, h = size
        self.pad = (-w % 16, -h % 16)
        self.size = (w + self.pad[0], h + self.pad[1])
        self.frames = 0
        self._gen = imageio_ffmpeg.write_frames(
            str(path),
            self.size,
            fps=fps,
            quality=quality,
            codec="libx264",
            macro_block_size=16,
            ffmpeg_log_level="error",
        )
        self._gen.send(None)

    def append(self, frame: RGB) -> None:
        """Add one ``(height, width, 3)`` uint8 RGB frame."""
        f = np.ascontiguousarray(frame[..., :3])
        if any(self.pad):
            f = np.pad(f, ((0, self.pad[1]), (0, self.pad[0]), (0, 0)), constant_values=255)
        self._gen.send(f.tobytes())
        self.frames += 1

    def close(self) -> None:
        """Flush and wait for ffmpeg."""
        self._gen.close()


def mp4_available() -> bool:
    """Whether ``imageio-ffmpeg`` (and its ffmpeg binary) can be used."""
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError, OSError):
        return False
    return True


class _Sink:
    """Writer opened lazily at the first frame (the frame size is known only then)."""

    def __init__(self, tmp: Path, fmt: str, fps: float) -> None:
        self.tmp, self.fmt, self.fps = tmp, fmt, fps
        self.writer: GifWriter | Mp4Writer | None = None
        self._fh: BinaryIO | None = None

    def append(self, frame: RGB) -> None:
        if self.writer is None:
            size = (frame.shape[1], frame.shape[0])
            if self.fmt == "gif":
                self._fh = open(self.tmp, "wb")  # closed in close()
                self.writer = GifWriter(self._fh, size, self.fps)
            else:
                self.writer = Mp4Writer(self.tmp, size, self.fps)
        self.writer.append(frame)

    def close(self) -> None:
        try:
            if self.writer is not None:
                self.writer.close()
        finally:
            if self._fh is not None:
                self._fh.close()

    @property
    def frames(self) -> int:
        return 0 if self.writer is None else self.writer.frames


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".gif":
        return "gif"
    if suffix == ".mp4":
        if not mp4_available():
            raise ValueError(
                "MP4 output needs imageio-ffmpeg (pip install 'quantgeo[video]'); "
                "write a .gif instead"
            )
        return "mp4"
    raise ValueError(f"output must end in .gif or .mp4, got {path.name!r}")


def open_writer(path: str | Path, fps: float) -> Any:
    """Context manager yielding ``append(frame)`` for an atomically written GIF or MP4."""
    target = Path(path)
    return _open_sink(target, _format(target), fps)


@contextlib.contextmanager
def _open_sink(target: Path, fmt: str, fps: float) -> Iterator[_Sink]:
    with atomic_path(target) as tmp:
        sink = _Sink(tmp, fmt, fps)
        try:
            yield sink
        finally:
            sink.close()


def frames_of(path: str | Path) -> Iterable[NDArray[np.uint8]]:
    """Yield the RGB frames of a GIF written by :class:`GifWriter` (for checks and tests)."""
    from PIL import Image, ImageSequence

    with Image.open(path) as im:
        for frame in ImageSequence.Iterator(im):
            yield np.asarray(frame.convert("RGB"))
