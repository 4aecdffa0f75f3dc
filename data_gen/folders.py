"""Output folders the tool owns: written atomically, marked, replaced only when ours.

Every folder itin-bench writes (a dataset, a link folder, an evaluation, figures,
a report, a paper folder ...) is written to a temporary sibling and moved into
place only when complete, so an interrupted or failed write never leaves a
half-written folder and never damages the one already there.

Each such folder carries a marker, :data:`MARKER` (``.itin-bench.json``), with
the tool's name, the folder's *kind* and the list of files it wrote.  An
existing folder is replaced (``--force``) only when it is empty or carries the
marker of the same kind and holds nothing but the files listed in it (plus the
run's ``stage.json``): a folder of the user's own files, a git clone, or a
dataset where a link folder was expected is refused with one line, and a file
the user added to a folder the tool wrote is never deleted.  Outputs are also
compared with every input after resolving symlinks: an output that is, contains
or lies inside an input is refused.  A symlinked output is followed: the folder
it points to is written, the link is left as it is.

A writer killed outright (SIGKILL, power loss) leaves its temporary folder
``.<name>.tmp-<pid>-XXXX`` behind, or, if killed between its two renames, the
replaced folder ``.<name>.old-<pid>``.  The next writer of the same folder
removes the temporary folders of dead writers that carry the marker, restores
a replaced folder when no complete one stands in its place, and otherwise keeps
the replaced one aside as ``<name>.earlier-<pid>`` with a one-line warning:
nothing complete is ever deleted by recovery.  Scratch folders under the
temporary directory (:func:`scratch_folder`) follow the same rule.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from data_gen.errors import InputError

log = logging.getLogger(__name__)

TOOL = "itin-bench"
MARKER = ".itin-bench.json"
STAGE_FILE = "stage.json"
# records the tool adds to a finished folder besides the files the marker lists
TOOL_RECORDS = frozenset({MARKER, STAGE_FILE})
SCRATCH_PREFIX = "itin-bench-"
# files named when a folder is refused: enough to find them, not a listing
SHOWN = 3


def real_path(path: str | Path) -> Path:
    """``path`` with every symlink, ``.`` and ``..`` resolved (it need not exist)."""
    return Path(os.path.realpath(Path(path)))


def write_marker(folder: Path, kind: str, *, complete: bool) -> None:
    """Write ``folder``'s marker: the tool, the kind and (when complete) every file in it."""
    files = sorted(_files_below(folder)) if complete else []
    record = {"tool": TOOL, "kind": kind, "complete": complete, "files": files}
    (folder / MARKER).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def read_marker(folder: Path) -> dict | None:
    """The marker of ``folder`` if it carries a valid one of this tool, else None."""
    try:
        record = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("tool") != TOOL:
        return None
    if not isinstance(record.get("kind"), str) or not isinstance(record.get("files"), list):
        return None
    return record


def _files_below(folder: Path) -> set[str]:
    """Relative paths of every file (and symlink) below ``folder``, the tool's records aside."""
    found: set[str] = set()
    for root, dirs, files in os.walk(folder):
        base = Path(root)
        for name in files + [d for d in dirs if (base / d).is_symlink()]:
            rel = (base / name).relative_to(folder).as_posix()
            if rel not in TOOL_RECORDS:
                found.add(rel)
    return found


