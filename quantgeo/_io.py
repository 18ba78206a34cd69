"""Atomic file and folder output: write beside the target under a temporary name, then rename.

An interrupted run therefore never leaves a half-written report, trajectory or animation, and
an output folder always holds the files of one run.

Temporary names carry the writer's process id, so that a later run can tell the leftovers of a
killed process (SIGKILL, power loss) from those of a process still writing, and remove them:

* a file ``F.ext`` is written as ``.F.<pid>-<random>.part.ext``;
* a folder ``D`` is written as ``.D.tmp-<pid>-<random>/``; when it replaces an existing ``D``,
  the old one is first renamed to ``.D.old-<pid>-<random>/``.

Only the leftovers of the same target whose process no longer exists are removed; a process
id that was reused by another process keeps its leftovers until that process ends (harmless).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "atomic_folder",
    "atomic_path",
    "atomic_write_text",
    "check_file_target",
    "check_folder_target",
    "jsonable",
    "remove_stale_folders",
]

# .NAME.tmp-PID-RANDOM (being written) or .NAME.old-PID-RANDOM (being replaced)
_FOLDER_RE = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[A-Za-z0-9_]+$")


def _pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (signal 0 checks without sending anything)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill would terminate it there: never treat a writer as gone
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _remove_stale_parts(target: Path) -> None:
    """Remove ``.STEM.<pid>-<random>.part.SUFFIX`` files of ``target`` left by dead processes."""
    prefix, suffix = f".{target.stem}.", f".part{target.suffix}"
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(suffix)):
                continue
            pid = name[len(prefix) : len(name) - len(suffix)].split("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                with contextlib.suppress(OSError):
                    entry.unlink()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    The temporary file keeps the suffix of ``path`` so that writers which pick a format from
    the file name (NumPy, Pillow, imageio) behave as for the final name.  Temporary files of
    the same target left by processes that no longer exist are removed first.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(target)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.{os.getpid()}-", suffix=f".part{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the permissions open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _is_stale_part(name: str, own: Collection[str]) -> bool:
    """``name`` is a temporary ``.part`` file of one of the files ``own`` whose writer is gone
    (a process id that no longer runs, or the pid-less names of earlier quantgeo versions)."""
    for file in own:
        stem, suffix = os.path.splitext(file)
        prefix, end = f".{stem}.", f".part{suffix}"
        if name.startswith(prefix) and name.endswith(end):
            pid = name[len(prefix) : len(name) - len(end)].split("-")[0]
            return not (pid.isdigit() and _pid_alive(int(pid)))
    return False


def _writable_base(target: Path, where: str) -> None:
    """Raise unless the nearest existing ancestor of ``target`` is a writable folder."""
    base = target.parent
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise ValueError(f"{where} lies inside {os.fspath(base)!r}, which is a file")
    if not os.access(base, os.W_OK | os.X_OK):
        raise ValueError(f"{where}: the folder {os.fspath(base)!r} is not writable")


def check_file_target(path: str | os.PathLike[str], *, option: str = "-o") -> None:
    """Raise :class:`ValueError` unless ``path`` can be written by :func:`atomic_path`: not an
    existing folder, below a writable folder (to be called before any work is done)."""
    target = Path(path)
    where = f"`{option}` {os.fspath(target)!r}"
    if target.is_dir():
        raise ValueError(f"{where} is an existing folder, not a file; choose a file name")
    _writable_base(target, where)


def check_folder_target(path: str | os.PathLike[str], *, option: str = "-o") -> None:
    """Raise :class:`ValueError` unless ``path`` can become an output folder of
    :func:`atomic_folder`: a new name, or an existing folder without sub-folders, below a
    writable existing folder.  Meant to be called before any work is done.

    ``option`` names the command-line option (or argument) that chose ``path``.
    """
    target = Path(path)
    where = f"`{option}` {os.fspath(target)!r}"
    if target.exists() and not target.is_dir():
        raise ValueError(f"{where} is an existing file, not a folder; choose a folder name")
    here = Path.cwd().resolve()
    if target.resolve() in (here, *here.parents):
        raise ValueError(
            f"{where} is the current folder or contains it; the output folder is replaced as a "
            "whole, so name a folder of its own"
        )
    _writable_base(target, where)
    if target.is_dir():
        subs = sorted(e.name for e in target.iterdir() if e.is_dir() and not e.is_symlink())
        subs = [s for s in subs if not _FOLDER_RE.match(s)]
        if subs:
            raise ValueError(
                f"{where} holds sub-folders ({', '.join(subs[:3])}); the output folder is "
                "replaced as a whole, so choose a new or an empty folder"
            )


def remove_stale_folders(
    parent: str | os.PathLike[str], name: str | None = None, *, include_own: bool = False
) -> None:
    """Remove the temporary folders of :func:`atomic_folder` left in ``parent`` by processes
    that no longer exist (only those of ``name`` when given; also this process's own with
    ``include_own``).

    A ``.NAME.old-…`` folder whose ``NAME`` is missing is the previous output of a writer
    killed (SIGKILL) between its two renames: it is renamed back to ``NAME`` instead.
    """
    folder = Path(parent)
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        m = _FOLDER_RE.match(entry.name)
        if m is None or not entry.is_dir() or (name is not None and m["name"] != name):
            continue
        pid = int(m["pid"])
        if (pid == os.getpid() and not include_own) or (pid != os.getpid() and _pid_alive(pid)):
            continue
        final = folder / m["name"]
        if m["kind"] == "old" and not final.exists():
            with contextlib.suppress(OSError):
                os.rename(entry, final)
                continue
        shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the block (delivered when it ends)."""
    try:
        before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    except (AttributeError, OSError, ValueError):  # no pthread_sigmask on this platform
        before = None
    try:
        yield
    finally:
        if before is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _carry_over(old: Path, new: Path, own: Collection[str]) -> None:
    """Hard-link (or copy) into ``new`` the files of ``old`` that the writer does not own."""
    for entry in old.iterdir():
        if entry.name in own or _is_stale_part(entry.name, own) or (new / entry.name).exists():
            continue
        if entry.is_dir() and not entry.is_symlink():
            continue  # refused by check_folder_target before the run; a folder of a stale writer
        try:
            os.link(entry, new / entry.name, follow_symlinks=False)
        except OSError:
            shutil.copy2(entry, new / entry.name, follow_symlinks=False)


