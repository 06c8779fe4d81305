"""Faster, leaner unpickling for the frozen, slotted dataclasses the matcher cache holds by the hundred thousand.

Pickle rebuilds such a dataclass through `dataclasses`' own `__setstate__`, which looks up the class's fields again
for every object, and reads its state as a tuple. A `cls(*values)` reduction reads an argument tuple instead. The
unpickler keeps every tuple it read in its memo until the whole load ends, so either way each object left one dead
tuple behind, interleaved with the objects that stay: 123 MB of freed blocks the allocator could not return, in a
matcher of the 10x corpus (`sys._debugmallocstats`), a sixth of what the process kept; 24 MB on the real lists.

So an instance is pickled as "a new, empty instance of a loading subclass, then its field values appended":
`object.__new__` with an argument tuple that every instance of the class shares (memoized once), then APPENDS,
for which the unpickler hands the values to the instance's `extend` in a list it drops at once. `extend` sets the
slots and turns the instance into the class itself. Nothing is left behind, and it loads faster than calling the
class: no generated `__init__` with its frozen `object.__setattr__` calls. The matcher with its text view, loaded
in a fresh process: real lists 0.41 -> 0.32 s and 220 -> 196 MB; 10x corpus 2.0-2.3 -> 1.6 s and 757 -> 616 MB.
The public classes get no mutating method: `extend` exists on the loading subclass only. An object loads equal
to, and of the same class as, the one dumped (tests/model/test_pickling.py).
"""

from __future__ import annotations

import copy
import dataclasses
import operator
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_set_class = object.__setattr__  # frozen dataclasses refuse their own __setattr__, __class__ included


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Class decorator (above `@dataclass(slots=True)`): pickle instances as their field values, set straight into
    the slots of a new instance. Only for dataclasses whose `__init__` takes every field and does nothing else (no
    `__post_init__`, no init=False fields), so that setting the fields makes the same object."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or not all(f.init for f in fields):
        raise TypeError(f"{cls.__name__}: __init__ does more than set its fields")
    if "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: needs slots (dataclass(slots=True))")
    names = [f.name for f in fields]
    get: Callable[[Any], Any] = operator.attrgetter(*names)
    if len(names) == 1:
        one = get
        get = lambda obj: (one(obj),)  # noqa: E731  (attrgetter of one name returns the value, not a tuple)
    loading = _loading_class(cls, names)
    new_args = (loading,)  # one tuple for every instance: pickled once, then referenced from the memo

    def __reduce__(self: Any) -> tuple[Any, ...]:
        return object.__new__, new_args, None, iter(get(self))

    # copy's protocol would call `append` for each value; an immutable object is its own copy
    def __copy__(self: T) -> T:
        return self

    def __deepcopy__(self: Any, memo: dict[int, Any]) -> Any:
        return cls(*copy.deepcopy(get(self), memo))

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    cls.__copy__ = __copy__  # type: ignore[attr-defined]
    cls.__deepcopy__ = __deepcopy__  # type: ignore[attr-defined]
    return cls


def _loading_class(cls: type[Any], names: list[str]) -> type[Any]:
    """`cls`'s loading subclass, importable from this module (the pickle names it): the same slots, plus `extend`,
    which sets them all and makes the instance a `cls`. Its body is generated, one line per field, as dataclasses
    generate `__init__`: a loop over the fields took 11 % longer to load the real lists."""
    scope: dict[str, Any] = {f"set_{i}": cls.__dict__[n].__set__ for i, n in enumerate(names)}  # slot descriptors
    scope.update(cls=cls, count=len(names), set_class=_set_class)
    lines = [f"    set_{i}(self, values[{i}])" for i in range(len(names))]
    source = (
        "def extend(self, values):\n"
        "    if len(values) != count:\n"
        "        raise TypeError(f'{cls.__name__}: {count} field values expected, got {len(values)}')\n"
        + "\n".join(lines)
        + "\n    set_class(self, '__class__', cls)\n"
    )
    exec(source, scope)  # noqa: S102  (our own text, made from the class's field names)
    name = f"_Loading_{cls.__module__.replace('.', '_')}_{cls.__qualname__.replace('.', '_')}"
    loading = type(name, (cls,), {"__slots__": (), "extend": scope["extend"], "__module__": __name__})
    loading.__qualname__ = name
    setattr(sys.modules[__name__], name, loading)
    return loading