def _legacy_stage_files(folder: Path) -> set[str] | None:
    """The files a run stage written before markers existed lists in its ``stage.json``."""
    try:
        record = json.loads((folder / STAGE_FILE).read_text(encoding="utf-8"))
        files = record["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return set(files) if isinstance(files, dict) else None


def ownership_problem(folder: Path, kind: str) -> str | None:
    """Why ``folder`` (existing, not empty) may not be replaced by a ``kind`` folder, or None.

    It may be replaced when it carries this tool's marker of the same kind and
    holds only the files that marker lists (and the tool's own records).
    """
    marker = read_marker(folder)
    listed = set(marker["files"]) if marker is not None else _legacy_stage_files(folder)
    if listed is None:
        return f"not a {kind} folder written by {TOOL} (it has no {MARKER})"
    if marker is not None and marker["kind"] != kind:
        return f"holds an {TOOL} {marker['kind']} folder, not a {kind} folder"
    foreign = sorted(_files_below(folder) - listed)
    if foreign:
        shown = ", ".join(foreign[:SHOWN]) + (
            f" and {len(foreign) - SHOWN} more" if len(foreign) > SHOWN else ""
        )
        return f"holds files {TOOL} did not write ({shown}); move them out first"
    return None


def check_output_folder(
    out: str | Path,
    *,
    force: bool,
    kind: str = "dataset",
    inputs: Iterable[str | Path] = (),
) -> None:
    """Fail early, before any work, if ``out`` cannot become a ``kind`` folder.

    First recovers what a dead writer of ``out`` left (see the module
    docstring), so that a restored folder counts as existing.

    Parameters
    ----------
    out : path
        The folder to write (a symlink is followed).
    force : bool
        Whether an existing folder of ours of the same kind may be replaced.
    kind : str
        What the folder holds (``dataset``, ``link``, ``evaluation`` ...).
    inputs : iterable of path
        Files and folders the writer reads: ``out`` may not be, contain or lie
        inside any of them.

    Raises
    ------
    InputError
        If ``out`` has no name (``.``), is a file, is a non-empty folder and
        ``force`` is false, is not ours to replace, overlaps an input, or its
        parent cannot be written.
    """
    out = Path(out)
    real = real_path(out)
    if out.name in ("", ".", "..") or real == Path(real.anchor):
        raise InputError(f"{out}: give a folder name for the {kind}, not {str(out)!r}")
    for given in inputs:
        source = real_path(given)
        if source == real or real in source.parents:
            raise InputError(f"{out}: is or contains the input {given}; write the {kind} elsewhere")
        if source in real.parents:
            raise InputError(f"{out}: lies inside the input {given}; write the {kind} elsewhere")
    if real.exists() and not real.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    recover_interrupted(real)
    if real.is_dir() and any(real.iterdir()):
        if not force:
            raise InputError(f"{out}: folder exists and is not empty (use --force to replace it)")
        problem = ownership_problem(real, kind)
        if problem is not None:
            raise InputError(f"{out}: {problem}; not replaced")
    for parent in real.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{out}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK):
                raise InputError(f"{out}: cannot write in {parent}")
            break


@contextmanager
def atomic_folder(
    out: str | Path,
    *,
    force: bool,
    kind: str = "dataset",
    inputs: Iterable[str | Path] = (),
) -> Iterator[Path]:
    """Yield a temporary sibling folder that replaces ``out`` only if the block completes.

    On any error (or Ctrl-C) the temporary folder is removed and ``out`` is left
    as it was.  An existing ``out`` is replaced only with ``force``, and only
    when it is ours (:func:`check_output_folder`).  The finished folder carries
    its marker.

    Raises
    ------
    InputError
        If ``out`` cannot be written (see :func:`check_output_folder`).
    """
    inputs = list(inputs)
    check_output_folder(out, force=force, kind=kind, inputs=inputs)
    real = real_path(out)
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{_temp_prefix(real)}{os.getpid()}-", dir=real.parent))
    except OSError as exc:
        raise InputError(f"{out}: cannot write there ({exc.strerror or exc})") from None
    try:
        write_marker(tmp, kind, complete=False)
        yield tmp
        write_marker(tmp, kind, complete=True)
        os.chmod(tmp, 0o755)
        _move_into_place(tmp, real, force=force, kind=kind)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"{out}: writing failed ({exc.strerror or exc})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _move_into_place(tmp: Path, out: Path, *, force: bool, kind: str) -> None:
    """Rename ``tmp`` to ``out``, replacing (and then removing) a previous ``out`` of ours."""
    if out.exists() and any(out.iterdir()):
        # checked again: the folder may have changed while the work ran
        check_output_folder(out, force=force, kind=kind)
        trash = out.with_name(f"{_trash_prefix(out)}{os.getpid()}")
        out.rename(trash)
        try:
            tmp.rename(out)
        except OSError:
            trash.rename(out)
            raise
        shutil.rmtree(trash, ignore_errors=True)
    else:
        if out.exists():
            out.rmdir()  # empty: nothing to keep
        tmp.rename(out)


