"""Reading descriptor files: multi-document YAML, substitutions, positions for error messages.

Parsing uses libyaml (fast enough for tens of thousands of entities); line numbers are looked up
only for documents that have an error, by composing that document again with positions.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import yaml

from pinconsole.outbound.allowlist import normal_path
from pinconsole.settings import MB, size_text

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml is present in our images
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

if TYPE_CHECKING:
    from pinconsole.outbound.fetcher import Fetcher

FieldPath = tuple[str | int, ...]


class DescriptorLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that keeps timestamps as strings, as Backstage (JSON) does."""


DescriptorLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


_STR = "tag:yaml.org,2002:str"
_RESOLVER_FIRST_CHARS = frozenset(DescriptorLoader.yaml_implicit_resolvers)


class _FastLoader(DescriptorLoader):
    """Plain scalars whose first character starts no implicit type are strings: skip regexes."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if (
            kind is yaml.ScalarNode
            and implicit[0]
            and value
            and value[0] not in _RESOLVER_FIRST_CHARS
        ):
            return _STR
        return super().resolve(kind, value, implicit)


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True, slots=True)
class Limits:
    """What one descriptor may cost: sizes, YAML nodes built (aliases expanded) and depth.

    Descriptors come from anyone who can register a location; without bounds a 700-byte alias
    bomb expands into tens of megabytes and ~1,000 nested levels exhaust Python's stack.
    """

    file_bytes: int = 20 * MB
    document_bytes: int = 1 * MB
    nodes: int = 100_000
    depth: int = 64

    @classmethod
    def from_settings(cls) -> Limits:
        from pinconsole.settings import get_settings

        s = get_settings()
        return cls(
            s.catalog_max_file_bytes,
            s.catalog_max_document_bytes,
            s.catalog_max_yaml_nodes,
            s.catalog_max_depth,
        )


class LimitError(yaml.YAMLError):
    """A document over one of the ``Limits``; refused as a whole, other documents go on."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line  # 0-based, like YAML marks


def _mark_line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return None if mark is None else mark.line


def size_in_bytes(text: str, limit: int) -> int | None:
    """The UTF-8 size of ``text`` when it is over ``limit`` bytes, else None (cheap when short)."""
    if len(text) * 4 <= limit:
        return None
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    return size if size > limit else None


class _Budget:
    """Nodes and scalar characters one document may still build (aliases count every time)."""

    __slots__ = ("chars", "limits", "nodes")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.nodes = limits.nodes
        self.chars = limits.document_bytes

    def spent(self, node: Any) -> LimitError:
        if self.nodes < 0:
            what = f"more than {self.limits.nodes} YAML nodes"
        else:
            what = f"more than {size_text(self.limits.document_bytes)} of text"
        return LimitError(
            f"document expands to {what} (aliases expanded); refused", _mark_line(node)
        )


def _refuse_tag(node: Any) -> LimitError:
    return LimitError(
        f"YAML tag {node.tag} is not supported here (descriptors are JSON data)", _mark_line(node)
    )


def _too_deep(node: Any, limits: Limits) -> LimitError:
    return LimitError(
        f"document nests deeper than {limits.depth} levels (or has a recursive alias); refused",
        _mark_line(node),
    )


def _scalar(loader: Any, node: Any) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError, TypeError) as exc:  # e.g. an int of 5,000 digits
        raise LimitError(
            f"cannot read value {node.value[:40]!r}: {exc}", _mark_line(node)
        ) from None


def _build(loader: Any, node: Any, budget: _Budget, depth: int) -> Any:
    """Node -> Python without the generic constructor's bookkeeping (strings, maps, lists).

    Every node built is paid from ``budget`` (an alias is built again each time it is used, as
    JSON will spell it out), and ``depth`` counts the collections above: both bound the work.
    """
    cls = node.__class__
    budget.nodes -= 1
    if cls is yaml.ScalarNode:
        value = node.value
        budget.chars -= len(value)
        if budget.nodes < 0 or budget.chars < 0:
            raise budget.spent(node)
        return value if node.tag == _STR else _scalar(loader, node)
    if budget.nodes < 0:
        raise budget.spent(node)
    if depth >= budget.limits.depth:
        raise _too_deep(node, budget.limits)
    depth += 1
    if cls is yaml.MappingNode:
        if node.tag != _MAP:
            raise _refuse_tag(node)
        out: dict[Any, Any] = {}
        merges = []
        for key, value in node.value:
            if key.tag == _MERGE:
                merges.append(value)
            elif key.__class__ is not yaml.ScalarNode:
                raise LimitError("a mapping key must be a plain value", _mark_line(key))
            else:
                out[_build(loader, key, budget, depth)] = _build(loader, value, budget, depth)
        return _merge(loader, merges, out, budget, depth) if merges else out
    if node.tag != _SEQ:
        raise _refuse_tag(node)
    return [_build(loader, item, budget, depth) for item in node.value]


