"""Save and load fitted objects without pickle: a file you are given is data, never code.

A pickle names callables that run while it loads, so a crafted model file runs
any command. This format only names classes, and loading an object only calls
``cls.__new__(cls)`` and then fills ``__dict__`` (or passes the decoded plain
attributes to the ``__setstate__`` the installed class itself defines): no
``__reduce__``, nothing callable taken from the file, no ``eval``. A class is
resolved only from an allowlist of module roots (:data:`ALLOWED_MODULES`) and
only if the name is a class; a function or any other object named in a file
is refused.

The file is a zip holding two members:

``state.json``
    ``{"format": "secgen-bench-state", "version": 1, "root": TREE}``. TREE is
    JSON: a JSON list is a Python list, and every JSON object is a tagged value
    with exactly one key ``"__<tag>__"``. Containers: ``dict`` (string keys),
    ``pairs`` (other keys), ``odict``, ``tuple``, ``namedtuple``, ``set``,
    ``frozenset``, ``range``, ``deque``; ``float`` (nan, inf). numpy: ``array``
    (a member of ``arrays.npz``), ``strarray`` (an object array of str, stored
    as a unicode array), ``objarray`` (shape and encoded items), ``npscalar``,
    ``dtype``, ``randomstate``, ``npgenerator``. pandas: ``frame``, ``series``,
    ``index``, ``categorical``, ``extarray``, ``pddtype``, ``pdmissing`` (NA,
    NaT), ``timestamp``, ``timedelta``. torch: ``tensor``, ``parameter`` (CPU
    arrays with their dtype), ``torchdtype``, ``torchdevice`` (always cpu).
    Python: ``pyrandom``, ``faker`` (its locales only), ``enum``, ``type``,
    ``object`` (``{"class": "module:QualName", "id": n, "state": {...}}``) and
    ``ref`` (a second reference to object or tensor ``n``, so shared ones stay
    shared and cycles survive).
``arrays.npz``
    every numeric, boolean, string or datetime array, read with
    ``allow_pickle=False``.

Anything that cannot be encoded (a function, a lambda, an open file, an object
of a class outside the allowlist) raises a TypeError naming its attribute path
at save time. A pickle (first byte 0x80) is refused with a one-line ValueError
saying how to regenerate the file.
"""
from __future__ import annotations

import collections
import enum
import functools
import importlib
import io
import json
import math
import os
import random
import tempfile
import types
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMAT = "secgen-bench-state"
VERSION = 1
STATE_MEMBER = "state.json"
ARRAYS_MEMBER = "arrays.npz"

#: module roots whose classes a file may name: what saving each built-in model showed it needs
#: (torch.nn, and sdv -> rdt, ctgan, sklearn for TVAE/CTGAN, hmmlearn for hmm), plus numpy/pandas types
ALLOWED_MODULES = ("secgen_bench", "numpy", "pandas", "torch.nn", "sklearn", "sdv", "rdt", "ctgan", "hmmlearn")

PICKLE_HINT = ("pickle files are no longer loaded (they can run code); "
               "refit and save again with secgen-bench generate --save-model")


