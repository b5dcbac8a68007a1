"""Readers for spectra on disk: two-column text files, folders of them, CSV, HDF5 and npz.

Everything returns a :class:`~spectra_zoo.data.container.SpectraSet`. The readers never
write into the folders they read. Malformed files raise :class:`SpectraFileError` (a
:class:`~spectra_zoo._validation.SpectraInputError`) naming the file and, when it
applies, the line.

The European XFEL files of SEED_SPEC section 1.1 (``l2_fe80mg20_ramp_00001_m1_0001.xy``
... ``_0349.xy``: 25 header lines, then 2-theta and intensity) load with
``load_folder(path, skip_header=25)`` or with the automatic header detection.
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from spectra_zoo._validation import SpectraInputError
from spectra_zoo.data.container import SpectraSet, _axis_tolerance

__all__ = [
    "SPECTRUM_EXTENSIONS",
    "SpectraFileError",
    "load",
    "load_csv",
    "load_folder",
    "load_hdf5",
    "load_npz",
    "natural_sort_key",
    "read_spectrum_file",
]

#: File extensions read as single-spectrum text files (case-insensitive).
SPECTRUM_EXTENSIONS = (".xy", ".xye", ".dat", ".txt", ".chi", ".asc")

#: Upper bound on the number of points of an automatically chosen common grid.
MAX_AUTO_POINTS = 20000

#: Upper bound on the points of any common grid (``n_points``, ``step`` or ``axis``): one
#: spectrum on it takes 8 bytes per point; beyond this the grid is refused with its size.
MAX_GRID_POINTS = 2_000_000

#: Most columns a line of a spectrum file may have (axis, intensity, error, ...).
MAX_COLUMNS = 1000

#: Largest file (characters) read by the line-by-line reader that explains unusual layouts
#: (headers inside the data, decimal commas, touching fixed-width columns, damaged lines).
#: It holds every line and token as a Python string, about 20 times the file size; plain
#: files of any size go through the pandas C parser instead.
MAX_CAREFUL_CHARS = 16 << 20

_NAN_TOKENS = {"nan", "+nan", "-nan", "na", "n/a", "null"}

#: A line of plain numbers separated by spaces, tabs, commas or semicolons.
_PLAIN_LINE = re.compile(
    r"[ \t]*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:[ \t,;]+[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)*[ \t,;]*"
)

#: Windows C runtime spellings of infinity and NaN (``1.#INF``, ``-1.#IND``, ``1.#QNAN``).
_MSVC_SPECIAL = re.compile(r"\d\.#(?:INF|IND|QNAN|SNAN)", re.IGNORECASE)

#: Lines read back when checking that a file without a final line break is complete.
_TAIL_LINES = 50


def _comment_pattern(comments):
    """Regex of a comment: the marker at the start of a line or after whitespace, to the end.

    A marker glued to a number is part of the number (``1.#INF``), never a comment, so
    such a value is refused as text instead of being cut to ``1.``.
    """
    return re.compile(r"(?:^|(?<=\s))" + re.escape(comments) + r".*$", re.DOTALL)


def _strip_comment(line: str, comments) -> str:
    return _comment_pattern(comments).sub("", line) if comments else line


class SpectraFileError(SpectraInputError):
    """A file (or a folder) could not be read as spectra.

    Attributes:
        path: The offending file or folder (``str``) or ``None``.
        line: 1-based line number in the file, or ``None``.
    """

    def __init__(self, message: str, path=None, line: Optional[int] = None):
        self.path = None if path is None else os.fspath(path)
        self.line = line
        prefix = ""
        if self.path is not None:
            prefix = f"{self.path}"
            if line is not None:
                prefix += f", line {line}"
            prefix += ": "
        super().__init__(prefix + message)


def natural_sort_key(text: str):
    """Sort key that orders embedded numbers numerically (``_0002`` before ``_0010``, ``9`` before ``10``).

    Example:
        >>> sorted(["a10", "a9", "a100"], key=natural_sort_key)
        ['a9', 'a10', 'a100']
    """
    text = str(text)
    parts = re.split(r"(\d+)", text.casefold())
    # Even positions are text, odd positions numbers, so tuples compare type by type.
    key = tuple(int(p) if i % 2 else p for i, p in enumerate(parts))
    return key, text


# ---------------------------------------------------------------------------- text files
_SPECIAL_KINDS = ((stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISCHR, "character device"),
                  (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"))


def _refuse_special(path: Path, mode: int):
    """Raise unless ``mode`` is a regular file: a FIFO or a device would block or never end."""
    if stat.S_ISDIR(mode):
        raise SpectraFileError("is a folder, not a spectrum file (use load_folder)", path)
    if not stat.S_ISREG(mode):
        kind = next((k for test, k in _SPECIAL_KINDS if test(mode)), "special file")
        raise SpectraFileError(f"is a {kind}, not a regular file; spectra are read from regular files only",
                               path)


def _read_text(path: Path) -> str:
    return _read_text_and_encoding(path)[0]


def _read_text_and_encoding(path: Path):
    """``(text, codec, raw bytes)`` of a regular file, read once."""
    try:
        _refuse_special(path, os.stat(path).st_mode)  # before opening: opening a FIFO blocks
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            _refuse_special(path, os.fstat(fh.fileno()).st_mode)  # swapped in since the stat
            raw = fh.read()
    except OSError as exc:
        raise SpectraFileError(f"cannot be read: {exc.strerror or exc}", path) from exc
    if b"\x00" in raw:
        raise SpectraFileError("looks like a binary file (contains NUL bytes), not a text spectrum", path)
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig", raw
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1", raw


def _split_lines(text: str) -> list:
    """Split on \\n, \\r\\n or \\r only (as editors and pandas count lines)."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _to_numbers(tokens: pd.Series):
    """Parse a column of string tokens; returns (float64 values, mask of non-numeric tokens)."""
    values = pd.to_numeric(tokens, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values)
    if bad.any():  # tell "nan" tokens (numbers, rejected later) from text
        idx = np.flatnonzero(bad)
        sub = tokens.iloc[idx]
        nan_token = sub.isna().to_numpy() | np.array(
            [str(t).strip().casefold() in _NAN_TOKENS for t in sub], dtype=bool
        )
        bad[idx[nan_token]] = False
    return values, bad


def _split_tokens(lines: pd.Series, delimiter) -> pd.DataFrame:
    if lines.empty:
        return pd.DataFrame(index=lines.index)
    pattern = r"[\s,;]+" if delimiter is None else re.escape(delimiter)
    tokens = lines.astype(object).str.split(pattern, regex=True, expand=True)  # short rows padded with None
    tokens.columns = range(tokens.shape[1])
    if delimiter is not None:
        tokens = tokens.apply(lambda col: col.str.strip())
    return tokens.astype(object).where(tokens.notna(), None)


def _fixed_width_fix(raw: pd.Series, tokens: pd.DataFrame, short_rows: np.ndarray):
    """Split merged two-column lines of fixed-width files (e.g. ``14.168110228`` = 14.1681, 10228).

    Some instrument exports (seen in the pvlab_autoxrd data) write the axis right-aligned
    in a fixed width and the intensity straight after it; a wide intensity then touches
    the axis. When nearly all two-token lines end their first token at the same column,
    a one-token line longer than that is cut at that column. Returns the repaired token
    frame or ``None`` when the file does not look like that.
    """
    full = ~short_rows
    if full.sum() < 4 or tokens.shape[1] < 2:
        return None
    first = tokens.iloc[:, 0]
    lead = raw.str.len() - raw.str.lstrip().str.len()
    ends = (lead + first.str.len())[full]
    width = int(ends.mode().iloc[0])
    if (ends == width).mean() < 0.8:
        return None
    short = raw[short_rows]
    if not (short.str.len() > width).all():
        return None
    left = short.str.slice(0, width).str.strip()
    right = short.str.slice(width).str.strip()
    if (left == "").any() or (right == "").any():
        return None
    _, bad_l = _to_numbers(left)
    _, bad_r = _to_numbers(right)
    if bad_l.any() or bad_r.any():
        return None
    fixed = tokens.copy()
    fixed.loc[short_rows, fixed.columns[0]] = left.to_numpy()
    fixed.loc[short_rows, fixed.columns[1]] = right.to_numpy()
    return fixed


def _first_data_line(lines, comments, need):
    """Index of the first line with >= ``need`` numeric tokens (scans the header only)."""
    for i, line in enumerate(lines):
        line = _strip_comment(line, comments)
        tokens = [t for t in re.split(r"[\s,;]+", line.strip()) if t]
        if len(tokens) < need:
            if tokens and not _is_number(tokens[0]):
                continue
            if not tokens:
                continue
            return None  # a short numeric line: let the careful parser explain
        if all(_is_number(t) for t in tokens):
            return i
    return None


def _looks_damaged(tokens, width: int) -> bool:
    """A header candidate that is a data line with one damaged number (``8.6400x 349.000``).

    Column titles and instrument headers (``2theta intensity``, ``Wavelength 1.5406``) have
    no token that mixes digits with one odd character among numbers.
    """
    if len(tokens) != width:
        return False
    odd = [t for t in tokens if not _is_number(t)]
    return len(odd) == 1 and sum(c.isdigit() for c in odd[0]) >= 1 and len(re.sub(r"[\d.+\-eE]", "", odd[0])) <= 2


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


#: Characters at the top of a file searched for the first data line by the fast parser.
_HEAD_CHARS = 1 << 20


def _parse_fast(raw, text, encoding, skip_header, comments, delimiter, need):
    """Parse a clean file with the pandas C parser; ``None`` when anything looks off.

    Only the head of the file is split into lines (to find the first data line); pandas
    parses the bytes read once (``raw``, the same bytes as ``text``: a file being written
    meanwhile cannot differ between the two), so memory stays a small multiple of the
    file size. A NaN or
    infinity written as such returns ``(line number, line)`` for the caller to refuse.
    """
    if comments and re.search(r"[^\s]" + re.escape(comments), text):
        return None  # a marker inside a token (1.#INF) or a comment glued to a value: careful path
    lines = _split_lines(text[:_HEAD_CHARS])
    if len(text) > _HEAD_CHARS:
        lines = lines[:-1]  # the last piece may end mid-line
    start = skip_header if skip_header is not None else _first_data_line(lines, comments, need)
    if start is None or start >= len(lines):
        return None
    if skip_header is None and start > 0:
        before = next((ln for ln in reversed(lines[:start]) if _strip_comment(ln, comments).strip()), None)
        first = [t for t in re.split(r"[\s,;]+", _strip_comment(lines[start], comments).strip()) if t]
        if before is not None and _looks_damaged(
            [t for t in re.split(r"[\s,;]+", _strip_comment(before, comments).strip()) if t], len(first)
        ):
            return None  # the careful path refuses the damaged first line
    probe = next(
        (ln for ln in lines[start:] if ln.strip() and not (comments and ln.lstrip().startswith(comments))),
        "",
    )
    if len(probe) > 2 * MAX_COLUMNS:
        return None  # a very wide line: the careful path refuses it with its line number
    if delimiter is None:
        if ";" in probe or ("," in probe and re.search(r"\d,\d+\s", probe + " ") and "\t" in probe):
            return None  # decimal commas or mixed separators: careful path
        sep = "," if "," in probe else r"\s+"
    else:
        sep = delimiter
    try:
        frame = pd.read_csv(
            io.BytesIO(raw), sep=sep, header=None, skiprows=start, comment=comments or None, encoding=encoding,
            skip_blank_lines=True, dtype=np.float64, engine="c", skipinitialspace=True,
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    values = frame.to_numpy(dtype=np.float64)
    if values.ndim != 2 or values.shape[1] < need or values.shape[0] < 2:
        return None
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.argmax(~finite.all(axis=1)))
        number, line = _data_line(text, start, row, comments)
        if len([t for t in re.split(r"[\s,;]+" if delimiter is None else re.escape(delimiter), line.strip())
                if t]) == values.shape[1]:
            return number, line  # a NaN or infinity written as such: refused by the caller
        return None  # a short row (or touching fixed-width columns): the careful path explains
    return values


def _data_line(text, start, row, comments):
    """1-based number and text of data row ``row`` (blank and comment lines skipped) after line ``start``.

    Walks the line breaks of ``text`` without splitting it (error path only).
    """
    k, begin = -1, 0
    breaks = re.finditer(r"\r\n|\r|\n", text)
    for i in range(len(text) + 1):
        m = next(breaks, None)
        end = m.start() if m else len(text)
        if i >= start:
            ln = text[begin:end]
            if ln.strip() and not (comments and ln.lstrip().startswith(comments)):
                k += 1
                if k == row:
                    return i + 1, ln
        if m is None:
            break
        begin = m.end()
    raise AssertionError("row beyond the data lines")  # pragma: no cover


def read_spectrum_file(path, skip_header=None, comments="#", delimiter=None, columns=(0, 1)):
    """Read one spectrum from a two-(or more-)column text file (.xy, .dat, .txt, .chi).

    Lines starting with ``comments`` (pyFAI writes a ``#`` header) and blank lines are
    ignored, as is anything after ``comments`` following whitespace on a data line (a
    marker glued to a number, as in the Windows ``1.#INF``, is part of the number and
    refused as text). Numbers must be plain: a thousands separator (``4,729.0``,
    ``4 729``) is refused, never split into two columns; every data line must have the
    same number of columns. A file that does not end with a line break and whose last
    line has fewer columns or other decimals than the lines before it is refused as
    truncated. With ``skip_header=None``
    non-numeric lines at the top (column titles, instrument headers) are skipped; an int
    skips exactly that many lines (25 for the European XFEL files of SEED_SPEC 1.1).
    Separators are detected: whitespace, tabs, commas or semicolons. Fixed-width files
    whose columns touch (``14.168110228``) are split at the column position shared by the
    other lines. A strictly *decreasing* axis (e.g. wavenumbers written high to low) is
    reversed so the result always increases.

    Args:
        path: The file.
        skip_header: ``None`` (detect) or the number of lines to skip.
        comments: Comment marker, or ``None``.
        delimiter: Column separator, or ``None`` to detect.
        columns: ``(axis_column, intensity_column)`` indices.

    Returns:
        ``(axis, intensity)``: float64 arrays of shape ``(points,)``, axis strictly
        increasing.

    Raises:
        SpectraFileError: unreadable or binary file, only one column, text in a numeric
            column, fewer than 2 data points, NaN/inf values, duplicate or non-monotonic
            axis values. The message and the ``.path``/``.line`` attributes locate it.

    Example:
        >>> from spectra_zoo.data import read_spectrum_file
        >>> axis, y = read_spectrum_file("pattern_0001.xy", skip_header=25)  # doctest: +SKIP
    """
    path = Path(os.fspath(path))
    ax_col, y_col = (int(c) for c in columns)
    need = max(ax_col, y_col) + 1
    if skip_header is not None and int(skip_header) < 0:
        raise SpectraInputError(f"skip_header must be >= 0; got {skip_header}.")
    text, encoding, raw = _read_text_and_encoding(path)
    _check_last_line(path, text, comments, delimiter)
    fast = _parse_fast(raw, text, encoding, skip_header, comments, delimiter, need)
    del raw
    if isinstance(fast, tuple):
        number, line = fast
        raise SpectraFileError(f"NaN or infinite value: {line.strip()[:60]!r}", path, number)
    if fast is not None:
        axis, intensity = fast[:, ax_col], fast[:, y_col]
        step = np.diff(axis)
        if (step > 0).all():
            return axis.copy(), intensity.copy()
        if (step < 0).all():
            return axis[::-1].copy(), intensity[::-1].copy()
    # Careful path: anything unusual, with line numbers for every error.
    if len(text) > MAX_CAREFUL_CHARS:
        _refuse_large_unusual(path, text, comments)
    return _parse_careful(path, text, skip_header, comments, delimiter, ax_col, y_col, need)


def _refuse_large_unusual(path, text, comments):
    """A large file the fast parser cannot take: name its first unusual line, without holding every line."""
    where, first_data = "", False
    for number, match in enumerate(re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text), start=1):
        line = match.group().rstrip("\r\n")
        body = _strip_comment(line, comments).strip() if comments else line.strip()
        if not body:
            if match.end() >= len(text):
                break
            continue
        if _PLAIN_LINE.fullmatch(body):
            first_data = True
        elif first_data:  # text before the first data line is a header; after it, the line at fault
            where = f" The first line it could not take is line {number}: {line.strip()[:60]!r}."
            break
    raise SpectraFileError(
        f"is {len(text) / 2**20:.1f} MiB and not a plain table of numbers.{where} Files in other layouts (headers "
        f"between the data, decimal commas, touching columns, text in a column) are read up to "
        f"{MAX_CAREFUL_CHARS >> 20} MiB; write plain numbers, one point per line",
        path,
    )