def _merge(loader: Any, merges: list[Any], own: dict[Any, Any], budget: _Budget, depth: int) -> Any:
    """YAML merge keys as PyYAML reads them: own keys win, then the first mapping merged."""
    merged: dict[Any, Any] = {}
    for value in merges:
        sources = value.value if value.__class__ is yaml.SequenceNode else [value]
        for source in reversed(sources):
            if source.__class__ is not yaml.MappingNode:
                raise LimitError("a merge key (<<) takes mappings only", _mark_line(source))
            merged.update(_build(loader, source, budget, depth))
    merged.update(own)
    return merged


def _load(text: str, limits: Limits, depth: int) -> list[Any]:
    """Every document of ``text``, a ``LimitError`` in place of each document over a limit.

    A syntax error (``yaml.YAMLError``) still raises: the parser cannot go on after one.
    """
    loader = _FastLoader(text)
    out: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            try:
                out.append(_build(loader, node, _Budget(limits), depth))
            except LimitError as exc:
                out.append(exc)
    except RecursionError:  # the pure-Python composer (no libyaml) recurses per level
        raise _too_deep(None, limits) from None
    finally:
        loader.dispose()
    return out


def load_all(text: str, limits: Limits | None = None, *, depth: int = 0) -> list[Any]:
    """All documents of ``text``; ~2x faster than ``yaml.load_all`` on catalog files.

    Bounded by ``limits`` (settings by default) per document; ``depth`` is how deep ``text`` is
    inserted (``$yaml`` content). Raises ``LimitError`` (a ``yaml.YAMLError``) over a limit.
    """
    out = _load(text, limits or Limits.from_settings(), depth)
    for body in out:
        if isinstance(body, LimitError):
            raise body
    return out


class _PositionLoader(yaml.SafeLoader):
    """Pure-Python loader used only to compose nodes (with marks) for line lookups."""


_PositionLoader.yaml_implicit_resolvers = DescriptorLoader.yaml_implicit_resolvers


@dataclass(frozen=True, slots=True)
class IngestError:
    """One fault in one place: ``file: document N: field: message``.

    ``document`` is 0-based (as stored in ``catalog_error.document``); ``str()`` shows it 1-based
    for people. ``line`` is 1-based when known.
    """

    source: str
    message: str
    document: int | None = None
    field: str | None = None
    entity_ref: str | None = None
    line: int | None = None
    location_key: str | None = None

    def __str__(self) -> str:
        parts = [f"{self.source}:{self.line}" if self.line else self.source]
        if self.document is not None:
            parts.append(f"document {self.document + 1}")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


