"""Writing files so that nobody ever sees half of them.

One file
    :func:`atomic_path`, :func:`write_text`, :func:`write_bytes`: the file is written
    to a temporary name beside the target and renamed over it, so a reader sees the
    old file or the new one, and a failed write leaves the old file as it was.

A set of files in a folder (:func:`publish`, used by ``workbench solve`` and :meth:`Result.write`)
    The files are written into a fresh folder ``.DIR.workbench-new-XXXX`` beside
    ``DIR``, fsynced (files and folder), checked by the caller (``workbench solve`` re-reads them and
    validates the schedule against the 14 hard rules), and only then put in place by
    one atomic step:

    * ``DIR`` does not exist: the new folder is renamed to ``DIR``.
    * ``DIR`` exists: on Linux the two folders are swapped by one
      ``renameat2(RENAME_EXCHANGE)`` call. Elsewhere, or on a file system without
      that call (NFS, some FUSE), ``DIR`` is renamed aside and the new folder renamed
      in: two renames, between which ``DIR`` is briefly absent (never mixed); a kill
      in that moment is repaired by the next publish into ``DIR``, which renames the
      old folder back first.

    Guarantees, for a kill (``kill -9``) or failure at any point:

    * ``DIR`` holds the previous complete set or the new complete set, never a mix,
      at every instant. A reader that opens ``DIR`` once and reads the files relative
      to that handle (``os.open(DIR)`` + ``dir_fd``) reads one set, or fails if the
      old set is removed under it; it never mixes two.
    * A run that fails or is killed before the swap leaves ``DIR`` exactly as it
      was. Its leftover folder beside ``DIR`` (there is never one inside) is removed
      by the next publish into ``DIR``, as is the lock file.
    * Files of the user's in ``DIR`` (anything but the set's own names) are kept:
      files, links and other non-folders are hard-linked into the new folder before
      the swap, so they are never absent; sub-folders are moved over right after the
      swap. A kill in the instant between swap and move leaves a sub-folder in the
      leftover beside ``DIR``; the next publish moves it back. Nothing of the user's
      is ever deleted: an entry that cannot be put back (its name was taken in the
      meantime) stays in a folder ``DIR.workbench-recovered-<time>`` beside ``DIR``,
      and a warning names it.
    * Two publishes into one ``DIR`` write and check side by side, and take turns
      (an ``fcntl.flock`` on ``.DIR.workbench-lock`` beside ``DIR``) for the swap;
      the last one wins, whole.

    ``DIR`` becomes a new folder (a new inode) with the old one's permission bits;
    extended attributes and ACLs of ``DIR`` itself are not carried over. A program
    whose working directory is ``DIR`` keeps the old, emptied folder; ``workbench
    solve`` therefore refuses an ``--out`` that is the current directory. ``DIR``
    may not be a mount point. Publishing needs write permission in ``DIR``'s parent.

The fault-injection point :data:`_after_step` lets tests stop a publish after any
step (tests/test_outputs.py SIGKILLs the publishing process there, step by step).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: runs into one folder are not serialised
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# Fault injection for tests: called with a label after every step of `publish`.
_after_step: Callable[[str], None] | None = None

_NEW = "workbench-new-"
_OLD = "workbench-old-"
_PROBE = "workbench-probe-"
_LOCK = "workbench-lock"
_RECOVERED = "workbench-recovered-"


# --------------------------------------------------------------------------- one file


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp makes the file private (0600); a saved file should get the usual permissions.
    os.chmod(tmp_path, 0o666 & ~_umask())
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(target: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding)


def write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


class OverwriteRefused(FileExistsError):
    """Raised when a save would overwrite an existing file and overwriting was not asked for."""


def check_overwrite(target: str | os.PathLike[str], overwrite: bool) -> None:
    """Refuse to replace an existing ``target`` unless ``overwrite`` is true."""
    if not overwrite and Path(target).exists():
        raise OverwriteRefused(f"{target} exists; pass overwrite=True to replace it")


# --------------------------------------------------------------------------- a set of files


class Busy(TimeoutError):
    """Another process kept the folder's lock longer than the caller would wait."""