@contextlib.contextmanager
def atomic_folder(
    path: str | os.PathLike[str],
    *,
    own: Collection[str] = (),
    replace: bool = True,
    clean: bool = True,
) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; it becomes ``path`` only on success.

    The folder is written as ``.NAME.tmp-<pid>-<random>/`` and renamed onto ``path``, so
    ``path`` always holds the files of one writer, complete.

    Parameters
    ----------
    path
        The output folder.
    own
        File names this writer produces (e.g. ``report.json``, ``trajectory.npz``,
        ``reference.npz``).  When ``path`` exists, its files *not* in ``own`` are carried over
        into the new folder (hard links), so that writers sharing a folder (``quantgeo run``
        and ``quantgeo compare``) and files of the user's survive; its files in ``own`` that
        this writer did not write again disappear with the old folder.
    replace
        When ``path`` already exists: replace it (``True``), or keep it and discard the new
        folder (``False``: "another writer completed it first", as for a sweep's points).
    clean
        First remove the leftovers of dead writers of ``path`` (:func:`remove_stale_folders`);
        a caller writing many folders into one parent cleans the parent once instead.

    Notes
    -----
    Replacing renames the old folder away to ``.NAME.old-<pid>-<random>/``, renames the new one
    onto ``path`` and then removes the old one.  Between the two renames ``path`` does not
    exist; SIGINT and SIGTERM are held back for that instant, so only SIGKILL or a power loss
    can fall into it, and then the previous output is still complete under its ``.old`` name:
    :func:`remove_stale_folders` (called here before every write of ``path``) renames it back.
    """
    target = Path(path).absolute()
    if target.is_symlink():  # replace the folder it points to, not the link
        target = target.resolve()
    check_folder_target(target)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    if clean:
        remove_stale_folders(parent, target.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=parent))
    old: Path | None = None
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private (0700)
        swap = replace and target.is_dir()
        if swap:
            _carry_over(target, tmp, own)
        with _signals_held():
            if swap:
                old = parent / f".{target.name}.old-{os.getpid()}-{tmp.name.rsplit('-', 1)[1]}"
                os.rename(target, old)
            try:
                os.rename(tmp, target)
            except OSError:
                if old is not None:  # put the previous output back
                    os.rename(old, target)
                    old = None
                    raise
                if not target.is_dir():  # not "another writer completed it first"
                    raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def jsonable(obj: Any) -> Any:
    """Convert mappings, sequences and NumPy scalars/arrays to plain JSON types.

    Non-finite floats become strings (``"nan"``, ``"inf"``) so the output is strict JSON;
    anything else unknown becomes its ``str``.
    """
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)