def _decimals(token: str) -> int:
    """Digits after the decimal point (-1: no point); exponents and odd tokens give -2."""
    if "e" in token.lower() or not re.fullmatch(r"[-+]?\d*\.?\d*", token):
        return -2
    head, dot, tail = token.partition(".")
    return len(tail) if dot else -1


def _check_last_line(path, text: str, comments, delimiter):
    """Refuse a file whose last line looks cut short (an interrupted copy or download).

    Only files that do not end with a line break are checked. The last data line is
    compared with the data lines before it (at most ``_TAIL_LINES``): when they all have
    the same number of columns and, column by column, the same number of decimals, a last
    line with fewer columns or other decimals (``3992.000`` cut to ``399``) is refused, and
    so is an integer with fewer digits than in every line before it (``1493`` cut to ``14``).
    """
    if not text or text[-1] in "\r\n":
        return
    tail = _split_lines(text[-200 * _TAIL_LINES:])
    if len(text) > 200 * _TAIL_LINES:
        tail = tail[1:]  # the first piece may start mid-line
    split = re.compile(r"[\s,;]+" if delimiter is None else re.escape(delimiter))
    rows = [r for r in ([t for t in split.split(_strip_comment(ln, comments).strip()) if t] for ln in tail) if r]
    if not tail or not _strip_comment(tail[-1], comments).strip() or len(rows) < 3:
        return
    last, before = rows[-1], rows[-_TAIL_LINES - 1:-1]
    widths = {len(r) for r in before}
    if len(widths) != 1:
        return
    width = widths.pop()
    problem = None
    if len(last) != width:
        problem = f"it has {len(last)} column(s) where the lines before it have {width}"
    else:
        for j, token in enumerate(last):
            usual = {_decimals(r[j]) for r in before}
            if usual == {-1} and _decimals(token) == -1:  # integers: fewer digits than every line before
                fewest = min(sum(c.isdigit() for c in r[j]) for r in before)
                if sum(c.isdigit() for c in token) < fewest:
                    problem = (f"its value {token!r} in column {j} has fewer digits than any of the "
                               f"{len(before)} lines before it (at least {fewest})")
                    break
                continue
            if len(usual) == 1 and -2 not in usual and _decimals(token) != next(iter(usual)):
                want = next(iter(usual))
                problem = (f"its value {token!r} in column {j} has "
                           f"{'no decimal point' if _decimals(token) < 0 else f'{_decimals(token)} decimal(s)'}"
                           f" where the lines before it have {'none' if want < 0 else want}")
                break
    if problem:
        raise SpectraFileError(
            f"looks truncated: the file does not end with a line break and {problem}. "
            "Copy the file again (an interrupted transfer?) or delete the incomplete last line",
            path, len(_split_lines(text)),
        )


