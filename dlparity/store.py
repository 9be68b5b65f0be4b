r"""Recorded Octave results: parity where there is no Octave, checked for freshness.

A **store** is a folder of parts, each an ``.npz`` of arrays plus a ``.json`` of provenance:
the Octave version and BLAS library, the platform, the date, the package version, the SHA-256 of
every ``.m`` file involved, the SHA-256 of the ``.npz`` it goes with, and one entry per recorded
Octave evaluation with the specification of its case. An entry is keyed by the SHA-256 of what was sent to Octave (the function, and the
case's inputs as bytes, dtype and shape), so the same inputs find the same recorded result,
whichever test or command asks, and any other inputs find nothing.

:class:`RecordingBridge` wraps a live Octave bridge and notes every block case, pair case and
training run it evaluates; :class:`StoredBridge` answers the same calls from a store, and is
what the command line and the pytest plugin use when Octave is missing. A stored result whose
``.m`` files changed since it was recorded is refused (:class:`StaleReference`) with the command
that regenerates it; a case the store does not hold is refused (:class:`NotRecorded`) naming what
to do. Both are :class:`dlparity.bridge.OctaveUnavailable`: exit status 3 on the command line. A
part whose ``.npz`` is not the one its ``.json`` was written with (a recording interrupted between
the two files, or one file replaced) is refused as a whole, with the same command.

The package's own store (``dlparity/reference/``, shipped in the wheel) holds the section 1
blocks on the suite's seeded cases and the short training runs on the synthetic set;
``dlparity record`` regenerates it. Users' own pairs are recorded by the pytest plugin's
``--dlparity-record`` into a ``dlparity_reference/`` folder beside each test file.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import platform
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from dlparity import wire
from dlparity.bridge import OctaveBridge, OctaveSide, OctaveUnavailable
from dlparity.values import Cell, Opaque, StructArray

#: The package's own store: shipped inside the wheel beside the code.
PACKAGE_STORE = Path(__file__).resolve().parent / "reference"

#: Format of the provenance files; a store of another format is refused as stale.
#: 2: the .json names the SHA-256 of its .npz ("npz_sha256").
FORMAT = 2


class NotRecorded(OctaveUnavailable):
    """Octave is not there and the store does not hold this evaluation."""


class StaleReference(OctaveUnavailable):
    """The store holds this evaluation, but an ``.m`` file it depends on changed since it was recorded (or the
    part is of another format, or its ``.npz`` and ``.json`` do not belong together)."""


# -- keys: what was sent to Octave, as bytes ------------------------------------------------------------------

def _feed(h: Any, value: Any) -> None:  # noqa: PLR0912 (one branch per kind)
    """Hash ``value`` canonically: type, then content (arrays by dtype, shape and C-order bytes; a cell, a struct
    array and a NumPy scalar of a class other than double by their shape, fields and class too)."""
    if isinstance(value, np.generic) and value.dtype not in (np.float64, np.bool_):
        value = np.asarray(value)
    if isinstance(value, StructArray):
        h.update(f"T{value.shape}{value.fields}".encode())
        for item in value:
            _feed(h, item)
    elif isinstance(value, Cell):
        h.update(f"C{value.shape}".encode())
        for v in value:
            _feed(h, v)
    elif isinstance(value, Opaque):
        h.update(f"O{value.matlab_class}".encode())
    elif isinstance(value, np.ndarray) and value.dtype != object:
        arr = np.ascontiguousarray(value)
        h.update(f"A{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
    elif isinstance(value, Mapping):
        h.update(f"D{len(value)}".encode())
        for k, v in value.items():
            _feed(h, str(k))
            _feed(h, v)
    elif isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.dtype == object):
        items = list(np.ravel(value)) if isinstance(value, np.ndarray) else list(value)
        h.update(f"L{len(items)}".encode())
        for v in items:
            _feed(h, v)
    elif isinstance(value, (bool, np.bool_)):
        h.update(b"B1" if value else b"B0")
    elif isinstance(value, (int, float, np.integer, np.floating)):
        h.update(b"F" + np.float64(value).tobytes())  # MATLAB's doubles: 33 and 33.0 are one value
    elif isinstance(value, str):
        h.update(f"S{len(value)}:".encode() + value.encode())
    elif value is None:
        h.update(b"N")
    else:
        raise TypeError(f"cannot key a {type(value).__name__}")


def key_of(*parts: Any) -> str:
    h = hashlib.sha256()
    for p in parts:
        _feed(h, p)
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- trees of results <-> arrays + JSON -------------------------------------------------------------------------

def _encode(value: Any, arrays: dict[str, Any], prefix: str) -> Any:  # noqa: PLR0911, PLR0912 (one return per kind)
    """A result as JSON plus arrays: every type :mod:`dlparity.values` names keeps its type, shape and class."""
    if isinstance(value, np.generic) and value.dtype not in (np.float64, np.bool_):
        return {"g": _encode(np.asarray(value), arrays, prefix)}  # a NumPy scalar of its class (float32, int32)
    if isinstance(value, StructArray):
        return {"T": list(value.shape), "f": list(value.fields),
                "i": [_encode(dict(v), arrays, prefix) for v in value]}
    if isinstance(value, Cell):
        return {"C": list(value.shape), "i": [_encode(v, arrays, prefix) for v in value]}
    if isinstance(value, Opaque):
        return {"o": value.matlab_class}
    if isinstance(value, np.ndarray) and value.dtype != object:
        arr = np.ascontiguousarray(value)
        digest = key_of(arr)  # identical arrays (the two forms' x, y_true, ... in one case) are stored once
        seen = arrays.setdefault("__seen__", {})
        if digest not in seen:
            seen[digest] = f"a{len(seen)}"
            arrays[seen[digest]] = arr.copy()
        return {"a": seen[digest]}
    if isinstance(value, Mapping):
        return {"d": [[str(k), _encode(v, arrays, prefix)] for k, v in value.items()]}
    if isinstance(value, np.ndarray):  # a cell array
        return {"c": list(value.shape), "i": [_encode(v, arrays, prefix) for v in np.ravel(value)]}
    if isinstance(value, (list, tuple)):
        return {"l": [_encode(v, arrays, prefix) for v in value]}
    if isinstance(value, (bool, np.bool_)):
        return {"b": bool(value)}
    if isinstance(value, (int, float, np.integer, np.floating)):
        return {"n": float(value)}
    if isinstance(value, str):
        return {"s": value}
    if value is None:
        return None
    raise TypeError(f"cannot store a {type(value).__name__}")


def _decode(tree: Any, arrays: Mapping[str, np.ndarray]) -> Any:  # noqa: PLR0911 (one return per kind)
    if tree is None:
        return None
    if "g" in tree:
        return _decode(tree["g"], arrays)[()]
    if "T" in tree:
        return StructArray([_decode(v, arrays) for v in tree["i"]], tree["T"], tree["f"])
    if "C" in tree:
        return Cell([_decode(v, arrays) for v in tree["i"]], tree["C"])
    if "o" in tree:
        return Opaque(tree["o"])
    if "a" in tree:
        return np.array(arrays[tree["a"]])
    if "d" in tree:
        return {k: _decode(v, arrays) for k, v in tree["d"]}
    if "c" in tree:
        cell = np.empty(int(np.prod(tree["c"])), dtype=object)
        for k, v in enumerate(tree["i"]):
            cell[k] = _decode(v, arrays)
        return cell.reshape(tree["c"])
    if "l" in tree:
        return [_decode(v, arrays) for v in tree["l"]]
    if "b" in tree:
        return bool(tree["b"])
    if "n" in tree:
        return float(tree["n"])
    return tree["s"]


# -- a store part on disk -------------------------------------------------------------------------------------

@dataclass
class Entry:
    """One recorded evaluation: what it was, which ``.m`` files it depends on, and Octave's result."""

    key: str
    kind: str
    spec: dict[str, Any]
    mfiles: dict[str, str]  # path (as recorded, relative to the store's base) -> SHA-256
    result: Any


