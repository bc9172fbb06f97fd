"""Read one delivered file into a DuckDB temp table of text columns, named canonically.

Everything is read as text first; typing and validation happen afterwards in SQL
(`transforms.extracts.rules`). What cannot be read at all (unknown encoding, missing column,
truncated file, broken CSV structure) raises `ExtractError` naming the file, the column or line,
and what to do: such a file is refused whole.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from transforms.extracts.contract import Source
from transforms.extracts.profiles import Profile
from transforms.sqlrun import ident as _quote_ident

logger = logging.getLogger(__name__)


class ExtractError(Exception):
    """A file that cannot be loaded; the message says which file, where, and what to do."""


@dataclass(frozen=True)
class StagedFile:
    """What `stage_file` read: the temp table name, rows in and the encoding found."""

    table: str
    rows_in: int
    encoding: str
    checksum: str
    raw_table: str = ""
    record_sql: str = "NULL"
    """SQL over alias `r` (the raw table) giving a row as delivered, as JSON (for quarantine)."""


def file_checksum(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def detect_encoding(data: bytes, declared: str, path: Path) -> str:
    """`utf-8` or `windows-1252` for a CSV's bytes (or the profile's declared encoding)."""
    if declared not in ("auto", ""):
        try:
            codecs.lookup(declared)
        except LookupError as exc:
            raise ExtractError(
                f"{path}: the profile declares an unknown encoding {declared!r}; use utf-8, windows-1252 or auto"
            ) from exc
        return declared
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        data.decode("cp1252")
        return "windows-1252"
    except UnicodeDecodeError as exc:
        raise ExtractError(
            f"{path}: unknown encoding: not UTF-8 (byte {utf8_error.start}) nor Windows-1252 "
            f"(byte {exc.start}); re-export the file as UTF-8 CSV, or set 'encoding' in the "
            "source profile"
        ) from exc


RESEND = "Ask the sender to re-send the whole file."


def _check_not_truncated(text: str, path: Path, delimiter: str, n_header: int) -> None:
    """Refuse a file cut short in transfer: data rows with no line end after the last one, or a
    quoted field that is opened and never closed (it runs to the end of the file).

    A file cut inside its last field cannot be told from a whole one by its fields: the last record
    still parses, with a cut value (a short postcode, a crime reference that now points nowhere).
    Every exporter ends its last record with a line end (`\\n` or `\\r\\n`), so a file with data
    rows that does not is refused whole; a header-only file may lack it (0 rows).

    The contract's CSV escapes a quote inside a quoted field by doubling it, so the quotes of a
    well-formed file pair up in order and an odd count leaves the last one open. When that last
    quote opens a field (it follows a delimiter or a line end and precedes a value) the field runs
    to the end of the file. An odd count can also come from a lone quote inside an unquoted field
    (`5ft11"`), which DuckDB reads as a literal character, so an odd count alone does not refuse a
    file; DuckDB's strict mode refuses any other unclosed quote (see `stage_csv`). Both checks are
    O(n) in C (str.count, str.rfind): a file of hundreds of MB is not parsed in Python.
    """
    if not text:
        return
    open_quote = text.count('"') % 2 == 1
    if not text.endswith("\n"):
        if "\n" not in text:
            return  # the header alone, with no line end: no rows
        line_no = text.count("\n") + 1
        tail = text[text.rfind("\n") + 1 :]
        if open_quote:
            what = "a quoted field in the last record is not closed and the file has no final line end"
        else:
            try:
                n = len(next(csv.reader([tail.rstrip("\r")], delimiter=delimiter, strict=True)))
            except (csv.Error, StopIteration):
                n = 0
            what = (
                f"the last record has {n} of {n_header} fields and no line end"
                if n < n_header
                else "the last record has no line end, so its last value may be cut"
            )
        raise ExtractError(
            f"{path}: truncated at line {line_no}: {what}; the file was cut short "
            f"in transfer and is refused whole. {RESEND}"
        )
    if not open_quote:
        return
    at = text.rfind('"')
    before = text[at - 1] if at > 0 else "\n"
    after = text[at + 1] if at + 1 < len(text) else "\n"
    if before in (delimiter, "\n") and after not in (delimiter, "\n", "\r"):
        line_no = text.count("\n", 0, at) + 1
        raise ExtractError(
            f"{path}: truncated at line {line_no}: a quoted field opened on that line is never "
            "closed (it runs to the end of the file); the file was cut short in transfer, or its "
            f"quoting is broken, and is refused whole. {RESEND}"
        )


def _duckdb_line(message: str) -> str:
    """'line N' from a DuckDB CSV error (DuckDB counts a record spanning lines as one line)."""
    m = re.search(r"Line: (\d+)", message)
    return f"line {m.group(1)}" if m else "an unknown line"


def _resolve_columns(header: list[str], source: Source, profile: Profile, path: Path) -> dict[str, str | None]:
    """canonical -> exported header name (None where an optional column is absent)."""
    present = {h.strip().lstrip("\ufeff"): h for h in header}
    out: dict[str, str | None] = {}
    for col in source.columns:
        exported = profile.exported(col.name)
        if exported in present:
            out[col.name] = present[exported]
        elif col.required:
            hint = f" (the profile maps it from {exported!r})" if exported != col.name else ""
            raise ExtractError(
                f"{path}: missing required column {col.name!r}{hint}; the header has "
                f"{sorted(present)}. Fix the export, or map the column in the source profile."
            )
        else:
            out[col.name] = None
    return out


def _project(con: duckdb.DuckDBPyConnection, raw_table: str, table: str, mapping: dict[str, str | None]) -> int:
    """Canonical columns (and a hash of the whole row as delivered) from the raw text table.

    The raw table is kept: a quarantined row is written verbatim from it, and only those rows
    are turned into JSON (doing it for every row was most of the cost of a load)."""
    cols = ", ".join(
        f"{_quote_ident(exp)} AS {_quote_ident(can)}"
        if exp is not None
        else f"CAST(NULL AS VARCHAR) AS {_quote_ident(can)}"
        for can, exp in mapping.items()
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS "
        f"SELECT row_number, hash(row(*COLUMNS(* EXCLUDE (row_number)))) AS _h, {cols} FROM {raw_table}"
    )
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _record_sql(header: list[str]) -> str:
    return "to_json(struct_pack(" + ", ".join(f"{_quote_ident(h)} := r.{_quote_ident(h)}" for h in header) + "))"


def _staging_root(con: duckdb.DuckDBPyConnection) -> str | None:
    """Where a re-encoded copy of an extract (it holds names) is staged: the engine's own spill
    folder beside the warehouse (private, removed by an erasure), never the machine's /tmp; an
    in-memory database (tests) has none, and the system's temporary folder is used."""
    try:
        folder = str(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0] or "")
    except duckdb.Error:
        return None
    if not folder or not Path(folder).is_absolute():
        return None
    Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, source: Source, profile: Profile, table: str) -> StagedFile:
    """Read a CSV export as text into temp table `table` (row_number, record JSON, columns)."""
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    encoding = detect_encoding(data, profile.encoding, path)
    text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    del data
    first_line = text.split("\n", 1)[0].rstrip("\r")
    header = next(csv.reader([first_line], delimiter=profile.delimiter)) if first_line else []
    if not header:
        raise ExtractError(f"{path}: empty file or no header row; re-export it with its header.")
    mapping = _resolve_columns(header, source, profile, path)
    _check_not_truncated(text, path, profile.delimiter, len(header))
    with tempfile.TemporaryDirectory(prefix="lantern-stage-", dir=_staging_root(con)) as tmp:
        read_path = path
        if encoding != "utf-8":
            read_path = Path(tmp) / "utf8.csv"
            read_path.write_text(text, encoding="utf-8")
        del text
        raw = f"{table}__raw"
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {raw} AS "
                "SELECT row_number() OVER () AS row_number, src.* "
                "FROM read_csv(?, all_varchar = true, header = true, delim = ?, quote = '\"', "
                "escape = '\"', strict_mode = true, null_padding = false, "
                "auto_detect = false, columns = ?) AS src",
                [str(read_path), profile.delimiter, {h: "VARCHAR" for h in header}],
            )
        except duckdb.Error as exc:
            if "unterminated quote" in str(exc).lower():
                raise ExtractError(
                    f"{path}: a quoted field near {_duckdb_line(str(exc))} is not closed before the "
                    "end of the file or is closed in the middle of a value: the file was cut short "
                    "in transfer, or its quoting is broken (a quote inside a quoted value must be "
                    f"doubled), and is refused whole. {RESEND}"
                ) from exc
            msg = str(exc).split("\n")
            where = next((m.strip() for m in msg if "line" in m.lower()), msg[0])
            raise ExtractError(
                f"{path}: the CSV structure is broken ({where}); check quoting and the "
                "number of fields on that line, then re-send the file."
            ) from exc
    rows = _project(con, raw, table, mapping)
    return StagedFile(table, rows, encoding, checksum, raw, _record_sql(header))


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.hour == 0 and value.minute == 0 and value.second == 0:
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _sheet_rows(data: bytes, sheet: str | None, path: Path) -> list[list[object]]:
    """The rows of one sheet, read by calamine (a Rust reader, ~5x faster than openpyxl)."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # a broken zip or not a workbook at all
        raise ExtractError(
            f"{path}: not a readable XLSX workbook ({exc.__class__.__name__}: "
            f"{exc}); re-save it from Excel as .xlsx and re-send."
        ) from exc
    names = list(wb.sheet_names)
    if sheet not in names:
        raise ExtractError(
            f"{path}: no sheet {sheet!r} (sheets: {names}); the MAP workbook needs sheets 'assessments' and 'cells'."
        )
    return [list(r) for r in wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)]


def stage_xlsx(con: duckdb.DuckDBPyConnection, path: Path, source: Source, profile: Profile, table: str) -> StagedFile:
    """Read one sheet of an XLSX workbook as text into temp table `table`."""
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    sheet = profile.sheet or source.sheet
    rows = _sheet_rows(data, sheet, path)
    if not rows or all(_cell_text(v) is None for v in rows[0]):
        raise ExtractError(f"{path}: sheet {sheet!r} is empty; it needs a header row.")
    header = [str(h).strip() if _cell_text(h) is not None else f"column_{i + 1}" for i, h in enumerate(rows[0])]
    mapping = _resolve_columns(header, source, profile, path)
    records, numbers = [], []
    for i, values in enumerate(rows[1:], start=1):
        cells = [_cell_text(v) for v in values]
        if all(c is None for c in cells):
            continue
        cells += [None] * (len(header) - len(cells))
        records.append(cells[: len(header)])
        numbers.append(i)  # the data row's position in the sheet (1 = the row after the header)
    frame = pd.DataFrame(records, columns=header, dtype="object")
    frame.insert(0, "row_number", numbers)
    raw = f"{table}__raw"
    con.register("_xlsx_frame", frame)
    cols = ", ".join(f"CAST({_quote_ident(h)} AS VARCHAR) AS {_quote_ident(h)}" for h in header)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT row_number, {cols} FROM _xlsx_frame")
    con.unregister("_xlsx_frame")
    n = _project(con, raw, table, mapping)
    return StagedFile(table, n, "xlsx", checksum, raw, _record_sql(header))


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, source: Source, profile: Profile, table: str) -> StagedFile:
    """Stage a CSV or XLSX export by its suffix."""
    if not path.exists():
        raise ExtractError(f"{path}: file not found.")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return stage_xlsx(con, path, source, profile, table)
    return stage_csv(con, path, source, profile, table)
