"""Files the command line reads and writes, safely: ``.npz`` inputs checked before they are read, outputs
written whole or not at all.

- :func:`read_npz` refuses, with one sentence, a file that is missing, not a zip, corrupt (a bad CRC,
  truncated), holds anything but plain arrays, or declares more data than :data:`MAX_NPZ_BYTES`, which
  is checked from the zip directory before anything is decompressed (a zip bomb costs nothing).
- :func:`write_atomic` writes to a temporary file in the target's folder and renames it over the
  target only once it is complete: a full disk or an interrupt leaves the original (if any) intact
  and nothing partial behind. Without ``overwrite`` the final step is an exclusive creation, so of
  several runs saving to the same new name at once exactly one succeeds and the others are refused
  with the sentence a name already taken always gets.
"""

from __future__ import annotations

import errno
import io
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from dlparity.validation import InputError

#: Largest total uncompressed size an ``--inputs`` archive may declare: 1 GiB. The upstream-shaped
#: case (10,000 x 37 doubles and the weights) is about 3 MB, so this only stops archives that
#: would exhaust memory, such as a 9 MB zip bomb that inflates to 2 GB.
MAX_NPZ_BYTES = 2**30


class OutputError(RuntimeError):
    """An output file could not be written (full disk, permissions); the message is one sentence.

    Raised after the work is done, so it is not bad input: the command line reports the results,
    then this sentence, with its own exit status.
    """


def read_npz(flag: str, path: Path | str, max_bytes: int = MAX_NPZ_BYTES) -> dict[str, NDArray[Any]]:
    """The arrays of an ``.npz`` file, by name; one sentence (:class:`InputError`) for anything else.

    The zip directory is read first: every member must be a ``.npy`` file, and their declared
    uncompressed sizes together at most ``max_bytes``. Each member is then decompressed no
    further than its declared size and read without pickles.

    Raises
    ------
    InputError
        Missing file, not a zip file, corrupt or truncated archive, a member that is not a plain
        array, or declared sizes above ``max_bytes``.
    """
    path = Path(path)
    expected = "expected an .npz file written by numpy.savez"
    if not path.is_file():
        raise InputError(f"{flag} {path} does not exist; {expected}.")
    if not zipfile.is_zipfile(path):
        raise InputError(f"{flag} {path} is not an .npz (zip) file; {expected}.")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            declared = sum(m.file_size for m in members)
            if declared > max_bytes:
                raise InputError(
                    f"{flag} {path} declares {declared:,} bytes of arrays once decompressed; expected at most "
                    f"{max_bytes:,} (it was not decompressed).")
            arrays: dict[str, NDArray[Any]] = {}
            for member in members:
                if not member.filename.endswith(".npy"):
                    raise InputError(f"{flag} {path} holds {member.filename!r}, which is not a .npy array; {expected}.")
                with archive.open(member) as f:
                    data = f.read(member.file_size + 1)  # never more than declared (+1 to notice a lie)
                if len(data) != member.file_size:
                    raise InputError(f"{flag} {path}: {member.filename} is not the size its header declares; "
                                     f"the file is corrupt.")
                arrays[member.filename[:-4]] = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except InputError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InputError(f"{flag} {path} is not a readable .npz (zip) file ({exc}); {expected}.") from None
    except ValueError as exc:
        raise InputError(f"{flag} {path} could not be read as arrays ({exc}); {expected}, without objects.") from None
    except OSError as exc:
        raise InputError(f"{flag} {path} cannot be read ({exc.strerror or exc}).") from None
    return arrays


def read_inputs(flag: str, path: Path | str) -> dict[str, Any]:
    """The variables of an ``--inputs`` file: an ``.npz`` (:func:`read_npz`) or a ``.mat`` (:func:`dlparity.matfile.read_mat`).

    Raises
    ------
    InputError
        Any other file name, or the file's own reader's one sentence.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".npz":
        return dict(read_npz(flag, path))
    if suffix == ".mat":
        from dlparity.matfile import read_mat  # noqa: PLC0415 (the .mat readers load scipy.io and h5py)

        return read_mat(flag, path)
    raise InputError(f"{flag} {path} is neither an .npz nor a .mat file; expected a file name ending in .npz "
                     "(numpy.savez) or .mat (MATLAB's save, scipy.io.savemat).")


def exists_sentence(flag: str, path: Path) -> str:
    """What a ``--save``/``--plot`` onto an existing file gets, in the serial case and the concurrent one alike."""
    return f"{flag} {path} already exists; choose another name or pass --overwrite."


def write_atomic(path: Path | str, writer: Callable[[IO[bytes]], Any], overwrite: bool, flag: str = "--save") -> None:
    """Write ``path`` through ``writer(binary file)``, whole or not at all.

    ``writer`` writes into a temporary file beside ``path``; when it returns, the file is synced
    and renamed over ``path`` (``overwrite``) or hard-linked to it, which fails if ``path`` exists
    (exclusive creation). On any failure, including KeyboardInterrupt, the temporary file is
    removed and ``path`` is left as it was.

    Raises
    ------
    InputError
        Not ``overwrite`` and ``path`` exists, or came to exist while writing (another run took the name).
    OutputError
        The file could not be written (e.g. the disk is full), with one sentence.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{flag} {path} could not be written ({exc.strerror or exc}).") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's 0600
        with os.fdopen(fd, "wb") as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _create_exclusively(tmp, path)
    except FileExistsError:
        raise InputError(exists_sentence(flag, path)) from None
    except OSError as exc:
        raise OutputError(f"{flag} {path} could not be written ({exc.strerror or exc}); "
                          "nothing was left behind and any earlier file is unchanged.") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _create_exclusively(tmp: str, path: Path) -> None:
    """Give the complete file ``tmp`` the name ``path`` only if no file has it; FileExistsError otherwise."""
    try:
        os.link(tmp, path)  # atomic, and fails with EEXIST: no window in which path is partial
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # no hard links here: claim the name exclusively, then put the complete file over our claim
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.replace(tmp, path)