def _parse_careful(path, text, skip_header, comments, delimiter, ax_col, y_col, need):
    lines = pd.Series(_split_lines(text), dtype=object)
    lines.index = np.arange(1, len(lines) + 1)  # 1-based line numbers
    if len(lines) == 0 or not lines.str.strip().any():
        raise SpectraFileError("is empty (no data lines)", path)
    comment_re = _comment_pattern(comments) if comments else None

    if skip_header is not None:
        skip_header = int(skip_header)
        lines = lines.iloc[skip_header:]
        if lines.empty or not lines.str.strip().any():
            raise SpectraFileError(f"has no data lines after the {skip_header} header lines", path)
    body = lines.str.replace(comment_re, "", regex=True) if comments else lines
    raw = body.str.rstrip()
    stripped = raw.str.strip()
    raw = raw[stripped != ""]
    stripped = stripped[stripped != ""]
    if stripped.empty:
        raise SpectraFileError(
            "contains no data lines" + (f" after the {skip_header} header lines" if skip_header else ""),
            path,
        )

    if delimiter is None:
        # "4,729.0" in a whitespace-separated file: a thousands separator (or a decimal comma
        # beside decimal points). Splitting it at the comma would read 4; refuse instead.
        ambiguous = (
            stripped.str.contains(r"[^\s,;]\s+[^\s,;]") & stripped.str.contains(r"\d,\d")
            & stripped.str.contains(".", regex=False)
        ).to_numpy()
        if ambiguous.any():
            i = int(np.argmax(ambiguous))
            raise SpectraFileError(
                f"ambiguous number in {stripped.iloc[i][:60]!r}: a comma inside a whitespace-separated "
                "column beside decimal points (a thousands separator such as 4,729.0?). Write plain "
                "numbers (4729.0); spectra_zoo does not guess number formats",
                path, int(stripped.index[i]),
            )
    # Decimal commas ("1,5;3,2" or "1,5\t3,2"): use ';'/whitespace as the separator.
    if delimiter is None:
        first = stripped.iloc[min(len(stripped) - 1, len(stripped) // 2)]
        if ";" in first and "," in first:
            delimiter, stripped = ";", stripped.str.replace(",", ".", regex=False)
        elif re.fullmatch(r"\s*-?\d+,\d+([\s]+-?\d+,\d+)+\s*", first):
            stripped = stripped.str.replace(",", ".", regex=False)
            raw = raw.str.replace(",", ".", regex=False)

    long_lines = np.flatnonzero(stripped.str.len().to_numpy() > 2 * MAX_COLUMNS)
    if long_lines.size:  # count the columns of the long lines only
        sep = r"[\s,;]+" if delimiter is None else re.escape(delimiter)
        widths = stripped.iloc[long_lines].str.count(sep).to_numpy() + 1
        if (widths > MAX_COLUMNS).any():
            i = int(long_lines[np.argmax(widths > MAX_COLUMNS)])
            raise SpectraFileError(
                f"has {int(widths.max()):,} columns on one line; a spectrum file has one point per line "
                f"(axis, intensity, ...), at most {MAX_COLUMNS} columns",
                path, int(stripped.index[i]),
            )
    tokens = _split_tokens(stripped, delimiter)
    n_tok = tokens.notna().sum(axis=1).to_numpy()
    flat = pd.Series(tokens.to_numpy(dtype=object).ravel()).fillna("0")
    _, bad = _to_numbers(flat)  # every token at once
    bad = bad.reshape(tokens.shape)
    has_text = bad.any(axis=1)
    all_numeric = ~has_text  # no text token on the line

    if skip_header is None:
        good = all_numeric & (n_tok >= need)
        if not good.any():
            if all_numeric.all() and (n_tok < need).all():
                raise SpectraFileError(
                    f"has only {int(n_tok.max())} column(s) of numbers; need {need} "
                    f"(axis column {ax_col}, intensity column {y_col})",
                    path,
                    int(stripped.index[0]),
                )
            raise SpectraFileError(
                f"no line with {need} numeric columns found (first line: {stripped.iloc[0][:60]!r})",
                path,
                int(stripped.index[0]),
            )
        start = int(np.argmax(good))
        if start > 0 and _looks_damaged([t for t in tokens.iloc[start - 1] if t is not None], int(n_tok[start])):
            j = int(np.argmax(bad[start - 1]))
            raise SpectraFileError(
                f"text {tokens.iloc[start - 1, j]!r} in numeric column {j} of what looks like the first data "
                f"line: {stripped.iloc[start - 1][:60]!r} (a damaged number, not a header)",
                path, int(stripped.index[start - 1]),
            )
        keep = slice(start, None)
        raw, stripped, tokens = raw.iloc[keep], stripped.iloc[keep], tokens.iloc[keep]
        n_tok, all_numeric = n_tok[keep], all_numeric[keep]

    short = n_tok < need
    if short.any():
        fixed = None
        if delimiter is None and need == 2 and all_numeric[short].all() and (n_tok[short] == 1).all():
            fixed = _fixed_width_fix(raw, tokens, short)
        if fixed is None:
            i = int(np.argmax(short))
            if short.all():
                msg = (
                    f"has only {int(n_tok.max())} column(s); need {need} "
                    f"(axis column {ax_col}, intensity column {y_col})"
                )
            else:
                msg = f"has {int(n_tok[i])} column(s) where {need} are needed: {stripped.iloc[i][:60]!r}"
            raise SpectraFileError(msg, path, int(stripped.index[i]))
        tokens = fixed
        n_tok = np.where(short, need, n_tok)
    if n_tok.size and (n_tok != n_tok[0]).any():
        counts, freq = np.unique(n_tok, return_counts=True)
        usual = int(counts[np.argmax(freq)])
        i = int(np.argmax(n_tok != usual))
        raise SpectraFileError(
            f"has {int(n_tok[i])} columns on this line where the other lines have {usual}: "
            f"{stripped.iloc[i][:60]!r} (a thousands separator written as a space, or a damaged line?)",
            path, int(stripped.index[i]),
        )

    values = []
    for c in (ax_col, y_col):
        col = tokens.iloc[:, c].astype(object)
        vals, bad = _to_numbers(col)
        if bad.any():
            i = int(np.argmax(bad))
            hint = ""
            if _MSVC_SPECIAL.search(str(col.iloc[i])):
                hint = " (a Windows spelling of infinity or NaN: the value is missing)"
            raise SpectraFileError(
                f"text {col.iloc[i]!r} in numeric column {c}{hint} (line: {stripped.iloc[i][:60]!r})",
                path,
                int(stripped.index[i]),
            )
        values.append(vals)
    axis, intensity = values
    line_no = stripped.index.to_numpy()

    finite = np.isfinite(axis) & np.isfinite(intensity)
    if not finite.all():
        i = int(np.argmax(~finite))
        raise SpectraFileError(
            f"NaN or infinite value: {stripped.iloc[i][:60]!r}", path, int(line_no[i])
        )
    if axis.size < 2:
        raise SpectraFileError(f"has {axis.size} data point(s); a spectrum needs at least 2", path)
    step = np.diff(axis)
    if (step == 0).any():
        i = int(np.argmax(step == 0)) + 1
        raise SpectraFileError(
            f"duplicate axis value {axis[i]:g} (also on line {int(line_no[i - 1])})", path, int(line_no[i])
        )
    if (step < 0).all():
        axis, intensity = axis[::-1].copy(), intensity[::-1].copy()
    elif (step < 0).any():
        direction = step[0] > 0
        i = int(np.argmax((step > 0) != direction)) + 1
        raise SpectraFileError(
            f"axis is not monotonic: {axis[i - 1]:g} is followed by {axis[i]:g}", path, int(line_no[i])
        )
    return axis, intensity


# ---------------------------------------------------------------------------- common grid
def _step_over(axis: np.ndarray, lo: float, hi: float) -> float:
    inside = axis[(axis >= lo) & (axis <= hi)]
    if inside.size < 2:
        return float(np.median(np.diff(axis)))
    return float(np.median(np.diff(inside)))


def _assemble(records, axis=None, axis_range=None, n_points=None, step=None, on_uncovered="raise",
              where="files"):
    """Put ``records`` (list of ``(source, axis, intensity)``) on one grid.

    Returns ``(grid, matrix (n, points), kept_index, notes)``; ``notes`` lists what was done.
    """
    if on_uncovered not in ("raise", "drop"):
        raise SpectraInputError(f"on_uncovered must be 'raise' or 'drop'; got {on_uncovered!r}.")
    if sum(v is not None for v in (axis, n_points, step)) > 1:
        raise SpectraInputError("give at most one of axis, n_points and step.")
    starts = np.array([r[1][0] for r in records])
    ends = np.array([r[1][-1] for r in records])
    identical = all(
        r[1].size == records[0][1].size and np.array_equal(r[1], records[0][1]) for r in records
    )

    if axis is not None:
        grid = np.asarray(axis, dtype=np.float64)
        if grid.size > MAX_GRID_POINTS:
            raise SpectraInputError(f"axis has {grid.size:,} points; the limit is {MAX_GRID_POINTS:,}.")
        if grid.ndim != 1 or grid.size < 2 or not np.isfinite(grid).all() or (np.diff(grid) <= 0).any():
            raise SpectraInputError("axis must be a finite, strictly increasing 1-D array of >= 2 points.")
        lo, hi = float(grid[0]), float(grid[-1])
    elif axis_range is not None:
        lo, hi = (float(v) for v in axis_range)
        if not lo < hi:
            raise SpectraInputError(f"axis_range must be (lo, hi) with lo < hi; got {axis_range!r}.")
        grid = None
    else:
        grid = None
        lo, hi = _automatic_range(records, starts, ends, on_uncovered, where)
        if not lo < hi:
            listing = "; ".join(f"{r[0]} ({r[1][0]:g} to {r[1][-1]:g})" for r in records)
            raise SpectraFileError(
                f"the {where} share no common axis range (latest start {lo:g} > earliest end "
                f"{hi:g}); pass axis_range=(lo, hi) with on_uncovered='drop'. Ranges: {listing}"
            )

    tol = np.array([_axis_tolerance(r[1]) for r in records])
    covered = (starts <= lo + tol) & (ends >= hi - tol)
    notes = []
    if not covered.all():
        bad = [f"{records[i][0]} ({starts[i]:g} to {ends[i]:g})" for i in np.flatnonzero(~covered)]
        listing = "; ".join(bad)
        if on_uncovered == "raise" or covered.sum() == 0:
            raise SpectraFileError(
                f"{len(bad)} of {len(records)} {where} do not cover the axis range {lo:g} to {hi:g}: "
                f"{listing}. Pass on_uncovered='drop' to leave them out, or choose a narrower axis_range."
            )
        notes.append(f"dropped {len(bad)} {where} not covering {lo:g} to {hi:g}: {listing}")
        warnings.warn(notes[-1], UserWarning, stacklevel=3)
    kept = np.flatnonzero(covered)

    if identical and axis is None and n_points is None and step is None:
        ref = records[0][1]
        inside = (ref >= lo - tol[0]) & (ref <= hi + tol[0])
        if axis_range is None:
            inside[:] = True
        if inside.sum() < 2:
            raise SpectraFileError(f"fewer than 2 points of the {where} fall in {lo:g} to {hi:g}")
        matrix = np.stack([records[i][2][inside] for i in kept])
        grid = ref[inside]
        notes.append(f"identical grids, no interpolation: {grid[0]:g} to {grid[-1]:g}, {grid.size} points")
        return grid, matrix, kept, notes

    if grid is None:
        if n_points is None:
            automatic = step is None
            if automatic:
                step = min(_step_over(records[i][1], lo, hi) for i in kept)
            step = float(step)
            if not step > 0:
                raise SpectraInputError(f"step must be > 0; got {step}.")
            n_points = int(np.floor((hi - lo) / step + 1e-6)) + 1
            if automatic and n_points > MAX_AUTO_POINTS:
                n_points = MAX_AUTO_POINTS
                notes.append(f"automatic grid capped at {MAX_AUTO_POINTS} points")
        n_points = int(n_points)
        if n_points < 2:
            raise SpectraInputError(f"the common grid needs at least 2 points; got {n_points}.")
        if n_points > MAX_GRID_POINTS:
            raise SpectraInputError(
                f"the common grid from {lo:g} to {hi:g} would need {n_points:,} points "
                f"({n_points * 8 * len(kept) / 2**30:.3g} GiB for {len(kept)} spectra); the limit is "
                f"{MAX_GRID_POINTS:,}. Choose a larger step or fewer points."
            )
        grid = np.linspace(lo, hi, n_points)
    matrix = np.stack(
        [np.interp(grid, records[i][1], records[i][2]) for i in kept]  # per-file loop, vectorised inside
    )
    notes.append(f"linear interpolation onto {grid[0]:g} to {grid[-1]:g}, {grid.size} points")
    return grid, matrix, kept, notes


def _automatic_range(records, starts, ends, on_uncovered, where):
    """The overlap of the records, refusing (or leaving out) those that would narrow it.

    Most records cover at least ``median(starts)`` to ``median(ends)``; a record starting
    later or ending earlier than that by more than its own step would shrink the grid of
    all the others (one truncated file turned 10-50 degrees into 13.75-14.4). With
    ``on_uncovered="raise"`` those records are named in the error; with ``"drop"`` the
    range is the overlap of the others and the coverage check drops (and names) them.
    """
    if not starts.max() < ends.min():
        return float(starts.max()), float(ends.min())  # no overlap at all: the caller says so
    typical_lo, typical_hi = float(np.median(starts)), float(np.median(ends))
    slack = np.array([max(_axis_tolerance(r[1]), float(np.median(np.diff(r[1])))) for r in records])
    narrowing = (starts > typical_lo + slack) | (ends < typical_hi - slack)
    if not narrowing.any():
        return float(starts.max()), float(ends.min())
    listing = "; ".join(f"{records[i][0]} ({starts[i]:g} to {ends[i]:g})" for i in np.flatnonzero(narrowing))
    if on_uncovered == "raise" or narrowing.all():
        raise SpectraFileError(
            f"{int(narrowing.sum())} of {len(records)} {where} would narrow the common axis range to "
            f"{starts.max():g} to {ends.min():g} (most {where} cover {typical_lo:g} to {typical_hi:g}): "
            f"{listing}. Pass axis_range=(lo, hi) to choose the range, or on_uncovered='drop' to leave "
            f"them out."
        )
    return float(starts[~narrowing].max()), float(ends[~narrowing].min())


# ---------------------------------------------------------------------------- folders
def _listing(folder: Path):
    """``folder.iterdir()`` as a list; an unreadable folder raises SpectraFileError naming it."""
    try:
        return list(folder.iterdir())
    except OSError as exc:
        raise SpectraFileError(f"cannot be listed: {exc.strerror or exc}", folder) from exc


def _spectrum_files(folder: Path, pattern, recursive: bool):
    """Spectrum files in ``folder`` (natural order), hidden entries left out.

    Everything but folders is listed, so a FIFO or a device named like a spectrum is
    refused by the reader (naming it) rather than skipped in silence.
    """
    if pattern is not None:
        try:
            found = list(folder.rglob(pattern) if recursive else folder.glob(pattern))
        except OSError as exc:
            raise SpectraFileError(f"cannot be listed: {exc.strerror or exc}", folder) from exc
    else:
        found, todo = [], [folder]
        while todo:  # breadth-first over the folders (only ``folder`` itself unless recursive)
            here = todo.pop()
            for p in _listing(here):
                if p.name.startswith("."):
                    continue
                if p.is_dir():
                    if recursive and not p.is_symlink():  # no loops through linked folders
                        todo.append(p)
                elif p.suffix.lower() in SPECTRUM_EXTENSIONS:
                    found.append(p)
    files = [
        p for p in found
        if not p.is_dir() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(files, key=lambda p: natural_sort_key(p.relative_to(folder).as_posix()))


def load_folder(path, pattern=None, labels="auto", axis=None, axis_range=None, n_points=None,
                step=None, skip_header=None, on_uncovered="raise", recursive=False, axis_unit="2theta_deg",
                name=None, **read_kwargs) -> SpectraSet:
    """Read a folder of spectrum files, or a folder of class sub-folders, into one SpectraSet.

    Files are taken in natural order (``_0002`` before ``_0010``); names may contain
    spaces and ``%``. With class sub-folders the sub-folder name is the class
    (``class_names`` sorted, labels are their indices). All spectra are put on one grid:

    * ``axis`` given: interpolated onto it.
    * otherwise the overlap of all files (latest start to earliest end), or exactly
      ``axis_range`` when given, with ``n_points`` points, or a step of ``step``, or by
      default the finest median step among the files over that range (at most
      ``MAX_AUTO_POINTS`` points).
    * all files on one identical grid (and no axis/n_points/step): no interpolation,
      only cropping to ``axis_range``.

    Values are never padded or extrapolated: files that do not cover the grid raise one
    error listing them all with their ranges (``on_uncovered="raise"``), or are dropped
    with a warning that lists them (``"drop"``, also recorded in ``preprocessing``).
    Without ``axis`` and ``axis_range`` the same holds for files that would narrow the
    overlap: a file starting later or ending earlier (by more than its step) than the
    median file is named in the error, or dropped with a warning under ``"drop"``.
    Sub-folders without spectrum files beside class sub-folders are named in a warning.

    Args:
        path: The folder (read only; nothing is written).
        pattern: Glob for the files (e.g. ``"*.xy"``); default: the extensions in
            ``SPECTRUM_EXTENSIONS``.
        labels: ``"auto"`` (class sub-folders if there are any, else unlabelled),
            ``"folders"`` (require class sub-folders), ``None`` (unlabelled), or a
            sequence with one label (int or class name) per file in natural order.
        axis: Target axis ``(points,)``.
        axis_range: ``(lo, hi)`` of the grid.
        n_points: Points of the inferred grid.
        step: Step of the inferred grid.
        skip_header: Passed to :func:`read_spectrum_file`.
        on_uncovered: ``"raise"`` or ``"drop"``.
        recursive: Also read files in nested folders (inside each class folder when
            there are class folders).
        axis_unit: Unit recorded in the set.
        name: Name of the set (default: the folder name).
        **read_kwargs: Further arguments of :func:`read_spectrum_file`
            (``comments``, ``delimiter``, ``columns``).

    Returns:
        SpectraSet with ``metadata`` columns ``source`` (path relative to the folder),
        ``axis_min``, ``axis_max``, ``n_raw_points`` (and ``class`` with sub-folders), and
        ``order`` = position of each file in natural order.

    Raises:
        SpectraFileError: missing or empty folder, unreadable files, uncovered files.

    Example:
        >>> from spectra_zoo.data import load_folder
        >>> s = load_folder("Datasets/Experimental", axis_range=(10, 50),
        ...                 on_uncovered="drop")  # doctest: +SKIP
    """
    folder = Path(os.fspath(path))
    if not folder.is_dir():
        raise SpectraFileError("is not a folder", folder)
    looked_for = pattern if pattern is not None else ", ".join(SPECTRUM_EXTENSIONS)

    mode = labels if (labels is None or isinstance(labels, str)) else "given"
    if mode not in (None, "auto", "folders", "given"):
        raise SpectraInputError(f"labels must be 'auto', 'folders', None or a sequence; got {labels!r}.")
    class_dirs = []
    if mode in ("auto", "folders"):
        sub_dirs = sorted(d for d in _listing(folder) if d.is_dir() and not d.name.startswith("."))
        class_dirs = [d for d in sub_dirs if _spectrum_files(d, pattern, recursive)]
        if mode == "folders" and not class_dirs:
            raise SpectraFileError(
                f"has no class sub-folders containing spectrum files ({looked_for})", folder
            )
        empty = [d for d in sub_dirs if d not in class_dirs]
        if class_dirs and empty:  # every folder found is a class or is named here
            nested = [d.name for d in empty if not recursive and _spectrum_files(d, pattern, True)]
            warnings.warn(
                f"{folder}: {len(empty)} sub-folder(s) hold no spectrum files ({looked_for}) and are not "
                f"classes: {', '.join(d.name for d in empty)}"
                + (f"; {', '.join(nested)} hold(s) them in nested folders (pass recursive=True to read "
                   "those)" if nested else "")
                + f". The classes are {', '.join(d.name for d in class_dirs)} (labels 0 to {len(class_dirs) - 1}).",
                UserWarning,
                stacklevel=2,
            )

    class_names, file_labels = None, None
    if class_dirs:
        class_names = [d.name for d in sorted(class_dirs, key=lambda d: d.name)]
        files, file_labels = [], []
        for k, d in enumerate(sorted(class_dirs, key=lambda d: d.name)):
            found = _spectrum_files(d, pattern, recursive)
            files += found
            file_labels += [k] * len(found)
        loose = _spectrum_files(folder, pattern, False)
        if loose:
            warnings.warn(
                f"{folder}: ignoring {len(loose)} file(s) beside the class sub-folders: "
                + ", ".join(p.name for p in loose[:5]) + (" ..." if len(loose) > 5 else ""),
                UserWarning,
                stacklevel=2,
            )
    else:
        files = _spectrum_files(folder, pattern, recursive)
    if not files:
        raise SpectraFileError(f"contains no spectrum files (looked for {looked_for})", folder)

    if mode == "given":
        given = list(labels)
        if len(given) != len(files):
            raise SpectraInputError(
                f"labels has {len(given)} entries but {folder} holds {len(files)} spectrum files."
            )
        file_labels = given

    records = []
    for f in files:
        ax, y = read_spectrum_file(f, skip_header=skip_header, **read_kwargs)
        records.append((f.relative_to(folder).as_posix(), ax, y))

    grid, matrix, kept, notes = _assemble(
        records, axis=axis, axis_range=axis_range, n_points=n_points, step=step,
        on_uncovered=on_uncovered, where="files",
    )
    meta = pd.DataFrame(
        {
            "source": [records[i][0] for i in kept],
            "axis_min": [float(records[i][1][0]) for i in kept],
            "axis_max": [float(records[i][1][-1]) for i in kept],
            "n_raw_points": [int(records[i][1].size) for i in kept],
        }
    )
    if class_names is not None and mode != "given":
        meta["class"] = [class_names[file_labels[i]] for i in kept]
    done = [f"read {len(records)} files from {folder}"] + notes
    return SpectraSet(
        axis=grid,
        intensities=matrix,
        labels=None if file_labels is None else [file_labels[i] for i in kept],
        class_names=class_names,
        axis_unit=axis_unit,
        order=kept,
        metadata=meta,
        name=name or folder.name,
        preprocessing="; ".join(done),
    )


# ---------------------------------------------------------------------------- CSV
def _numeric_frame(df: pd.DataFrame, path, lines_of: np.ndarray, what="cell") -> np.ndarray:
    """Convert a frame of strings to float64; text raises with file + line (``lines_of[row]``)."""
    out = np.empty(df.shape, dtype=np.float64)
    for j, c in enumerate(df.columns):
        col = df.iloc[:, j].astype(object)
        col = col.where(col.notna(), "nan").astype(str).reset_index(drop=True)
        vals, bad = _to_numbers(col)
        if bad.any():
            i = int(np.argmax(bad))
            raise SpectraFileError(
                f"text {col.iloc[i]!r} in numeric {what} (column {c!r})", path, int(lines_of[i])
            )
        out[:, j] = vals
    return out


def _sniff_sep(head: str, delimiter):
    if delimiter is not None:
        return delimiter
    for sep in (",", ";", "\t"):
        if sep in head:
            return sep
    return r"\s+"


def load_csv(path, layout="rows", axis=None, label_column=None, id_column="spectrum",
             axis_column="axis", intensity_column="intensity", class_names=None, delimiter=None,
             comments="#", axis_unit="2theta_deg", name=None, **grid_kwargs) -> SpectraSet:
    """Read spectra from a CSV table.

    Layouts:

    * ``"rows"``: one spectrum per row; the header row holds the axis values; extra
      non-numeric header columns are metadata, ``label_column`` holds the labels. A file
      whose first line is two numbers has no header: it is read as one two-column
      spectrum (axis, intensity) with :func:`read_spectrum_file`.
    * ``"columns"``: first column = axis, every other column one spectrum (header = names,
      kept as ``metadata["source"]``).
    * ``"long"``: one point per row with columns ``id_column``, ``axis_column``,
      ``intensity_column`` (and ``label_column``). Spectra on different axes are put on a
      common grid like :func:`load_folder` (``grid_kwargs``: ``axis_range``, ``n_points``,
      ``step``, ``on_uncovered``).

    Args:
        path: The CSV file.
        layout: ``"rows"``, ``"columns"`` or ``"long"``.
        axis: Axis to use instead of the header (``"rows"`` without numeric headers);
            for ``"long"`` the target grid.
        label_column: Column with labels (int or class names).
        id_column, axis_column, intensity_column: Column names of the long layout.
        class_names: Class names for integer labels.
        delimiter: Separator; detected from the first line when ``None``.
        comments: Lines starting with this are skipped at the top of the file.
        axis_unit: Unit recorded in the set.
        name: Name of the set (default: file stem).

    Returns:
        SpectraSet with ``metadata["source"]``.

    Raises:
        SpectraFileError: text in numeric cells (file + line), missing columns, bad
            axis, empty or NaN label cells (their lines are listed).

    Example:
        >>> from spectra_zoo.data import load_csv
        >>> s = load_csv("spectra.csv", layout="rows", label_column="phase")  # doctest: +SKIP
    """
    path = Path(os.fspath(path))
    if not path.exists():
        raise SpectraFileError("does not exist", path)
    if layout not in ("rows", "columns", "long"):
        raise SpectraInputError(f"layout must be 'rows', 'columns' or 'long'; got {layout!r}.")
    unknown = set(grid_kwargs) - {"axis_range", "n_points", "step", "on_uncovered"}
    if unknown:
        raise TypeError(f"load_csv got unexpected arguments {sorted(unknown)}")
    if grid_kwargs and layout != "long":
        raise SpectraInputError(
            f"{sorted(grid_kwargs)} apply to layout='long' only; crop or resample the SpectraSet instead."
        )
    text = _read_text(path)
    all_lines = _split_lines(text)
    skip = 0
    while skip < len(all_lines) and (
        not all_lines[skip].strip() or (comments and all_lines[skip].lstrip().startswith(comments))
    ):
        skip += 1
    if skip >= len(all_lines):
        raise SpectraFileError("has no header row and no data", path)
    sep = _sniff_sep(all_lines[skip], delimiter)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.StringIO(text), sep=sep, skiprows=skip, header=None, dtype=str,
                skip_blank_lines=False, engine="python" if sep == r"\s+" else "c",
                keep_default_na=False, index_col=False,
            )
    except (pd.errors.ParserWarning, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        pattern = sep if len(sep) > 1 else re.escape(sep)
        width = len(re.split(pattern, all_lines[skip].strip()))
        for k in range(skip + 1, len(all_lines)):  # error path only: find the long row
            fields = len(re.split(pattern, all_lines[k].strip()))
            if all_lines[k].strip() and fields > width:
                raise SpectraFileError(
                    f"row has {fields} fields but the header has {width}", path, k + 1
                ) from None
        raise SpectraFileError(f"cannot be parsed as CSV: {exc}", path) from exc
    names = ["" if pd.isna(c) else str(c).strip() for c in df.iloc[0]]
    if layout == "rows" and axis is None and label_column is None and len(names) == 2 and all(
        _is_number(c) for c in names
    ):
        # Two numbers on the first line: a headerless two-column spectrum (axis, intensity),
        # not a table of 2-point spectra with the first spectrum as its header.
        ax, y = read_spectrum_file(path, comments=comments, delimiter=None if sep == r"\s+" else sep)
        return _single_spectrum(path, ax, y, axis_unit, name)
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise SpectraFileError(f"header repeats column name(s) {duplicated}", path, skip + 1)
    df = df.iloc[1:]
    df.columns = names
    df.index = np.arange(len(df))
    first_line = skip + 2  # 1-based line of the first data row
    if len(df):
        blank = df.fillna("").apply(lambda col: col.astype(str).str.strip().eq("")).all(axis=1)
        df = df[~blank.to_numpy()]
    lines_of = df.index.to_numpy() + first_line
    if df.empty:
        raise SpectraFileError("has no data rows", path)

    def numeric(frame, rows=lines_of):
        return _numeric_frame(frame, path, rows)

    labels, meta = None, pd.DataFrame(index=range(len(df)))
    if label_column is not None:
        if label_column not in df.columns:
            raise SpectraFileError(f"has no label column {label_column!r}; columns: {list(df.columns)[:10]}", path)
        lab = df[label_column].str.strip().reset_index(drop=True)
        missing = (lab.isna() | lab.eq("") | lab.str.casefold().isin(_NAN_TOKENS)).to_numpy()
        if missing.any():
            rows = lines_of[missing]
            raise SpectraFileError(
                f"label column {label_column!r} is empty or NaN on {missing.sum()} line(s): lines "
                + ", ".join(str(int(r)) for r in rows[:20]) + (" ..." if rows.size > 20 else "")
                + ". Fill in the labels or remove those rows",
                path,
            )
        as_num = pd.to_numeric(lab, errors="coerce")
        labels = as_num.to_numpy() if as_num.notna().all() else lab.to_numpy(dtype=str)

    if layout == "rows":
        rest = [c for c in df.columns if c != label_column]
        header_vals = pd.to_numeric(pd.Series(rest, dtype=object), errors="coerce")
        num_cols = [c for c, v in zip(rest, header_vals) if not np.isnan(v)]
        if axis is not None:
            data_cols = num_cols if num_cols else rest
            grid = np.asarray(axis, dtype=np.float64)
        elif num_cols:
            data_cols = num_cols
            grid = header_vals.dropna().to_numpy(dtype=np.float64)
        else:
            raise SpectraFileError(
                "header row holds no numeric axis values; pass axis=... or use layout='columns'/'long'",
                path, skip + 1,
            )
        for c in rest:
            if c not in data_cols:
                meta[c] = df[c].reset_index(drop=True).to_numpy()
        values = numeric(df[data_cols])
        if grid.size != values.shape[1]:
            raise SpectraFileError(
                f"has {values.shape[1]} intensity columns but axis has {grid.size} values", path
            )
        meta.insert(0, "source", [f"{path.name}:{int(n)}" for n in lines_of])
        records = None
    elif layout == "columns":
        grid = numeric(df.iloc[:, [0]])[:, 0]
        values = numeric(df.iloc[:, 1:]).T  # (spectra, points); point j is on line lines_of[j]
        if values.shape[0] == 0:
            raise SpectraFileError("has only an axis column, no spectra", path)
        meta = pd.DataFrame({"source": [f"{path.name}:{c}" for c in df.columns[1:]]})
        if labels is not None:
            raise SpectraInputError("label_column does not apply to layout='columns'.")
        records = None
    else:
        missing = [c for c in (id_column, axis_column, intensity_column) if c not in df.columns]
        if missing:
            raise SpectraFileError(
                f"long layout needs columns {missing}; the file has {list(df.columns)}", path, skip + 1
            )
        nums = numeric(df[[axis_column, intensity_column]])
        ids = df[id_column].str.strip().to_numpy()
        order_ids = pd.unique(ids)
        records, long_labels = [], []
        lab_series = None if labels is None else pd.Series(labels)
        for sid in order_ids:  # per-spectrum loop; points handled as arrays
            rows = np.flatnonzero(ids == sid)
            a, y = nums[rows, 0], nums[rows, 1]
            srt = np.argsort(a, kind="stable")
            a, y = a[srt], y[srt]
            if a.size < 2:
                raise SpectraFileError(f"spectrum {sid!r} has {a.size} point(s)", path, int(lines_of[rows[0]]))
            if (np.diff(a) == 0).any():
                dup = rows[srt][int(np.argmax(np.diff(a) == 0)) + 1]
                raise SpectraFileError(f"spectrum {sid!r} has a duplicate axis value", path, int(lines_of[dup]))
            if not np.isfinite(a).all() or not np.isfinite(y).all():
                bad = rows[srt][int(np.argmax(~(np.isfinite(a) & np.isfinite(y))))]
                raise SpectraFileError(f"NaN or infinite value in spectrum {sid!r}", path, int(lines_of[bad]))
            records.append((f"{path.name}:{sid}", a, y))
            if lab_series is not None:
                labs = lab_series.iloc[rows].unique()
                if len(labs) != 1:
                    raise SpectraFileError(f"spectrum {sid!r} has several labels {list(labs)}", path)
                long_labels.append(labs[0])
        grid, values, kept, _ = _assemble(records, axis=axis, where="spectra", **grid_kwargs)
        meta = pd.DataFrame({"source": [records[i][0] for i in kept]})
        if labels is not None:
            labels = np.asarray(long_labels)[kept]

    if records is None:
        finite = np.isfinite(values)
        if not finite.all():
            spectrum, point = np.argwhere(~finite)[0]
            line = int(lines_of[spectrum]) if layout == "rows" else int(lines_of[point])
            raise SpectraFileError("NaN, infinite or empty value", path, line)
        if layout == "columns" and not np.isfinite(grid).all():
            raise SpectraFileError("NaN or infinite axis value", path, int(lines_of[np.argmax(~np.isfinite(grid))]))
        if grid.size >= 2 and (np.diff(grid) < 0).all():
            grid, values = grid[::-1], values[:, ::-1]
        if grid.size >= 2 and (np.diff(grid) <= 0).any():
            i = int(np.argmax(np.diff(grid) <= 0)) + 1
            line = int(lines_of[i]) if layout == "columns" else skip + 1
            raise SpectraFileError(f"axis is not strictly increasing at value {grid[i]:g}", path, line)
    return SpectraSet(
        axis=grid, intensities=values, labels=labels, class_names=class_names, axis_unit=axis_unit,
        order=np.arange(len(values)), metadata=meta, name=name or path.stem,
        preprocessing=f"read {path.name} (csv, layout={layout})",
    )


# ---------------------------------------------------------------------------- HDF5 / npz
def _h5_datasets(handle) -> list:
    import h5py

    found = []
    handle.visititems(lambda n, obj: found.append("/" + n) if isinstance(obj, h5py.Dataset) else None)
    return found


def _h5_get(handle, key, path, what):
    import h5py

    if key in handle:
        try:
            obj = handle[key]
        except KeyError as exc:  # a soft or external link to nothing
            link = handle.get(key, getlink=True)
            target = (f"{link.filename}:{link.path}" if isinstance(link, h5py.ExternalLink)
                      else getattr(link, "path", "?"))
            raise SpectraFileError(f"{key!r} ({what}) is a broken link to {target}: {exc}", path) from exc
        if isinstance(obj, h5py.Dataset):
            _h5_check_stored(obj, key, path, what)
            return obj[()]
    available = _h5_datasets(handle)
    raise SpectraFileError(
        f"has no dataset {key!r} for {what}; available datasets: {', '.join(available) or 'none'}", path
    )


def _h5_check_stored(dset, key, path, what):
    """Refuse datasets whose values are not in the file: h5py would return fill values."""
    if dset.size == 0:
        raise SpectraFileError(f"dataset {key!r} ({what}) has no spectra: shape {dset.shape}", path)
    if dset.is_virtual:
        folder = Path(dset.file.filename).parent
        missing = sorted({vs.file_name for vs in dset.virtual_sources()
                          if vs.file_name != "." and not (folder / vs.file_name).is_file()
                          and not Path(vs.file_name).is_file()})
        if missing:
            raise SpectraFileError(
                f"virtual dataset {key!r} ({what}) maps source file(s) that do not exist: {', '.join(missing)}; "
                "h5py would return fill values for them", path,
            )
    elif dset.external is None and dset.id.get_storage_size() == 0:
        raise SpectraFileError(
            f"dataset {key!r} ({what}) was created but never written (no values stored; h5py would "
            "return its fill value)", path,
        )


def load_hdf5(path, dataset, axis=None, labels=None, class_names=None, axis_unit=None,
              name=None) -> SpectraSet:
    """Read spectra from an HDF5 / NeXus file (h5py).

    Args:
        path: The file.
        dataset: Path of the intensity dataset inside the file, e.g.
            ``"/entry/data/intensities"``; shape ``(n, points)`` (1-D = one spectrum,
            more dimensions are flattened to ``(prod(leading), points)``).
        axis: Dataset path or array ``(points,)``; default: point index
            (``axis_unit="index"``).
        labels: Dataset path or array ``(n,)``.
        class_names: Sequence of names or a dataset path of strings.
        axis_unit: Unit; default ``"2theta_deg"`` with an axis, ``"index"`` without,
            or the ``units`` attribute of the axis dataset.
        name: Name of the set (default: file stem).

    Returns:
        SpectraSet with ``metadata["source"]`` = ``"file:dataset[i]"``.

    Raises:
        SpectraFileError: missing file or dataset (the message lists the datasets that
            exist), wrong shapes.

    Example:
        >>> from spectra_zoo.data import load_hdf5
        >>> s = load_hdf5("scan.h5", "/entry/data/intensities", axis="/entry/data/two_theta")  # doctest: +SKIP
    """
    import h5py

    path = Path(os.fspath(path))
    if not path.is_file():
        raise SpectraFileError("does not exist or is not a file", path)
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise SpectraFileError(f"is not a readable HDF5 file: {exc}", path) from exc
    with handle:
        data = np.asarray(_h5_get(handle, dataset, path, "the intensities"))
        unit = axis_unit
        if isinstance(axis, str):
            ax_key = axis
            axis = np.asarray(_h5_get(handle, ax_key, path, "the axis"), dtype=np.float64)
            if unit is None and "units" in handle[ax_key].attrs:
                u = handle[ax_key].attrs["units"]
                unit = u.decode() if isinstance(u, bytes) else str(u)
        if isinstance(labels, str):
            labels = np.asarray(_h5_get(handle, labels, path, "the labels"))
            if labels.dtype.kind in "SO":
                labels = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in labels])
        if isinstance(class_names, str):
            cn = np.asarray(_h5_get(handle, class_names, path, "the class names")).ravel()
            class_names = [v.decode() if isinstance(v, bytes) else str(v) for v in cn]
    if data.dtype.kind not in "biuf":
        raise SpectraFileError(f"dataset {dataset!r} is not numeric (dtype {data.dtype})", path)
    if data.ndim == 0:
        raise SpectraFileError(f"dataset {dataset!r} is a scalar, not spectra", path)
    shape = data.shape
    data = data.reshape(-1, shape[-1]) if data.ndim != 1 else data[None, :]
    if axis is None:
        axis = np.arange(data.shape[1], dtype=np.float64)
        unit = unit or "index"
    axis = np.asarray(axis, dtype=np.float64)
    if axis.shape != (data.shape[1],):
        raise SpectraFileError(
            f"axis has shape {axis.shape} but dataset {dataset!r} has {data.shape[1]} points per spectrum", path
        )
    if axis.size >= 2 and (np.diff(axis) < 0).all():
        axis, data = axis[::-1], data[:, ::-1]
    note = f"read {path.name}:{dataset} shape {shape}" + (" (flattened)" if len(shape) > 2 else "")
    try:
        return SpectraSet(
            axis=axis, intensities=data, labels=labels, class_names=class_names,
            axis_unit=unit or "2theta_deg", order=np.arange(data.shape[0]),
            metadata=pd.DataFrame({"source": [f"{path.name}:{dataset}[{i}]" for i in range(data.shape[0])]}),
            name=name or path.stem, preprocessing=note,
        )
    except SpectraFileError:
        raise
    except SpectraInputError as exc:
        raise SpectraFileError(str(exc), path) from exc


def load_npz(path, name=None) -> SpectraSet:
    """Read a ``.npz`` written by :meth:`SpectraSet.to_npz`, or a plain one with ``x`` (and ``y``, ``axis``).

    Args:
        path: The file.
        name: Name of the set (default: the stored name or the file stem).

    Returns:
        SpectraSet.

    Raises:
        SpectraFileError: not an npz file, or neither ``intensities`` nor ``x`` inside.

    Example:
        >>> from spectra_zoo.data import load_npz
        >>> s = load_npz("train.npz")  # doctest: +SKIP
    """
    path = Path(os.fspath(path))
    if not path.is_file():
        raise SpectraFileError("does not exist or is not a file", path)
    try:
        store = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise SpectraFileError(f"is not a readable npz file: {exc}", path) from exc
    if not hasattr(store, "files"):
        raise SpectraFileError("holds a single array, not an npz archive", path)
    with store:
        keys = set(store.files)

        def get(key, default=None):
            return store[key] if key in keys else default

        def text(key, default=None):
            return str(store[key][()]) if key in keys else default

        if "intensities" in keys:
            x = get("intensities")
            axis = get("axis")
            labels = get("labels")
        elif "x" in keys:
            x = get("x")
            axis = get("axis")
            labels = get("y")
        else:
            raise SpectraFileError(f"has neither 'intensities' nor 'x' (keys: {sorted(keys)})", path)
        x = np.asarray(x)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim == 3 and x.shape[-1] == 1:
            x = x[..., 0]
        unit = text("axis_unit")
        if axis is None:
            axis = np.arange(x.shape[-1], dtype=np.float64)
            unit = unit or "index"
        metadata = None
        if "metadata_json" in keys:
            metadata = pd.read_json(io.StringIO(text("metadata_json")), orient="split")
        class_names = get("class_names")
        ext_name = text("external_name")
        try:
            return SpectraSet(
                axis=axis, intensities=x, labels=labels,
                class_names=None if class_names is None else [str(c) for c in class_names],
                axis_unit=unit or "2theta_deg", order=get("order"), external=get("external"),
                external_name=ext_name or None, metadata=metadata,
                name=name or text("name") or path.stem,
                preprocessing=text("preprocessing", f"read {path.name} (npz)"),
            )
        except SpectraFileError:
            raise
        except SpectraInputError as exc:
            raise SpectraFileError(str(exc), path) from exc


# ---------------------------------------------------------------------------- one entry point
def _single_spectrum(path: Path, axis, intensity, axis_unit="2theta_deg", name=None) -> SpectraSet:
    """A one-spectrum SpectraSet of a two-column file."""
    return SpectraSet(
        axis=axis, intensities=intensity[None, :], axis_unit=axis_unit, order=np.array([0]),
        metadata=pd.DataFrame({"source": [path.name]}), name=name or path.stem,
        preprocessing=f"read {path.name}",
    )


_H5_SUFFIXES = (".h5", ".hdf5", ".hdf", ".nxs", ".nx5")


def load(source, **kwargs) -> SpectraSet:
    """Load spectra from a folder, a file or a built-in dataset name (used by the CLI).

    * folder -> :func:`load_folder`
    * ``.csv`` -> :func:`load_csv`
    * ``.h5``/``.hdf5``/``.nxs`` -> :func:`load_hdf5` (``dataset=`` keyword, or
      ``"file.h5:/entry/data/intensities"``)
    * ``.npz`` -> :func:`load_npz`
    * a single spectrum file (``.xy``, ``.dat``, ...) -> a one-spectrum set
    * otherwise a built-in dataset name of :mod:`spectra_zoo.datasets`.

    Args:
        source: Path or dataset name.
        **kwargs: Passed to the chosen reader.

    Returns:
        SpectraSet.

    Raises:
        SpectraFileError: nothing matched; the message says what was tried.

    Example:
        >>> from spectra_zoo.data import load
        >>> s = load("data/Experimental", axis_range=(10, 50), on_uncovered="drop")  # doctest: +SKIP
    """
    text = os.fspath(source)
    p = Path(text)
    if p.is_dir():
        return load_folder(p, **kwargs)
    if p.exists() and not p.is_file():
        _refuse_special(p, p.stat().st_mode)
    if p.is_file():
        suffix = p.suffix.lower()
        if suffix == ".csv":
            return load_csv(p, **kwargs)
        if suffix in _H5_SUFFIXES:
            if "dataset" not in kwargs:
                raise SpectraFileError(
                    "is an HDF5 file: pass dataset='/path/in/file' or use 'file.h5:/path/in/file'", p
                )
            return load_hdf5(p, **kwargs)
        if suffix == ".npz":
            return load_npz(p, **kwargs)
        read_args = {k: kwargs.pop(k) for k in ("skip_header", "comments", "delimiter", "columns") if k in kwargs}
        axis_unit = kwargs.pop("axis_unit", "2theta_deg")
        if kwargs:
            raise SpectraInputError(f"unexpected arguments for a single spectrum file: {sorted(kwargs)}")
        ax, y = read_spectrum_file(p, **read_args)
        return _single_spectrum(p, ax, y, axis_unit)
    m = re.match(r"^(.*?\.(?:h5|hdf5|hdf|nxs|nx5)):(/.*)$", text, flags=re.IGNORECASE)
    if m and Path(m.group(1)).is_file():
        return load_hdf5(m.group(1), dataset=m.group(2), **kwargs)
    tried = [f"no file or folder named {text!r}"]
    try:
        from spectra_zoo import datasets
    except ImportError:
        tried.append("spectra_zoo.datasets is not available")
    else:
        try:
            names = list(datasets.list_datasets())
        except Exception as exc:  # noqa: BLE001 - report whatever the registry says
            names = []
            tried.append(f"listing built-in datasets failed ({exc})")
        if text in names:
            return datasets.load(text, **kwargs)
        tried.append(f"not a built-in dataset ({', '.join(map(str, names)) or 'none listed'})")
    raise SpectraFileError(f"cannot load {text!r}: " + "; ".join(tried))