def publish(
    target: str | os.PathLike[str],
    write: Callable[[Path], object],
    names: Iterable[str],
    *,
    check: Callable[[Path], object] | None = None,
    overwrite: bool = True,
    wait: float | None = None,
    on_wait: Callable[[int | None], object] | None = None,
    on_commit: Callable[[], object] | None = None,
) -> list[Path]:
    """Put the files ``names`` into the folder ``target`` as one set (see the module docstring).

    ``write(folder)`` writes every file of ``names`` into ``folder`` (a fresh folder
    beside ``target``); ``check(folder)``, if given, raises to refuse the files before
    anything is published. ``overwrite=False`` refuses (:class:`OverwriteRefused`)
    when any of the files exists. ``wait``: seconds to wait for another publish into
    the same folder (``None``: as long as it takes; :class:`Busy` after that), and
    ``on_wait(pid)`` is called once if waiting starts. ``on_commit()`` is called just
    before the swap: from then on the new set goes in (a signal handler that would
    abort should stand aside from that moment). Returns the published paths.
    """
    names = tuple(names)
    target = Path(os.path.realpath(target))  # a symlinked DIR stays a link; its target is replaced
    parent = target.parent
    if parent == target:
        raise ValueError(f"cannot publish into {target}: it has no parent folder to write beside")
    if os.path.lexists(target) and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder", str(target))
    if target.is_dir() and os.path.ismount(target):
        raise OSError(errno.EBUSY, "is a mount point; publish into a folder inside it", str(target))
    _refuse_existing(target, names, overwrite)
    created = _make_parents(parent)
    staging: Path | None = None
    staging_fd = -1
    committed = False
    aside: list[Path] = []  # where the old folder goes (or went) in the swap
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.{_NEW}", dir=parent))
        # The flock marks the folder as alive: a concurrent publish's clean-up leaves it alone.
        staging_fd = _lock_fd(staging)
        _step("staged")
        write(staging)
        _step("written")
        _sync(staging, names)
        _step("synced")
        if check is not None:
            check(staging)
        _step("checked")
        with _folder_lock(target, wait, on_wait):
            _step("locked")
            _recover(target, names)
            _step("recovered")
            _refuse_existing(target, names, overwrite)
            mode = stat.S_IMODE(os.stat(target).st_mode) if target.is_dir() else 0o777 & ~_umask()
            os.chmod(staging, mode)
            if target.is_dir():
                _carry(target, staging, names)
            if on_commit is not None:
                on_commit()
            if target.is_dir():
                _swap(staging, target, aside)
            else:
                try:
                    _rename_noreplace(staging, target)
                except FileExistsError:  # someone made DIR meanwhile (not through us): swap with it
                    _carry(target, staging, names)
                    _swap(staging, target, aside)
            committed = True
            _step("swapped")
            _fsync_dir(parent)
            if aside:
                _dispose(aside[-1], target, names)
            _step("disposed")
    except BaseException:
        if staging is not None and not committed:
            committed = _was_swapped(staging_fd, target)
        if not committed:
            if staging is not None:
                _dispose(staging, target, names)
            _remove_empty(created)
        elif aside and aside[-1].exists():
            with contextlib.suppress(OSError):
                _dispose(aside[-1], target, names)
        raise
    finally:
        if staging_fd >= 0:
            os.close(staging_fd)
    _step("done")
    return [target / n for n in names]


def probe_writable(target: str | os.PathLike[str]) -> None:
    """Raise ``OSError`` unless a publish into ``target`` could write: creates and removes a probe
    folder in the nearest existing ancestor of ``target`` and, if ``target`` exists, in it."""
    target = Path(os.path.realpath(target))
    where = target.parent
    while not where.exists() and where.parent != where:
        where = where.parent
    if not where.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(where))
    places = [(where, f".{target.name}.{_PROBE}")]
    if target.is_dir():
        places.append((target, f".{_PROBE}"))
    for folder, prefix in places:
        try:
            probe = tempfile.mkdtemp(prefix=prefix, dir=folder)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(folder)) from None
        with contextlib.suppress(FileNotFoundError):
            os.rmdir(probe)