# ---- saving -------------------------------------------------------------------------------------------------
def save_state(obj: Any, path: str | Path, *, also_allow: tuple[str, ...] = ()) -> None:
    """Write ``obj`` to ``path`` (atomically) in the format above; TypeError names what cannot be saved.

    ``also_allow``: module roots allowed beside :data:`ALLOWED_MODULES` (a plugin's own package)."""
    encoder = _Encoder(tuple(also_allow))
    root = encoder.encode(obj, type(obj).__name__)
    state = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False).encode()
    arrays = io.BytesIO()
    np.savez(arrays, **encoder.arrays)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(STATE_MEMBER, state)
            zf.writestr(ARRAYS_MEMBER, arrays.getvalue())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class _Encoder:
    def __init__(self, extra: tuple[str, ...]) -> None:
        self.extra = extra
        self.arrays: dict[str, np.ndarray] = {}
        self.memo: dict[int, int] = {}
        self.keep: list[Any] = []        # keeps memoised objects alive so their ids stay unique

    def array(self, arr: np.ndarray) -> str:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return key

    def encode(self, x: Any, where: str) -> Any:
        if x is None or type(x) in (bool, str, int):
            return x
        if type(x) is float:
            return x if math.isfinite(x) else {"__float__": repr(x)}
        if isinstance(x, (enum.Enum,)):
            return {"__enum__": [_class_name(type(x), where, self.extra), self.encode(x.value, f"{where}.value")]}
        t = type(x)
        if t is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)]
        if t is tuple:
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)]}
        if t is range:
            return {"__range__": [x.start, x.stop, x.step]}
        if t is collections.deque:
            return {"__deque__": [[self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)], x.maxlen]}
        if isinstance(x, tuple) and hasattr(t, "_fields"):
            return {"__namedtuple__": [_class_name(t, where, self.extra), [self.encode(v, f"{where}.{f}") for f, v in
                                                                zip(t._fields, x)]]}
        if t in (set, frozenset):
            items = sorted(x, key=repr)
            return {f"__{t.__name__}__": [self.encode(v, f"{where}{{}}") for v in items]}
        if t is dict and all(type(k) is str for k in x):
            return {"__dict__": {k: self.encode(v, f"{where}[{k!r}]") for k, v in x.items()}}
        if t is dict or t is collections.OrderedDict:
            return {"__odict__" if t is collections.OrderedDict else "__pairs__":
                    [[self.encode(k, f"{where}.key"), self.encode(v, f"{where}[{k!r}]")] for k, v in x.items()]}
        if isinstance(x, type):
            return {"__type__": _class_name(x, where, self.extra)}
        if isinstance(x, np.ndarray):
            return self.ndarray(x, where)
        if isinstance(x, np.generic):
            if x.dtype.kind == "O":
                raise TypeError(f"{where}: cannot save a numpy object scalar")
            return {"__npscalar__": self.array(np.asarray(x))}
        if isinstance(x, np.dtype):
            if x.kind == "O" or x.fields is None:
                return {"__dtype__": x.str if x.kind != "O" else "O"}
            raise TypeError(f"{where}: cannot save a structured dtype")
        if isinstance(x, pd.api.extensions.ExtensionDtype):
            if isinstance(x, pd.CategoricalDtype):
                cats = None if x.categories is None else self.encode(x.categories, f"{where}.categories")
                return {"__pddtype__": {"categories": cats, "ordered": bool(x.ordered)}}
            return {"__pddtype__": {"name": str(x)}}
        if x is pd.NA or x is pd.NaT:
            return {"__pdmissing__": "NA" if x is pd.NA else "NaT"}
        if isinstance(x, pd.Timestamp):
            return {"__timestamp__": [int(x.value), x.unit, None if x.tz is None else str(x.tz)]}
        if isinstance(x, pd.Timedelta):
            return {"__timedelta__": [int(x.value), x.unit]}
        if isinstance(x, pd.DataFrame):
            return {"__frame__": {"columns": self.encode(x.columns, f"{where}.columns"),
                                  "index": self.encode(x.index, f"{where}.index"),
                                  "data": [self.values(x.iloc[:, i], f"{where}[{c!r}]")
                                           for i, c in enumerate(x.columns)]}}
        if isinstance(x, pd.Series):
            return {"__series__": {"values": self.values(x, where), "index": self.encode(x.index, f"{where}.index"),
                                   "name": self.encode(x.name, f"{where}.name")}}
        if isinstance(x, pd.Index):
            return self.index(x, where)
        if isinstance(x, pd.Categorical):
            return {"__categorical__": {"codes": self.ndarray(np.asarray(x.codes), where),
                                        "dtype": self.encode(x.dtype, where)}}
        if isinstance(x, pd.api.extensions.ExtensionArray):
            return {"__extarray__": {"dtype": str(x.dtype),
                                     "values": self.ndarray(np.asarray(x, dtype=object), where)}}
        if isinstance(x, np.random.RandomState):
            name, keys, pos, has_gauss, gauss = x.get_state()
            return {"__randomstate__": [name, self.ndarray(keys, where), int(pos), int(has_gauss), float(gauss)]}
        if type(x) is random.Random:
            version, internal, gauss = x.getstate()
            return {"__pyrandom__": [int(version), list(internal), gauss]}
        if isinstance(x, np.random.Generator):
            return {"__npgenerator__": self.encode(x.bit_generator.state, where)}
        if type(x).__module__ == "faker.proxy" and type(x).__name__ == "Faker":   # rdt's unused 'pii' default
            return {"__faker__": [str(loc) for loc in x.locales]}
        torch_value = self.torch(x, where)
        if torch_value is not None:
            return torch_value
        return self.object(x, where)

    def ndarray(self, x: np.ndarray, where: str) -> Any:
        if x.dtype.kind == "O" and x.size and all(type(v) is str and not v.endswith("\x00") for v in x.flat):
            return {"__strarray__": self.array(x.astype(str))}
        if x.dtype.kind == "O":
            return {"__objarray__": {"shape": list(x.shape),
                                     "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x.ravel())]}}
        if x.dtype.fields is not None:
            raise TypeError(f"{where}: cannot save a structured array")
        return {"__array__": self.array(np.ascontiguousarray(x))}

    def values(self, s: pd.Series, where: str) -> Any:
        values = s.array if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) else s.to_numpy()
        if isinstance(values, pd.arrays.NumpyExtensionArray):
            values = values.to_numpy()
        return self.encode(values, where)

    def index(self, x: pd.Index, where: str) -> Any:
        if isinstance(x, pd.RangeIndex):
            return {"__index__": {"range": [x.start, x.stop, x.step], "name": self.encode(x.name, where)}}
        if isinstance(x, pd.MultiIndex):
            return {"__index__": {"levels": [self.encode(lv, f"{where}.levels") for lv in x.levels],
                                  "codes": [self.ndarray(np.asarray(c), where) for c in x.codes],
                                  "names": self.encode(list(x.names), where)}}
        values = x.array if isinstance(x.dtype, pd.api.extensions.ExtensionDtype) else x.to_numpy()
        if isinstance(values, pd.arrays.NumpyExtensionArray):
            values = values.to_numpy()
        return {"__index__": {"values": self.encode(values, where), "dtype": self.encode(x.dtype, where),
                              "name": self.encode(x.name, where)}}

    def torch(self, x: Any, where: str) -> Any:
        import sys

        torch = sys.modules.get("torch")
        if torch is None:
            return None
        if isinstance(x, torch.dtype):
            return {"__torchdtype__": str(x).removeprefix("torch.")}
        if isinstance(x, torch.device):
            return {"__torchdevice__": "cpu"}
        if isinstance(x, torch.Tensor):
            if id(x) in self.memo:
                return {"__ref__": self.memo[id(x)]}
            self.memo[id(x)] = n = len(self.memo)
            self.keep.append(x)
            t = x.detach().cpu()
            arr = (t.float() if t.dtype == torch.bfloat16 else t).numpy()
            body = {"id": n, "array": self.array(np.ascontiguousarray(arr)),
                    "dtype": str(t.dtype).removeprefix("torch."), "requires_grad": bool(x.requires_grad)}
            return {"__parameter__" if isinstance(x, torch.nn.Parameter) else "__tensor__": body}
        return None

    def object(self, x: Any, where: str) -> Any:
        if id(x) in self.memo:
            return {"__ref__": self.memo[id(x)]}
        cls = type(x)
        if isinstance(x, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools.partial)):
            raise TypeError(f"{where}: cannot save the function {getattr(x, '__qualname__', x)!r} (code, not data)")
        name = _class_name(cls, where, self.extra)
        slots = [s for c in cls.__mro__ for s in _slot_names(c) if s not in ("__dict__", "__weakref__")]
        if not hasattr(x, "__dict__") or slots:
            raise TypeError(f"{where}: cannot save a {name} (its state is not in __dict__)")
        self.memo[id(x)] = n = len(self.memo)
        self.keep.append(x)
        raw = x.__getstate__() if _own_method(cls, "__getstate__", self.extra) else vars(x)
        if not isinstance(raw, dict) or not all(type(k) is str for k in raw):
            raise TypeError(f"{where}: cannot save a {name} (its __getstate__ gives no attribute mapping)")
        state = {k: self.encode(v, f"{where}.{k}") for k, v in raw.items()}
        return {"__object__": {"class": name, "id": n, "state": state}}