def _temp_prefix(out: Path) -> str:
    return f".{out.name}.tmp-"


def _trash_prefix(out: Path) -> str:
    return f".{out.name}.old-"


def _writer_pid(name: str, out: Path) -> int | None:
    """The PID in a sibling's name if it is a temporary (``.tmp-<pid>-*``) or replaced
    (``.old-<pid>``) folder of ``out`` written by :func:`atomic_folder`, else None."""
    if name.startswith(_temp_prefix(out)):
        pid, dash, _ = name[len(_temp_prefix(out)) :].partition("-")
        if not dash:
            return None  # an older unnamed temporary: its writer cannot be told
    elif name.startswith(_trash_prefix(out)):
        pid = name[len(_trash_prefix(out)) :]
    else:
        return None
    return int(pid) if pid.isascii() and pid.isdigit() and int(pid) > 0 else None


def process_is_running(pid: int) -> bool:
    """Whether a process with this PID exists (on this machine); True when it cannot be told."""
    if pid <= 0 or os.name != "posix":
        # os.kill(0 or less, ...) signals process groups; on Windows it terminates
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists but is another user's
        return True
    return True


def recover_interrupted(out: Path) -> list[Path]:
    """Clear what dead writers of ``out`` left, never losing a complete folder.

    A dead writer's temporary folder (incomplete) is removed when it carries
    the marker.  Its replaced folder (complete: it was ``out`` before) is moved
    back to ``out`` when nothing stands there, and otherwise kept aside as
    ``<name>.earlier-<pid>`` with a warning.  Folders of this process or of any
    running one are never touched.  Returns the folders removed.
    """
    removed: list[Path] = []
    try:
        siblings = sorted(out.parent.iterdir())
    except OSError:
        return removed
    for path in siblings:
        pid = _writer_pid(path.name, out)
        if pid is None or pid == os.getpid() or process_is_running(pid):
            continue
        if not path.is_dir() or path.is_symlink() or read_marker(path) is None:
            continue
        if path.name.startswith(_temp_prefix(out)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        elif not out.exists():
            path.rename(out)  # the earlier results, never replaced: keep them
            log.warning("%s: restored from %s, left by an interrupted write", out, path.name)
        else:
            aside = _free_name(out.with_name(f"{out.name}.earlier-{pid}"))
            path.rename(aside)
            log.warning(
                "%s: an earlier copy left by an interrupted write is kept as %s "
                "(remove it when you no longer need it)",
                out,
                aside,
            )
    return removed


# the name used by releases before the markers; kept for callers
remove_stale_temporaries = recover_interrupted


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def scratch_folder(purpose: str) -> Path:
    """A new scratch folder ``itin-bench-<pid>-<purpose>-XXXX`` under the temporary directory.

    Scratch folders of writers that are no longer running (killed before
    they could clean up) are removed first; only folders carrying this tool's
    marker of kind ``scratch`` are touched.  The caller removes its own folder
    when done (``shutil.rmtree``).
    """
    root = Path(tempfile.gettempdir())
    remove_dead_scratch(root)
    folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-{purpose}-", dir=root))
    write_marker(folder, "scratch", complete=False)
    return folder


def remove_dead_scratch(root: Path) -> list[Path]:
    """Remove the scratch folders under ``root`` whose writer is no longer running."""
    removed: list[Path] = []
    try:
        entries = list(root.glob(f"{SCRATCH_PREFIX}*"))
    except OSError:
        return removed
    for path in entries:
        pid = path.name[len(SCRATCH_PREFIX) :].partition("-")[0]
        if not (pid.isascii() and pid.isdigit()) or not path.is_dir() or path.is_symlink():
            continue
        marker = read_marker(path)
        if marker is None or marker["kind"] != "scratch" or process_is_running(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def write_json_atomically(path: Path, record: object) -> None:
    """Write ``record`` as JSON to ``path`` through a temporary file removed on failure.

    Raises
    ------
    InputError
        If the file cannot be written (a full disk, no permission).
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