# --------------------------------------------------------------------------- the steps


def _step(label: str) -> None:
    if _after_step is not None:
        _after_step(label)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refuse_existing(target: Path, names: tuple[str, ...], overwrite: bool) -> None:
    for n in names:
        if (target / n).is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a folder, where an output file belongs", str(target / n))
        check_overwrite(target / n, overwrite)


def _make_parents(parent: Path) -> list[Path]:
    """Create the missing ancestors of the target; return them, deepest first, to undo on failure."""
    missing = []
    p = parent
    while not p.exists():
        missing.append(p)
        p = p.parent
    parent.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _lock_fd(folder: Path) -> int:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _alive(folder: Path) -> bool:
    """Whether a running publish holds ``folder`` (its flock); a dead one's lock went with it."""
    if fcntl is None:
        return False
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _sync(folder: Path, names: tuple[str, ...]) -> None:
    for n in names:
        path = folder / n
        if not path.is_file():
            raise RuntimeError(f"the writer did not write {n}")
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that cannot sync a folder
        pass
    finally:
        os.close(fd)


def _ours(name: str, names: tuple[str, ...]) -> bool:
    """Entries of DIR that belong to the set or to earlier runs' temporaries (never carried over)."""
    if name in names or name.startswith(f".{_PROBE}"):
        return True
    # single-file temporaries of the set's files from older versions (atomic_path)
    return name.endswith(".tmp") and any(name.startswith(f".{n}.") for n in names)


def _carry(target: Path, staging: Path, names: tuple[str, ...]) -> None:
    """Hard-link the user's non-folder entries of ``target`` into ``staging`` (so they are never
    absent); folders, and entries that cannot be linked, are moved after the swap by _dispose."""
    for entry in os.scandir(target):
        if _ours(entry.name, names) or entry.is_dir(follow_symlinks=False):
            continue
        try:
            os.link(entry.path, staging / entry.name, follow_symlinks=False)
        except OSError:  # EPERM (protected_hardlinks), EMLINK ...: moved after the swap instead
            continue
        _step(f"carried {entry.name}")


def _swap(staging: Path, target: Path, aside: list[Path]) -> None:
    """Put ``staging`` in place of ``target``; append to ``aside`` where the old folder goes."""
    aside.append(staging)  # an exchange leaves the old folder under the staging name
    try:
        _renameat2(staging, target, _RENAME_EXCHANGE)
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    # No atomic exchange here: DIR is absent (never mixed) between the two renames.
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.{_OLD}", dir=target.parent))
    aside.append(old)
    os.rename(target, old)  # replaces the empty folder just made
    try:
        _step("set aside")
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise


def _was_swapped(staging_fd: int, target: Path) -> bool:
    """Whether the new folder already is ``target`` (an exception came right after the swap)."""
    if staging_fd < 0:
        return False
    try:
        return os.path.samestat(os.fstat(staging_fd), os.stat(target))
    except OSError:
        return False