def format_path(path: FieldPath) -> str:
    """``("spec", "dependsOn", 0)`` -> ``spec.dependsOn[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(slots=True)
class Document:
    """One YAML document of a descriptor file, with what is needed to point at its fields."""

    body: Any
    source: str  # file path or URL it was read from
    index: int  # 0-based document index in the file
    text: str  # the YAML text the document is in (whole file or its chunk)
    index_in_text: int  # document index inside ``text``
    line_offset: int = 0  # lines before ``text`` in the file

    def line_of(self, path: FieldPath) -> int | None:
        """1-based line of the deepest existing node along ``path`` (None if unknown)."""
        try:
            nodes = list(yaml.compose_all(self.text, Loader=_PositionLoader))
            node = nodes[self.index_in_text]
        except (yaml.YAMLError, IndexError, RecursionError):
            return None
        if node is None:
            return None
        line = node.start_mark.line
        for part in path:
            nxt = None
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                for key, value in node.value:
                    if getattr(key, "value", None) == part:
                        nxt, line = value, key.start_mark.line
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                nxt = node.value[part]
                line = nxt.start_mark.line
            if nxt is None:
                break
            node = nxt
        return line + 1 + self.line_offset

    def error(
        self, message: str, path: FieldPath = (), *, entity_ref: str | None = None
    ) -> IngestError:
        return IngestError(
            source=self.source,
            message=message,
            document=self.index,
            field=format_path(path) or None,
            entity_ref=entity_ref,
            line=self.line_of(path),
        )


_SEPARATOR = re.compile(r"^---(?:\s.*)?$")


def _yaml_message(exc: yaml.YAMLError) -> tuple[str, int | None]:
    if isinstance(exc, LimitError):
        return exc.message, exc.line
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return message, (mark.line if mark is not None else None)


def _chunks(text: str) -> list[tuple[int, str]]:
    """``text`` cut before each ``---`` line: (line offset, chunk); a document never spans two."""
    lines = text.splitlines(keepends=True)
    chunks: list[tuple[int, str]] = []
    start = 0
    for n, line in enumerate(lines):
        if _SEPARATOR.match(line.rstrip("\r\n")) and n > start:
            chunks.append((start, "".join(lines[start:n])))
            start = n
    chunks.append((start, "".join(lines[start:])))
    return chunks


def file_too_large(text: str, limits: Limits) -> str | None:
    """Why a whole file is refused for its size, or None."""
    size = size_in_bytes(text, limits.file_bytes)
    if size is None:
        return None
    return (
        f"file is {size_text(size)}, more than the limit of {size_text(limits.file_bytes)} "
        "(catalog_max_file_bytes); refused"
    )


def _document_too_large(size: int, limits: Limits) -> str:
    return (
        f"document is {size_text(size)}, more than the limit of {size_text(limits.document_bytes)} "
        "(catalog_max_document_bytes); refused"
    )


_YAML_SPACE = " \r\n\ufeff"  # a tab may not start a token


def parse_documents(
    text: str, source: str, limits: Limits | None = None
) -> tuple[list[Document], list[IngestError], bool]:
    """All documents of a YAML file; returns (documents, errors, complete).

    A syntax error spoils only its own document: the file is split on ``---`` lines and each
    chunk is parsed alone. A document over a limit (size, nodes, depth) is refused alone too.
    ``complete`` is False when some document could not be read, so the caller knows it cannot
    tell which entities disappeared from this file.
    """
    limits = limits or Limits.from_settings()
    too_large = file_too_large(text, limits)
    if too_large:
        return [], [IngestError(source, too_large)], False
    chunks = _chunks(text) if size_in_bytes(text, limits.document_bytes) else None
    whole: yaml.YAMLError | None = None
    if chunks is None or not any(size_in_bytes(c, limits.document_bytes) for _, c in chunks):
        try:
            bodies = _load(text, limits, 0)
        except yaml.YAMLError as exc:
            whole = exc
        else:
            return _documents(bodies, source, text, 0, 0, limits)

    docs: list[Document] = []
    errors: list[IngestError] = []
    index = 0
    for offset, chunk in chunks or _chunks(text):
        # Blank as YAML reads it: str.strip() also drops tabs, form feeds and other characters
        # the parser refuses, and the file came back incomplete without an error.
        bare = chunk.strip(_YAML_SPACE)
        if not bare or bare == "---":
            continue
        size = size_in_bytes(chunk, limits.document_bytes)
        try:
            if size:
                raise LimitError(_document_too_large(size, limits), 0)
            bodies = _load(chunk, limits, 0)
        except yaml.YAMLError as exc:
            message, line = _yaml_message(exc)
            errors.append(
                IngestError(
                    source,
                    message,
                    document=index,
                    line=None if line is None else line + 1 + offset,
                )
            )
            index += 1
            continue
        more_docs, more_errors, _ = _documents(bodies, source, chunk, index, offset, limits)
        docs += more_docs
        errors += more_errors
        index += len(bodies)
    if not errors and whole is not None:
        # Every part read alone, yet the file did not: say the file's own error, never
        # "incomplete" without a reason.
        message, line = _yaml_message(whole)
        errors.append(IngestError(source, message, line=None if line is None else line + 1))
    return docs, errors, False


def _documents(
    bodies: list[Any], source: str, text: str, first: int, offset: int, limits: Limits
) -> tuple[list[Document], list[IngestError], bool]:
    """Documents of one parsed text, an error for each one refused by a limit."""
    docs: list[Document] = []
    errors: list[IngestError] = []
    for j, body in enumerate(bodies):
        if isinstance(body, LimitError):
            line = None if body.line is None else body.line + 1 + offset
            errors.append(IngestError(source, body.message, document=first + j, line=line))
        elif body is not None:
            docs.append(Document(body, source, first + j, text, j, offset))
    return docs, errors, not errors


# --- reading files and URLs ------------------------------------------------------------------


class ReadError(Exception):
    """A file or URL that could not be read at all (missing, network, HTTP status)."""


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def normalise_target(target: str) -> str:
    """A location key: an absolute path, or the URL as given (``file:``/``url:`` prefixes ok)."""
    target = target.strip()
    if target.startswith("url:"):
        target = target[4:]
    elif target.startswith("file:"):
        target = target[5:]
    if is_url(target):
        return target
    return str(Path(target).expanduser().resolve())


class Reader:
    """Reads files and http(s) URLs; URLs through one allow-listed fetcher for a whole pass.

    Every URL read (locations, Location targets, substitutions) goes through
    :class:`~pinconsole.outbound.fetcher.Fetcher`: the reading allow-list, address checks, size
    and time limits. A redirect must stay within the root of the URL being read; every URL a URL
    location reads shares that location's root (``resolve_target`` made sure), so it is the
    location's root.
    """

    def __init__(self, fetcher: Fetcher | None = None) -> None:
        self._fetcher = fetcher
        self._owned = fetcher is None

    def read(self, target: str) -> str:
        if is_url(target):
            return self._read_url(target)
        try:
            return Path(target).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ReadError("file not found") from None
        except IsADirectoryError:
            raise ReadError("is a directory, expected a file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ReadError(f"cannot read file: {exc}") from None

    def _read_url(self, url: str) -> str:
        from pinconsole.outbound.fetcher import Fetcher, FetchError

        if self._fetcher is None:
            self._fetcher = Fetcher.from_settings()
        root = location_root(url)
        try:
            return self._fetcher.get_text(url, may_redirect_to=lambda u: url_within_root(u, root))
        except FetchError as exc:
            raise ReadError(str(exc)) from None

    def close(self) -> None:
        if self._fetcher is not None and self._owned:
            self._fetcher.close()
            self._fetcher = None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _url_parts(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, normalised path) of an http(s) URL without credentials, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    if port is None or not parts.hostname or parts.username is not None:
        return None
    normal = normal_path(parts.path)
    return parts.scheme.lower(), parts.hostname.lower(), port, normal


def url_within_root(url: str, root: str) -> bool:
    """Whether ``url`` is under the URL ``root`` (same scheme, host and port; path below).

    Compared parsed and with dot segments and escapes resolved, so ``/root/%2e%2e/x`` or
    ``user@host`` tricks cannot pass a plain string prefix.
    """
    target, base = _url_parts(url), _url_parts(root)
    if target is None or base is None or target[:3] != base[:3]:
        return False
    prefix = base[3] if base[3].endswith("/") else base[3] + "/"
    return target[3] == base[3] or target[3].startswith(prefix)


def resolve_target(value: str, base: str, root: str) -> str:
    """Resolve ``value`` (relative or absolute) against ``base``; refuse escaping ``root``.

    ``root`` is a directory for file locations and an origin/prefix URL for URL locations.
    Raises ``ValueError`` with a message for people.
    """
    if is_url(value):
        resolved = value
    elif is_url(base):
        resolved = urljoin(base, value)
    else:
        resolved = os.path.normpath(os.path.join(os.path.dirname(base), os.path.expanduser(value)))
    if is_url(root):
        if not is_url(resolved) or not url_within_root(resolved, root):
            raise ValueError(f"{value!r} resolves to {resolved}, outside the location root {root}")
    else:
        if is_url(resolved):
            raise ValueError(f"{value!r} is a URL; a file location may only refer to files")
        real = os.path.realpath(resolved)
        root_real = os.path.realpath(root)
        if real != root_real and not real.startswith(root_real.rstrip(os.sep) + os.sep):
            raise ValueError(f"{value!r} resolves to {real}, outside the location root {root_real}")
    return resolved


def location_root(key: str) -> str:
    """The root a location's relative references must stay within."""
    if is_url(key):
        parts = urlsplit(key)
        return f"{parts.scheme}://{parts.netloc}/"
    path = Path(key)
    return str(path if path.is_dir() else path.parent)