@dataclass
class Part:
    """A store part: entries plus the provenance of the Octave that produced them."""

    path: Path  # without suffix: path.npz, path.json
    provenance: dict[str, Any] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Part:
        """Read a part; refused (:class:`StaleReference`) if of another format or if its ``.npz`` is not the one
        its ``.json`` was written with."""
        index, archive = path.with_suffix(".json"), path.with_suffix(".npz")
        meta = json.loads(index.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise StaleReference(f"the stored Octave results {index} have format "
                                 f"{meta.get('format')!r}, not {FORMAT}; regenerate them with {meta.get('regenerate')}.")
        blob = archive.read_bytes()  # read once: the bytes checked are the bytes loaded
        if hashlib.sha256(blob).hexdigest() != meta.get("npz_sha256"):
            raise StaleReference(f"the stored Octave results {archive} and {index} do not belong together ("
                                 f"{index.name} was written with another {archive.suffix}: a recording stopped between "
                                 f"the two files, or one was replaced); regenerate them with {meta.get('regenerate')}.")
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        part = cls(path, {k: v for k, v in meta.items() if k != "entries"})
        shared = meta.get("mfiles", {})
        for e in meta["entries"]:
            part.entries[e["key"]] = Entry(e["key"], e["kind"], e["spec"], {m: shared[m] for m in e["mfiles"]},
                                           _decode(e["result"], arrays))
        return part

    def save(self) -> None:
        """Write both files atomically (:func:`dlparity.fileio.write_atomic`): each whole, or the old one untouched.

        The ``.npz`` is written first and the ``.json`` names its SHA-256, so a failure between the two leaves
        a new ``.npz`` beside the old ``.json``, which :meth:`load` refuses instead of pairing them.
        """
        arrays: dict[str, Any] = {}
        entries: list[dict[str, Any]] = []
        for n, e in enumerate(sorted(self.entries.values(), key=lambda e: (e.kind, json.dumps(e.spec, sort_keys=True),
                                                                            e.key))):
            entries.append({"key": e.key, "kind": e.kind, "spec": e.spec, "mfiles": e.mfiles,
                            "result": _encode(e.result, arrays, f"e{n}_")})
        arrays.pop("__seen__", None)
        shared: dict[str, str] = {}
        for item in entries:  # each .m file's SHA-256 once per part; entries name the files they depend on
            shared.update(item["mfiles"])
            item["mfiles"] = sorted(item["mfiles"])
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        blob = buffer.getvalue()
        meta = {**self.provenance, "format": FORMAT, "npz_sha256": hashlib.sha256(blob).hexdigest(), "mfiles": shared}
        head = json.dumps(meta, indent=1)[:-2]
        body = ",\n".join(json.dumps(item, separators=(",", ":")) for item in entries)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        from dlparity.fileio import write_atomic  # noqa: PLC0415

        write_atomic(self.path.with_suffix(".npz"), lambda f: f.write(blob), overwrite=True, flag="the store")
        write_atomic(self.path.with_suffix(".json"),
                     lambda f: f.write(f'{head},\n "entries": [\n{body}\n ]\n}}\n'.encode()), overwrite=True,
                     flag="the store")


def changed_mfile(entry: Entry, base: Path) -> tuple[Path, str] | None:
    """The first ``.m`` file ``entry`` depends on that differs from when it was recorded, with ``"changed"`` or
    ``"is gone"``; None when every one is as recorded (paths relative to ``base``, the store's folder)."""
    for rel, sha in entry.mfiles.items():
        path = Path(rel) if Path(rel).is_absolute() else base / rel
        now = sha256_file(path) if path.is_file() else None
        if now != sha:
            return path, "is gone" if now is None else "changed"
    return None


def _octave_provenance(live: OctaveSide, regenerate: str) -> dict[str, Any]:
    from dlparity import __version__  # noqa: PLC0415

    def ask(*args: Any) -> str:
        try:
            return " ".join(str(live.call(*args)).split())
        except Exception:  # provenance is a label: never a reason to fail a recording
            return "?"

    return {
        "octave_version": ask("OCTAVE_VERSION"),
        "blas": ask("version", "-blas"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "recorded": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "package_version": __version__,
        "regenerate": regenerate,
    }


# -- the calls a store files and answers, one kind per Octave function ---------------------------------------

@dataclass(frozen=True)
class RecordedCall:
    """How the calls of one Octave function are filed in a store and answered from it.

    ``record(recorder, args, out)`` notes what a live call returned (:meth:`RecordingBridge.note`, as many
    entries as it holds cases); ``replay(stored, args)`` answers the same call from the store
    (:meth:`StoredBridge.find`), in the form the live call returns.
    """

    record: Callable[[RecordingBridge, tuple[Any, ...], Any], None]
    replay: Callable[[StoredBridge, tuple[Any, ...]], Any]


#: Octave function name -> how its calls are recorded and replayed. The pair mode's kind is here; the section 1
#: blocks' (``run_cases``) and training runs' (``train_sgd``) register themselves in :mod:`dlparity.blocks` and
#: :mod:`dlparity.training.runs`, which make those calls.
RECORDED_CALLS: dict[str, RecordedCall] = {}


def _not_recorded(_recorder: RecordingBridge, _args: tuple[Any, ...], _out: Any) -> None:
    """Calls that change nothing worth keeping (addpath) or that the store answers itself (the version)."""


RECORDED_CALLS["addpath"] = RecordedCall(_not_recorded, lambda _stored, _args: None)
RECORDED_CALLS["OCTAVE_VERSION"] = RecordedCall(_not_recorded, lambda stored, _args: stored.version)

#: Answers for a pair call that the store holds in another form (the document's own scripts, answered by the
#: recorded section 1 blocks: :mod:`dlparity.blocks`): ``answer(stored, kind, paths, case)``, None when it does not
#: apply.
PAIR_ANSWERS: list[Callable[[StoredBridge, str, list[Path], Mapping[str, Any]], Any]] = []


def _pair_paths(files: str | Sequence[str]) -> list[Path]:
    return [Path(f) for f in ([files] if isinstance(files, str) else files)]


def _pair_folders(args: tuple[Any, ...]) -> list[Path]:
    """The folders a pair call puts on Octave's path besides its files' own (``--path``; none before it existed)."""
    return [Path(f) for f in args[5]] if len(args) > 5 else []


def _record_pair(recorder: RecordingBridge, args: tuple[Any, ...], out: Any) -> None:
    kind, files, sent, words, outnames = args[:5]
    payload = wire.from_octave(sent, words)  # the cases as MATLAB received them (dlparity.values types): the key
    paths, folders = _pair_paths(files), _pair_folders(args)
    # the helpers beside it, and in the folders put on the path, count for freshness too
    folder_m = [p for folder in [f.parent for f in paths] + folders for p in folder.glob("*.m")]
    reply = wire.from_octave(str(out[0]), out[1])
    items = reply.get("results", []) if isinstance(reply, Mapping) else []
    temporary = any(_inside(p, Path(tempfile.gettempdir())) and not _inside(p, recorder.base) for p in paths)
    failed = not isinstance(reply, Mapping) or "error" in reply
    if failed or temporary:  # a file in a temporary folder of its own (a planted bug) does not outlive its test
        return
    seeded = _random_keys(args, len(payload))
    draws = _draw_rows(reply, len(payload))
    for case, item, random, drew in zip(payload, items, seeded, draws, strict=True):
        spec: dict[str, Any] = {"kind": kind, "files": [p.name for p in paths], "outputs": list(outnames)}
        if folders:
            spec["path"] = [_relative(f, recorder.base) for f in folders]
        if random is not None and sum(drew) > 0:  # a case that drew: filed under its mode and seed, with its counts
            spec["random"] = list(random)
            recorder.note(pair_key(kind, paths, case, outnames, recorder.base, folders, random), "pair", spec,
                          folder_m, {**item, _DRAWS: np.array(drew, dtype=np.float64)})
        else:
            recorder.note(pair_key(kind, paths, case, outnames, recorder.base, folders), "pair", spec, folder_m, item)


#: Where a stored case that drew keeps its draw counts beside its variables (no MATLAB variable comes back with
#: a ``dlparity_`` name: the runner leaves its own out).
_DRAWS = "dlparity_draws__"


def _random_keys(args: tuple[Any, ...], n: int) -> list[tuple[str, int] | None]:
    """Per case, (mode, seed) when the call seeded the cases (dlparity_run_mfile's seventh argument), else None."""
    if len(args) < 7:
        return [None] * n
    random = args[6]
    seeds = np.ravel(np.asarray(random["seeds"], dtype=np.float64)).tolist()
    return [(str(random["mode"]), int(s)) for s in seeds]


def _draw_rows(reply: Any, n: int) -> list[list[float]]:
    """Per case, [uniforms, normals] as the runner's reply gives them (zeros where it gives none)."""
    draws = reply.get("draws") if isinstance(reply, Mapping) else None
    if draws is None:
        return [[0.0, 0.0] for _ in range(n)]
    return np.asarray(draws, dtype=np.float64).reshape(n, 2).tolist()


def _replay_pair(stored: StoredBridge, args: tuple[Any, ...]) -> Any:
    kind, files, sent, words, outnames = args[:5]
    payload = wire.from_octave(sent, words)
    paths, folders = _pair_paths(files), _pair_folders(args)
    seeded = _random_keys(args, len(payload))
    results: list[Any] = []
    draws: list[list[float]] = []
    for k, case in enumerate(payload):
        answer = next((a for a in (answer(stored, kind, paths, case) for answer in PAIR_ANSWERS) if a is not None),
                      None)
        if answer is None:
            def key(base: Path, case: Any = case, random: tuple[str, int] | None = None) -> str:
                return pair_key(kind, paths, case, outnames, base, folders, random)

            answer = _replay_case(stored, key, seeded[k],
                                  f"{' then '.join(p.name for p in paths)} on case {k + 1} of these inputs")
        counts = answer.get(_DRAWS) if isinstance(answer, Mapping) else None
        draws.append([0.0, 0.0] if counts is None else np.ravel(np.asarray(counts, dtype=np.float64)).tolist())
        results.append({n: v for n, v in answer.items() if n != _DRAWS} if isinstance(answer, Mapping) else answer)
    reply = {"results": results} if len(args) < 7 else {"results": results, "draws": np.array(draws).reshape(-1, 2)}
    text, data = wire.encode(reply)
    return text, np.frombuffer(data, dtype=np.uint8).reshape(-1, 1)  # as Octave's dlparity_run_mfile answers


def _replay_case(stored: StoredBridge, key: Callable[..., str], seeded: tuple[str, int] | None, what: str) -> Any:
    """One case's stored result: a case that drew is filed under its mode and seed, one that did not without."""
    how = "or record it beside its test with 'pytest --dlparity-record' where Octave is installed"
    if seeded is None:
        return stored.find(key, what, how)
    try:
        return stored.find(partial(key, random=seeded), what, how)
    except NotRecorded:
        return stored.find(key, f"{what} (if it draws random numbers: from {seeded[0]} mode, seed {seeded[1]})", how)


RECORDED_CALLS["dlparity_run_mfile"] = RecordedCall(_record_pair, _replay_pair)


# -- recording ------------------------------------------------------------------------------------------------

class RecordingBridge:
    """A live bridge that notes every evaluation it makes, for a store part (an :class:`~dlparity.bridge.OctaveSide`).

    What each call is filed as, and which ``.m`` files it depends on, is its :data:`RECORDED_CALLS` kind; their
    SHA-256 is recorded beside it (paths relative to ``base``, the folder the store is read against).
    """

    source = "live"

    def __init__(self, live: OctaveBridge, base: Path, regenerate: str) -> None:
        self.live = live
        self.base = base
        self.regenerate = regenerate
        self.entries: dict[str, Entry] = {}

    def __getattr__(self, name: str) -> Any:  # session(), pid(), timeout ... of the live bridge
        return getattr(self.live, name)

    def describe(self) -> dict[str, Any]:
        return dict(self.live.describe())

    def _shas(self, paths: Iterable[Path]) -> dict[str, str]:
        out = {}
        for p in sorted(set(paths)):
            out[Path(os.path.relpath(p.resolve(), self.base.resolve())).as_posix()] = sha256_file(p)
        return out

    def note(self, key: str, kind: str, spec: dict[str, Any], mfiles: Iterable[Path], result: Any) -> None:
        """File one evaluation under ``key``, with the SHA-256 of the ``.m`` files it depends on."""
        self.entries[key] = Entry(key, kind, spec, self._shas(mfiles), result)

    def call(self, func: str, *args: Any, **kwargs: Any) -> Any:
        out = self.live.call(func, *args, **kwargs)
        recorded = RECORDED_CALLS.get(func)
        if recorded is not None:
            recorded.record(self, args, out)
        return out

    def part(self, path: Path) -> Part:
        """The recorded entries as a store part with this Octave's provenance."""
        return Part(path, _octave_provenance(self.live, self.regenerate), dict(self.entries))


def pair_key(kind: str, files: Sequence[Path], case: Any, outnames: Sequence[str], base: Path,
             folders: Sequence[Path] = (), random: tuple[str, int] | None = None) -> str:
    """The key of one pair case: how the file is run, where it and the folders put on the path are relative to the
    record's folder (not their content: that is the freshness check), the inputs; for a case that drew random
    numbers, the mode and the seed its generators started from as well."""
    where = [_relative(f, base) for f in files]
    parts: list[Any] = ["dlparity_run_mfile", kind, where, case, list(outnames)]
    if folders:  # keys without --path stay as they were
        parts.append([_relative(f, base) for f in folders])
    if random is not None:  # and so do those of cases that drew nothing
        parts += ["random", random[0], random[1]]
    return key_of(*parts)


def _relative(path: Path | str, base: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), base.resolve())).as_posix()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