def _dispose(folder: Path, target: Path, names: tuple[str, ...]) -> None:
    """Empty and remove a folder beside ``target`` that is not (or no longer) the published one.

    The set's own files are deleted; an entry that is also in ``target`` (a hard link to
    the same file) is deleted; any other entry is the user's and is moved into
    ``target``. Nothing of the user's is deleted: what cannot be moved stays, and the
    folder is renamed ``DIR.workbench-recovered-<time>`` with a warning.
    """
    kept = []
    for entry in os.scandir(folder):
        path = Path(entry.path)
        if _ours(entry.name, names):
            if entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.rmdir(path)  # an empty probe
            else:
                path.unlink()
            _step(f"removed {entry.name}")
            continue
        dest = target / entry.name
        try:
            here = entry.stat(follow_symlinks=False)
            there = os.stat(dest, follow_symlinks=False)
        except FileNotFoundError:
            if target.is_dir():
                try:
                    _rename_noreplace(path, dest)
                    _step(f"moved back {entry.name}")
                    continue
                except FileExistsError:
                    pass
            kept.append(entry.name)
            continue
        if os.path.samestat(here, there) and not stat.S_ISDIR(here.st_mode):
            path.unlink()
            _step(f"removed link {entry.name}")
        else:
            kept.append(entry.name)
    if not kept:
        folder.rmdir()
        return
    keep = target.parent / f"{target.name}.{_RECOVERED}{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
    os.rename(folder, keep)
    log.warning("kept %s: it holds %s, which could not be put back into %s (the name is taken)", keep,
                ", ".join(kept), target)


def _recover(target: Path, names: tuple[str, ...]) -> None:
    """Tidy what killed publishes into ``target`` left beside it (called under the folder lock)."""
    prefix = f".{target.name}."
    leftovers = []
    for entry in os.scandir(target.parent):
        rest = entry.name[len(prefix):] if entry.name.startswith(prefix) else ""
        if rest.startswith((_NEW, _OLD, _PROBE)) and entry.is_dir(follow_symlinks=False):
            leftovers.append((rest, Path(entry.path)))
    # Two-rename publishing killed between its renames: DIR is absent and the old folder is aside.
    if not os.path.lexists(target):
        aside = [p for rest, p in leftovers if rest.startswith(_OLD) and not _alive(p)]
        if aside:
            back = max(aside, key=lambda p: p.stat().st_mtime)
            os.rename(back, target)
            leftovers = [(rest, p) for rest, p in leftovers if p != back]
            log.info("put back %s, set aside by a run that was killed", target)
    for rest, path in leftovers:
        if rest.startswith(_PROBE):
            with contextlib.suppress(OSError):
                os.rmdir(path)
        elif not _alive(path):
            _dispose(path, target, names)
            _step(f"recovered {path.name}")


@contextlib.contextmanager
def _folder_lock(target: Path, wait: float | None, on_wait: Callable[[int | None], object] | None) -> Iterator[None]:
    """Hold ``.DIR.workbench-lock`` beside ``target``; the file is removed on release.

    Removing a lock file races with a waiter that opened it before: each holder checks,
    once locked, that the path still names the file it locked, and otherwise starts over.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    path = target.parent / f".{target.name}.{_LOCK}"
    deadline = None if wait is None else time.monotonic() + wait
    told = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            if deadline is not None and time.monotonic() >= deadline:
                raise Busy(f"another process (pid {holder}) is writing {target}; gave up after {wait:.1f} s") from None
            if not told and on_wait is not None:
                on_wait(holder)
            told = True
            time.sleep(0.02)
            continue
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


# --------------------------------------------------------------------------- renameat2 (Linux)

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_libc: ctypes.CDLL | None = None


def _renameat2(a: Path, b: Path, flags: int) -> None:
    global _libc
    if not sys.platform.startswith("linux"):
        raise OSError(errno.ENOSYS, "renameat2 is Linux only")
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(_libc, "renameat2", None)
    if fn is None:  # glibc before 2.28
        raise OSError(errno.ENOSYS, "renameat2 is not in this C library")
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(a), None, str(b))


def _rename_noreplace(a: Path, b: Path) -> None:
    """Rename ``a`` to ``b`` unless ``b`` exists (``FileExistsError``)."""
    try:
        _renameat2(a, b, _RENAME_NOREPLACE)
        return
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise FileExistsError(errno.EEXIST, "exists", str(b)) from None
        if exc.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    if os.path.lexists(b):  # not atomic without renameat2; the window is a few microseconds
        raise FileExistsError(errno.EEXIST, "exists", str(b))
    os.rename(a, b)


__all__ = [
    "Busy", "OverwriteRefused", "atomic_path", "check_overwrite", "probe_writable", "publish",
    "write_bytes", "write_text",
]