# --- substitutions ---------------------------------------------------------------------------

SUBSTITUTIONS = ("$text", "$json", "$yaml")


def resolve_substitutions(
    doc: Document, root: str, read: Callable[[str], str], limits: Limits | None = None
) -> list[IngestError]:
    """Replace ``{$text|$json|$yaml: path-or-url}`` values in place; return the errors.

    Other ``$``-keyed mappings (``$ref``, ``{$text: 1}``) stay as they are, as in Backstage.
    Paths resolve relative to the document's file or URL, as Backstage's placeholder processor
    does. A failing substitution leaves an error and the entity is not ingested.
    """
    errors: list[IngestError] = []
    limits = limits or Limits.from_settings()
    budget = [0]  # characters substituted into this document so far

    def walk(value: Any, path: FieldPath) -> Any:
        if isinstance(value, dict):
            if any(isinstance(k, str) and k.startswith("$") for k in value):
                # As Backstage's PlaceholderProcessor: only a one-key mapping naming a known
                # substitution with a string argument is one; anything else with a ``$`` key
                # (JSON Schema's ``$ref`` in a definition or template) is data, left alone.
                if len(value) == 1:
                    ((key, arg),) = value.items()
                    if key in SUBSTITUTIONS and isinstance(arg, str):
                        return substitute(key, arg, path)
                return value
            for k, v in value.items():
                value[k] = walk(v, (*path, str(k)))
            return value
        if isinstance(value, list):
            for i, v in enumerate(value):
                value[i] = walk(v, (*path, i))
        return value

    def substitute(key: str, arg: str, path: FieldPath) -> Any:
        if not arg.strip():
            errors.append(doc.error(f"{key} needs a relative path or a URL", path))
            return None
        try:
            target = resolve_target(arg.strip(), doc.source, root)
            content = read(target)
        except (ValueError, ReadError) as exc:
            errors.append(doc.error(f"{key} {arg}: {exc}", path))
            return None
        # What all substitutions of one document bring in is bounded like a document.
        budget[0] += len(content)
        if budget[0] > limits.document_bytes or size_in_bytes(content, limits.document_bytes):
            errors.append(
                doc.error(
                    f"{key} {arg}: substituted content is more than "
                    f"{size_text(limits.document_bytes)} in this document "
                    "(catalog_max_document_bytes); refused",
                    path,
                )
            )
            return None
        if key == "$text":
            return content
        try:
            if key == "$json":
                parsed = json.loads(content)
                _check_depth(parsed, limits.depth - len(path), limits)
                return parsed
            documents = [d for d in load_all(content, limits, depth=len(path)) if d is not None]
        except LimitError as exc:
            errors.append(doc.error(f"{key} {arg}: {exc.message}", path))
            return None
        except (ValueError, RecursionError, yaml.YAMLError) as exc:
            errors.append(doc.error(f"{key} {arg}: cannot parse: {exc}", path))
            return None
        if len(documents) != 1:
            errors.append(
                doc.error(
                    f"{key} {arg}: expected exactly one YAML document, found {len(documents)}", path
                )
            )
            return None
        return documents[0]

    doc.body = walk(doc.body, ())
    return errors


def _check_depth(value: Any, depth: int, limits: Limits) -> None:
    """Raise ``LimitError`` when ``value`` nests more than ``depth`` collections (iteratively)."""
    stack = [(value, depth)]
    while stack:
        item, left = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if left <= 0:
                raise _too_deep(None, limits)
            stack.extend((child, left - 1) for child in item)


def iter_catalog_files(directory: Path) -> Iterator[Path]:
    """``catalog-info.yaml`` / ``.yml`` files under ``directory``, skipping hidden folders."""
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
        for name in sorted(filenames):
            if name in ("catalog-info.yaml", "catalog-info.yml"):
                yield Path(dirpath) / name
