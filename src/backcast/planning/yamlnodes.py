"""Plan-file text to plain data, keeping a way back to the line of every value.

The plan-file reader (:mod:`backcast.planning.planfile`) checks plain data (dicts, lists, text,
numbers, true/false, null) and names faults by their place, a path such as
``("milestones", 3, "after", 0)``. This module turns text into that data and, through
:class:`Lines`, answers "which line is this place on?" by walking the YAML node tree, composed
again only when a message needs a line (a big file's tree is millions of objects).

YAML is parsed by libyaml and built into data as PyYAML's safe loader would, less its surprises:
dates stay text (the reader parses them, so ``2027-02-30`` is a fault it can name, not a crash),
a key written twice is a fault (PyYAML keeps the last one silently), tags a plan has no use for
(``!!set``, ``!!binary``, ``!custom``) are faults, and an integer written unlike Python would
(``010``, ``1_000``) remembers its spelling, so an id keeps what the user typed. YAML 1.1 types
are kept otherwise (``no`` is false, ``1e5`` is text), as every other YAML tool in Python reads
them. JSON is read with :mod:`json` (exact JSON numbers); its lines come from the same node walk,
since JSON text is nearly always YAML flow text, and are unknown when it is not.

Pure: text in, data out; no file I/O. The cyclic garbage collector is paused while a big tree is
built (see :func:`paused_gc`) and restored after.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + kind for kind in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE, _TIMESTAMP = (_TAG + kind for kind in ("map", "seq", "merge", "timestamp"))
# More digits than this make a JSON number a float (infinite when huge), which the reader rejects
# with its place, instead of Python's int-conversion limit raising without one.
_MAX_DIGITS = 300


class SourceError(Exception):
    """Text that is not data: ``message`` says why, ``line`` (1-based) where, when known."""

    def __init__(self, message: str, line: int | None = None, *, duplicate: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.duplicate = duplicate


class Spelled(int):
    """An integer written otherwise than Python writes it (``010``, ``0x1f``, ``1_000``, ``+3``).

    ``spelling`` is the text in the file: an id such as ``010`` is meant as text, not as eight.
    """

    spelling: str


class _Parser(yaml.CSafeLoader):
    """libyaml's parser with YAML 1.1 implicit types as PyYAML resolves them, less dates.

    Only its node tree is used. ``resolve`` is PyYAML's without path resolvers (a plan file has
    none), called once a node: slimmed, it takes a third off the time to compose a big file.
    """

    _implicit: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
    }

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        """The tag of a node without an explicit one: plain scalars by their look, quoted ones text."""
        if kind is ScalarNode:
            if implicit[0]:
                for tag, pattern in self._implicit.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP


class _Builder:
    """Plain data from a node tree, as PyYAML's safe constructor builds it, with three changes.

    A key written twice is a fault; keys are single values; tags a plan has no use for (``!!set``,
    ``!!binary``, ``!custom``) are faults. Merge keys (``<<: *defaults``) work as in PyYAML.
    Recursive rather than PyYAML's generators: several times faster on big files.
    """

    def __init__(self, parser: _Parser) -> None:
        self.parser = parser
        self.memo: dict[Node, list[object] | dict[object, object]] = {}

    def build(self, node: Node) -> object:
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        built = self.memo.get(node)
        if built is not None:  # an alias
            return built
        if isinstance(node, MappingNode) and node.tag == _MAP:
            return self.mapping(node)
        if isinstance(node, SequenceNode) and node.tag == _SEQ:
            items: list[object] = []
            self.memo[node] = items
            for item in node.value:
                items.append(self.build(item))
            return items
        raise SourceError(f"invalid YAML: a plan file has no use for the tag {node.tag}", _line(node))

    def scalar(self, node: ScalarNode) -> object:
        tag = node.tag
        if tag in (_STR, _TIMESTAMP):
            return node.value
        if tag == _NULL:
            return None
        try:
            if tag == _INT:
                return _spelled(self.parser.construct_yaml_int(node), node.value)
            if tag == _FLOAT:
                return self.parser.construct_yaml_float(node)
            if tag == _BOOL:
                return self.parser.construct_yaml_bool(node)
        except (ValueError, KeyError, IndexError):
            kind = tag.rsplit(":", 1)[-1]
            raise SourceError(
                f"invalid YAML: cannot read {_short(node.value)} as {kind}", _line(node)
            ) from None
        raise SourceError(f"invalid YAML: a plan file has no use for the tag {tag}", _line(node))

    def mapping(self, node: MappingNode) -> dict[object, object]:
        data: dict[object, object] = {}
        self.memo[node] = data
        merged: dict[object, object] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.merge(value_node, merged)
                continue
            if not isinstance(key_node, ScalarNode):
                raise SourceError("invalid YAML: a key must be a single value", _line(key_node))
            key = self.scalar(key_node)
            if key in data:
                first = next(_line(k) for k, _ in node.value if k.tag != _MERGE and self.scalar(k) == key)
                message = f"duplicate key {_short(key)} (first on line {first})"
                raise SourceError(message, _line(key_node), duplicate=True)
            data[key] = self.build(value_node)
        if merged:  # the mapping's own keys win, merged ones come first (as in PyYAML)
            own = dict(data)
            data.clear()
            data.update(merged)
            data.update(own)
        return data

    def merge(self, node: Node, merged: dict[object, object]) -> None:
        """``<<: mapping`` or ``<<: [mapping, ...]``; an earlier mapping wins."""
        for source in node.value if isinstance(node, SequenceNode) else [node]:
            if not (isinstance(source, MappingNode) and source.tag == _MAP):
                raise SourceError("invalid YAML: << merges mappings only", _line(source))
            built = self.memo.get(source)
            for key, value in (built if isinstance(built, dict) else self.mapping(source)).items():
                merged.setdefault(key, value)


def _spelled(value: int, text: str) -> int:
    if str(value) == text:
        return value
    spelled = Spelled(value)
    spelled.spelling = text
    return spelled


class Lines:
    """Finds the 1-based lines of places in the text by walking its YAML node tree.

    The tree is composed afresh for each :meth:`find` and dropped after (a big file's tree is
    large, and lines are wanted only for faults and warnings): ask for all places at once.
    """

    def __init__(self, text: str) -> None:
        self._text = text

    def find(self, places: Sequence[Sequence[object]]) -> list[int | None]:
        """The line of each place, ``None`` for all when the text has no YAML node tree (odd JSON).

        A place that leads nowhere (a key the file does not have) stops at the deepest node found;
        the line of a mapping entry is the line of its key.
        """
        if not places:
            return []
        with paused_gc():
            root = _compose(self._text)
            walker = _Walker()
            found = [None if root is None else walker.line(root, place) for place in places]
            del root, walker
        return found


class _Walker:
    def __init__(self) -> None:
        self._keys: dict[Node, dict[str, tuple[Node, Node]]] = {}

    def line(self, node: Node, place: Sequence[object]) -> int:
        line = _line(node)
        for part in place:
            if isinstance(node, MappingNode):
                pair = self._index(node).get(str(part))
                if pair is None:
                    break
                line, node = _line(pair[0]), pair[1]
            elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = _line(node)
            else:
                break
        return line

    def _index(self, node: Node) -> dict[str, tuple[Node, Node]]:
        """Key text to (key, value) nodes, merged keys included (they were built, so are mappings)."""
        index = self._keys.get(node)
        if index is None:
            index = self._keys[node] = {}
            for key, value in node.value:
                if key.tag == _MERGE:
                    for source in value.value if isinstance(value, SequenceNode) else [value]:
                        for text, pair in self._index(source).items():
                            index.setdefault(text, pair)
                else:
                    index[key.value] = (key, value)
        return index


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic collector off: while millions of nodes pile up it would walk them again and again.

    Nothing built here is cyclic but recursive aliases, so memory is freed as usual.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def load(text: str | bytes, *, json_syntax: bool) -> tuple[object, Lines]:
    """The data in ``text`` (UTF-8 when bytes) and its :class:`Lines`.

    JSON when ``json_syntax``, else YAML. :class:`SourceError` for text that is not UTF-8 or not
    Unicode, an empty file, a syntax error, a key written twice, or a value that cannot be built.
    """
    text = _decode(text)
    if not text or text.isspace():
        raise SourceError("the file is empty")
    return _load_json(text) if json_syntax else _load_yaml(text)


def _decode(text: str | bytes) -> str:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            line = error.object.count(b"\n", 0, error.start) + 1
            raise SourceError(
                f"not UTF-8 text: byte 0x{error.object[error.start]:02x} cannot be read", line
            ) from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        line = text.count("\n", 0, error.start) + 1
        raise SourceError("not Unicode text: a lone surrogate character", line) from None
    return text.removeprefix("\ufeff")


def _load_yaml(text: str) -> tuple[object, Lines]:
    with paused_gc():
        data = _build(text)  # the node tree is gone when this returns
    return data, Lines(text)


def _build(text: str) -> object:
    parser = _Parser(text)
    try:
        root = parser.get_single_node()
        if root is None:
            raise SourceError("the file is empty")
        return _Builder(parser).build(root)
    except RecursionError:
        raise SourceError("invalid YAML: nested too deeply") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = " ".join(filter(None, (error.problem, f"({error.context})" if error.context else None)))
        raise SourceError(
            _one_line(f"invalid YAML: {what}"), None if mark is None else mark.line + 1
        ) from None
    except yaml.YAMLError as error:  # the reader's: a character YAML does not allow, no mark
        raise SourceError(_one_line(f"invalid YAML: {str(error).splitlines()[0]}")) from None
    finally:
        parser.dispose()


def _load_json(text: str) -> tuple[object, Lines]:
    try:
        data = json.loads(text, object_pairs_hook=_json_object, parse_int=_json_int)
    except json.JSONDecodeError as error:
        raise SourceError(f"invalid JSON: {error.msg} (column {error.colno})", error.lineno) from None
    except RecursionError:
        raise SourceError("invalid JSON: nested too deeply") from None
    except SourceError:  # a duplicate key: YAML knows lines (and finds one first, maybe another)
        try:
            _load_yaml(text)
        except SourceError as located:
            if located.duplicate:
                raise located from None
        raise
    return data, Lines(text)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise SourceError(f"duplicate key {_short(key)}", duplicate=True)
        data[key] = value
    return data


def _json_int(digits: str) -> int | float:
    return int(digits) if len(digits) <= _MAX_DIGITS else float(digits)


def _compose(text: str) -> Node | None:
    parser = _Parser(text)
    try:
        return parser.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        parser.dispose()


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _short(value: object) -> str:
    """``repr`` cut to a readable length."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split())