# -- answering from a store ---------------------------------------------------------------------------------

class StoredBridge:
    """Answers the calls a live bridge would, from recorded results: the Octave side where Octave is missing
    (an :class:`~dlparity.bridge.OctaveSide`).

    Parameters
    ----------
    parts : sequence of (Path, Path)
        Each store part (path without suffix) with the folder its recorded ``.m`` paths are relative to.
    why : str
        Why the store is used (named in the errors: "Octave was not found on PATH …").
    """

    source = "stored"

    def __init__(self, parts: Sequence[tuple[Path, Path]], why: str = "") -> None:
        self.why = why
        self.parts: list[tuple[Part, Path]] = []
        for path, base in parts:
            if path.with_suffix(".json").is_file():
                self.parts.append((Part.load(path), base))

    @property
    def available(self) -> bool:
        return bool(self.parts)

    @property
    def version(self) -> str:
        return self.parts[0][0].provenance.get("octave_version", "?") if self.parts else "?"

    @property
    def recorded(self) -> str:
        return self.parts[0][0].provenance.get("recorded", "?") if self.parts else "?"

    def describe(self) -> dict[str, Any]:
        """The ``"octave"`` field of ``--json``."""
        return {"source": "stored", "version": self.version, "recorded": self.recorded,
                "blas": self.parts[0][0].provenance.get("blas", "?") if self.parts else "?"}

    def session(self) -> StoredBridge:
        return self

    def close(self) -> None:
        """Nothing to stop."""

    def find(self, key: str | Callable[[Path], str], what: str, record: str) -> Any:
        """The recorded result under ``key`` (or ``key(base)`` per part), refused if stale or not recorded; ``what``
        and ``record`` name the evaluation and how to record it in the sentence."""
        for part, base in self.parts:
            entry = part.entries.get(key if isinstance(key, str) else key(base))
            if entry is None:
                continue
            stale = changed_mfile(entry, base)
            if stale is not None:
                path, change = stale
                raise StaleReference(
                    f"the stored Octave result for {what} is stale: {path} {change} since it was recorded "
                    f"({part.provenance.get('recorded', '?')}); regenerate it with "
                    f"{part.provenance.get('regenerate', record)} (needs GNU Octave).")
            return entry.result
        why = f" ({self.why})" if self.why else ""
        raise NotRecorded(f"GNU Octave is not available{why} and the stored Octave results do not hold {what}; "
                          f"install GNU Octave to compare it ({record}).")

    def call(self, func: str, *args: Any, **kwargs: Any) -> Any:
        del kwargs  # nout, stream_handler: a stored answer is whole, and prints nothing
        recorded = RECORDED_CALLS.get(func)
        if recorded is None:
            raise NotRecorded(f"GNU Octave is not available ({self.why}) and a stored result cannot answer the Octave "
                              f"call {func}; install Octave.")
        return recorded.replay(self, args)