def _own_method(cls: type, name: str, extra: tuple[str, ...] = ()) -> bool:
    """True when an allowlisted class of the MRO (not ``object``) defines ``name``: installed code, never the file's."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass is not object and _allowed(klass.__module__, extra)
    return False


def _slot_names(cls: type) -> tuple[str, ...]:
    slots = cls.__dict__.get("__slots__", ())
    return (slots,) if isinstance(slots, str) else tuple(slots)


def _class_name(cls: type, where: str, extra: tuple[str, ...] = ()) -> str:
    module, qual = cls.__module__, cls.__qualname__
    if "<locals>" in qual or not _allowed(module, extra):
        raise TypeError(f"{where}: cannot save a {module}.{qual} (only classes of "
                        f"{', '.join(ALLOWED_MODULES + extra)} can be saved)")
    return f"{module}:{qual}"


def _allowed(module: str, extra: tuple[str, ...] = ()) -> bool:
    return any(module == root or module.startswith(root + ".") for root in ALLOWED_MODULES + extra)


# ---- loading ------------------------------------------------------------------------------------------------
def load_state(path: str | Path, expected_type: type = object, *, also_allow: tuple[str, ...] = ()) -> Any:
    """Read a file written by :func:`save_state`; a one-line ValueError for anything else.

    ``also_allow``: module roots whose classes the file may name beside :data:`ALLOWED_MODULES`."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:1] == b"\x80":
        raise ValueError(f"{path}: {PICKLE_HINT}")
    if head != b"PK\x03\x04":
        raise ValueError(f"{path}: not a secgen-bench model file (expected a zip with {STATE_MEMBER})")
    try:
        with zipfile.ZipFile(path) as zf:
            doc = json.loads(zf.read(STATE_MEMBER))
            with np.load(io.BytesIO(zf.read(ARRAYS_MEMBER)), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, RecursionError) as exc:
        raise ValueError(f"{path}: not a readable secgen-bench model file ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{path}: not a secgen-bench model file ({STATE_MEMBER} has no format {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise ValueError(f"{path}: model file version {doc.get('version')!r}, this secgen-bench reads {VERSION}")
    try:
        obj = _Decoder(arrays, tuple(also_allow)).decode(doc.get("root"))
    except StateError as exc:
        raise ValueError(f"{path}: {exc}") from None
    except (KeyError, IndexError, TypeError, AttributeError, RecursionError) as exc:
        raise ValueError(f"{path}: damaged model file ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    if not isinstance(obj, expected_type):
        raise ValueError(f"{path}: holds a {type(obj).__name__}, not a {expected_type.__name__}")
    return obj


class StateError(ValueError):
    """A state file names something it may not (a non-class, a module outside the allowlist)."""


def resolve_class(name: str, extra: tuple[str, ...] = ()) -> type:
    """``module:QualName`` -> the class, only from :data:`ALLOWED_MODULES` (and ``extra``) and only if it is
    a class."""
    if not isinstance(name, str) or ":" not in name:
        raise StateError(f"bad class name {name!r}")
    module, _, qual = name.partition(":")
    if not _allowed(module, extra):
        raise StateError(f"refusing class {name!r}: module {module!r} is not one a model may name")
    try:
        obj: Any = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise StateError(f"class {name!r} does not exist in this installation") from None
    if not isinstance(obj, type):
        raise StateError(f"refusing {name!r}: it is a {type(obj).__name__}, not a class")
    if obj.__qualname__ != qual or not _allowed(obj.__module__, extra):   # e.g. "allowed.module:os.SomeClass"
        raise StateError(f"refusing {name!r}: that name leads to {obj.__module__}.{obj.__qualname__}")
    return obj


def _import_torch():
    """torch for a file that holds tensors; without it (the core install) a one-line error naming the extra."""
    try:
        import torch
    except ImportError:
        raise StateError("the model holds torch tensors and torch is not installed "
                         "(pip install 'secgen-bench[torch]')") from None
    return torch


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray], extra: tuple[str, ...]):
        self.arrays = arrays
        self.extra = extra
        self.memo: dict[int, Any] = {}

    def decode(self, x: Any) -> Any:
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        if isinstance(x, list):
            return [self.decode(v) for v in x]
        if not isinstance(x, dict) or len(x) != 1:
            raise StateError(f"unexpected value {str(x)[:60]!r}")
        (tag, body), = x.items()
        handler = getattr(self, f"tag_{tag.strip('_')}", None) if tag.startswith("__") and tag.endswith("__") else None
        if handler is None:
            raise StateError(f"unknown tag {tag!r}")
        return handler(body)

    # containers
    def tag_dict(self, body):
        return {k: self.decode(v) for k, v in body.items()}

    def tag_pairs(self, body):
        return {self.decode(k): self.decode(v) for k, v in body}

    def tag_odict(self, body):
        return collections.OrderedDict((self.decode(k), self.decode(v)) for k, v in body)

    def tag_tuple(self, body):
        return tuple(self.decode(v) for v in body)

    def tag_set(self, body):
        return {self.decode(v) for v in body}

    def tag_frozenset(self, body):
        return frozenset(self.decode(v) for v in body)

    def tag_range(self, body):
        return range(*[int(v) for v in body])

    def tag_deque(self, body):
        return collections.deque(self.decode(body[0]), None if body[1] is None else int(body[1]))

    def tag_float(self, body):
        if body not in ("nan", "inf", "-inf"):
            raise StateError(f"bad float {body!r}")
        return float(body)

    # numpy
    def tag_array(self, body):
        return self.arrays[body]

    def tag_strarray(self, body):
        return self.arrays[body].astype(object)

    def tag_objarray(self, body):
        out = np.empty(len(body["items"]), dtype=object)
        for i, v in enumerate(body["items"]):
            out[i] = self.decode(v)
        return out.reshape(body["shape"])

    def tag_npscalar(self, body):
        return self.arrays[body][()]

    def tag_dtype(self, body):
        return np.dtype(str(body))

    def tag_randomstate(self, body):
        rs = np.random.RandomState()
        name, keys, pos, has_gauss, gauss = body
        rs.set_state((str(name), self.decode(keys), int(pos), int(has_gauss), float(gauss)))
        return rs

    def tag_faker(self, body):
        from faker import Faker
        from faker.config import AVAILABLE_LOCALES

        locales = [str(loc) for loc in body]
        if not locales or any(loc not in AVAILABLE_LOCALES for loc in locales):
            raise StateError(f"unknown faker locale in {locales!r}")
        return Faker(locales)

    def tag_pyrandom(self, body):
        version, internal, gauss = body
        rng = random.Random()
        rng.setstate((int(version), tuple(int(v) for v in internal), None if gauss is None else float(gauss)))
        return rng

    def tag_npgenerator(self, body):
        state = self.decode(body)
        bitgen_cls = getattr(np.random, str(state["bit_generator"]), None)
        if not (isinstance(bitgen_cls, type) and issubclass(bitgen_cls, np.random.BitGenerator)):
            raise StateError(f"unknown bit generator {state['bit_generator']!r}")
        bitgen = bitgen_cls()
        bitgen.state = state
        return np.random.Generator(bitgen)

    # pandas
    def tag_pddtype(self, body):
        if "name" in body:
            return pd.api.types.pandas_dtype(str(body["name"]))
        cats = body["categories"]
        return pd.CategoricalDtype(None if cats is None else self.decode(cats), ordered=bool(body["ordered"]))

    def tag_pdmissing(self, body):
        if body not in ("NA", "NaT"):
            raise StateError(f"bad pandas missing value {body!r}")
        return pd.NA if body == "NA" else pd.NaT

    def tag_timestamp(self, body):
        value, unit, tz = body
        return pd.Timestamp(int(value), tz=tz).as_unit(str(unit))

    def tag_timedelta(self, body):
        value, unit = body
        return pd.Timedelta(int(value)).as_unit(str(unit))

    def tag_categorical(self, body):
        return pd.Categorical.from_codes(self.decode(body["codes"]), dtype=self.decode(body["dtype"]))

    def tag_extarray(self, body):
        return pd.array(self.decode(body["values"]), dtype=pd.api.types.pandas_dtype(str(body["dtype"])))

    def tag_index(self, body):
        if "range" in body:
            return pd.RangeIndex(*[int(v) for v in body["range"]], name=self.decode(body["name"]))
        if "levels" in body:
            return pd.MultiIndex(levels=[self.decode(lv) for lv in body["levels"]],
                                 codes=[self.decode(c) for c in body["codes"]], names=self.decode(body["names"]))
        return pd.Index(self.decode(body["values"]), dtype=self.decode(body["dtype"]), name=self.decode(body["name"]))

    def tag_series(self, body):
        return pd.Series(self.decode(body["values"]), index=self.decode(body["index"]), name=self.decode(body["name"]),
                         copy=False)

    def tag_frame(self, body):
        columns = self.decode(body["columns"])
        data = {i: self.decode(v) for i, v in enumerate(body["data"])}
        frame = pd.DataFrame(data, index=self.decode(body["index"]), copy=False)
        frame.columns = columns
        return frame

    # torch
    def tag_torchdtype(self, body):
        torch = _import_torch()
        dtype = getattr(torch, str(body), None)
        if not isinstance(dtype, torch.dtype):
            raise StateError(f"unknown torch dtype {body!r}")
        return dtype

    def tag_torchdevice(self, body):
        torch = _import_torch()
        return torch.device("cpu")

    def tag_tensor(self, body, parameter: bool = False):
        torch = _import_torch()
        arr = self.arrays[body["array"]]
        t = torch.from_numpy(arr.copy()).to(self.tag_torchdtype(body["dtype"]))
        t = torch.nn.Parameter(t, requires_grad=bool(body["requires_grad"])) if parameter else \
            t.requires_grad_(bool(body["requires_grad"]))
        self.memo[int(body["id"])] = t
        return t

    def tag_parameter(self, body):
        return self.tag_tensor(body, parameter=True)

    # classes and objects
    def tag_ref(self, body):
        return self.memo[int(body)]

    def tag_type(self, body):
        return resolve_class(body, self.extra)

    def tag_namedtuple(self, body):
        cls = resolve_class(body[0], self.extra)
        if not (issubclass(cls, tuple) and hasattr(cls, "_fields")):
            raise StateError(f"refusing {body[0]!r}: not a named tuple")
        return cls._make(self.decode(v) for v in body[1])

    def tag_enum(self, body):
        cls = resolve_class(body[0], self.extra)
        if not issubclass(cls, enum.Enum):
            raise StateError(f"refusing {body[0]!r}: not an Enum")
        return cls(self.decode(body[1]))

    def tag_object(self, body):
        cls = resolve_class(body["class"], self.extra)
        obj = cls.__new__(cls)
        self.memo[int(body["id"])] = obj
        state = body["state"]
        if not isinstance(state, dict):
            raise StateError(f"state of {body['class']!r} is not a mapping")
        decoded = {str(k): self.decode(v) for k, v in state.items()}
        if _own_method(cls, "__setstate__", self.extra):
            obj.__setstate__(decoded)
        else:
            obj.__dict__.update(decoded)
        return obj
