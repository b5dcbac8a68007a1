"""Atomic writes: the one place where spectra_zoo puts files and folders on disk.

Everything spectra_zoo writes (models, SavedModel exports, reports, figures, presets,
CSV/JSON/npz files) is first written under a temporary name beside the target and then
renamed into place, so an interrupted or failed write leaves either the old content or
the new one under the target name, never a partial file.

Example:
    >>> from spectra_zoo._io import atomic_write, write_text
    >>> with atomic_write("run/model.keras") as tmp:   # doctest: +SKIP
    ...     model.save(tmp)
    >>> write_text("run/notes.md", "# notes\\n")       # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import shutil
import uuid
from pathlib import Path

__all__ = ["atomic_write", "temporary_name", "write_json", "write_text"]

_RENAME_EXCHANGE = 2  # linux/fs.h: swap two existing paths atomically
_AT_FDCWD = -100


def temporary_name(target) -> Path:
    """A fresh hidden name beside ``target`` that keeps its suffix (``.keras``, ``.png`` ...).

    Writers that infer the format from the suffix (Keras, matplotlib, numpy) accept it,
    and it is on the same file system, so the final rename is atomic.
    """
    target = Path(os.fspath(target))
    return target.with_name(f".{target.stem}.tmp-{uuid.uuid4().hex[:12]}{target.suffix}")


def _fsync(path: Path):
    if path.is_file():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step (Linux ``renameat2``); False where unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def _replace_folder(new: Path, target: Path):
    """Put the folder ``new`` at ``target``; the old ``target`` stays until ``new`` is in place."""
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):  # target now holds the new folder, ``new`` the old one
        shutil.rmtree(new, ignore_errors=True)
        return
    # No atomic exchange (not Linux, or a file system without it): move the old folder
    # aside first; if the process dies between the two renames, the old content is
    # still complete under the ``.<name>.old-*`` name beside the target.
    aside = temporary_name(target).with_name(f".{target.name}.old-{uuid.uuid4().hex[:12]}")
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def atomic_write(target, overwrite: bool = True):
    """Yield a temporary path beside ``target``; on success it is renamed to ``target``.

    The body writes a file or creates a folder at the yielded path (``model.save(tmp)``,
    ``model.export(tmp)``, ``fig.savefig(tmp)``). When the body raises (or the process is
    killed) the target is untouched and the temporary path is removed (or, after a kill,
    left as a hidden ``.<name>.tmp-*`` entry). A file replaces the old file with one
    ``os.replace``; a folder replaces the old folder only once it is complete.

    Args:
        target: Final path of the file or folder; missing parent folders are created.
        overwrite: Replace an existing ``target``; otherwise it raises FileExistsError
            before anything is written.

    Raises:
        FileExistsError: ``target`` exists and ``overwrite`` is False.
        IsADirectoryError / NotADirectoryError: a file would replace a folder or back.
    """
    target = Path(os.fspath(target))
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; pass overwrite=True to replace it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(target)
    try:
        yield tmp
        if tmp.is_dir():
            if target.exists() and not target.is_dir():
                raise NotADirectoryError(f"{target} is a file; a folder cannot replace it.")
            _replace_folder(tmp, target)
        elif tmp.exists():
            if target.is_dir():
                raise IsADirectoryError(f"{target} is a folder; a file cannot replace it.")
            _fsync(tmp)
            os.replace(tmp, target)
        else:
            raise FileNotFoundError(f"nothing was written for {target} (expected {tmp.name}).")
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def write_text(path, text: str, overwrite: bool = True, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns the path."""
    path = Path(os.fspath(path))
    with atomic_write(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding=encoding)
    return path


def write_json(path, obj, overwrite: bool = True, default=None, **dump_kwargs) -> Path:
    """Write ``obj`` as indented JSON (with a final newline) to ``path`` atomically."""
    dump_kwargs.setdefault("indent", 2)
    return write_text(path, json.dumps(obj, default=default, **dump_kwargs) + "\n", overwrite=overwrite)