def package_store(why: str = "") -> StoredBridge:
    """The package's own store (section 1 blocks and training runs), read against the installed ``.m`` files."""
    return StoredBridge(_package_parts(), why)


def _package_parts() -> list[tuple[Path, Path]]:
    """The package's own store parts, read against the installed ``.m`` files; the kinds of call they hold (the
    section 1 blocks, the training runs) are registered by importing the modules that make them."""
    import dlparity.blocks  # noqa: PLC0415
    import dlparity.training.runs  # noqa: F401, PLC0415
    from dlparity.bridge import matlab_ref_dir  # noqa: PLC0415

    base = matlab_ref_dir()
    return [(PACKAGE_STORE / name, base) for name in ("section1", "training")]


#: Name of the folder, beside a test file (or a pair's .m file), that holds its recorded Octave results.
REFERENCE_FOLDER = "dlparity_reference"


def reference_parts(folder: Path) -> list[tuple[Path, Path]]:
    """Every part in a ``dlparity_reference/`` folder, read against the folder's parent."""
    if not folder.is_dir():
        return []
    return [(p.with_suffix(""), folder.parent) for p in sorted(folder.glob("*.json"))]


def octave_for_comparison(folders: Sequence[Path] = ()) -> OctaveSide:
    """Live Octave when it starts, else the stored results (the package's, plus ``folders``' parts).

    ``DLPARITY_OCTAVE=stored`` uses the store even where Octave is installed (to check what a
    machine without Octave would see); ``DLPARITY_OCTAVE=live`` never falls back.
    """
    from dlparity.bridge import get_bridge  # noqa: PLC0415
    from dlparity.validation import InputError  # noqa: PLC0415

    mode = os.environ.get("DLPARITY_OCTAVE", "auto") or "auto"
    if mode not in ("auto", "live", "stored"):
        raise InputError(f"DLPARITY_OCTAVE is {mode!r}; expected auto, live or stored.")
    if mode != "stored":
        bridge = get_bridge()
        try:
            bridge.session()
            return bridge
        except OctaveUnavailable as exc:
            if mode == "live":
                raise
            why = str(exc).rstrip(".")
    else:
        why = "DLPARITY_OCTAVE=stored"
    parts = _package_parts()
    for folder in folders:
        parts += reference_parts(folder)
    stored = StoredBridge(parts, why)
    if not stored.available:
        raise OctaveUnavailable(f"{why}, and there are no stored Octave results to use instead.")
    return stored
