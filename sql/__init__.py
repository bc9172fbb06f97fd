"""Lantern's DuckDB SQL, one model a file, shipped with the package.

`read(name)` returns the text of `sql/<name>.sql`, e.g. `read("marts/incident")`.
Files may hold several statements separated by `;` at line ends; `statements(name)` splits them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def read(name: str) -> str:
    """The SQL text of `sql/<name>.sql`."""
    return resources.files("sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """The statements of `sql/<name>.sql`, split on `;` at the end of a line."""
    out, buf = [], []
    for line in read(name).splitlines():
        buf.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(buf).strip().rstrip(";").strip()
            if stmt and not all(ln.strip().startswith("--") or not ln.strip() for ln in stmt.splitlines()):
                out.append(stmt)
            buf = []
    tail = "\n".join(buf).strip()
    if tail and not all(ln.strip().startswith("--") or not ln.strip() for ln in tail.splitlines()):
        out.append(tail)
    return out


def models(folder: str) -> list[str]:
    """Names (`folder/file` without `.sql`) of the models in one folder, sorted."""
    root = resources.files("sql").joinpath(folder)
    return sorted(f"{folder}/{p.name[:-4]}" for p in root.iterdir() if p.name.endswith(".sql"))
