"""The checks an automation must pass to run: made when it is activated, and again when an active
one is edited. Each :class:`Problem` names where it is (``nodes[2].text``, ``trigger.keywords[1]``)
and says what is wrong the way a person fixing it needs to read it.

A flow must be a flow: ``start`` and every ``next``/``then``/``otherwise`` name a node, every node
can be reached, and a loop passes through a wait (a delay, or a condition waiting for the person's
answer), else one comment would make the run repeat without end. Texts use only the placeholders
the runs know; links are absolute http(s) URLs; a regular expression cannot backtrack
catastrophically. A trigger on comments only cannot reach a direct message before the person has
written (a comment opens no 24-hour window: the platform refuses such a message), nor a trigger on
messages only a reply to a comment it does not have."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain.automation.match import PatternRefused, safe_pattern
from schemas.automations import (
    ConditionNode,
    Definition,
    DelayNode,
    MessageNode,
    Node,
    PrivateReplyNode,
    PublicReplyNode,
    ResourceNode,
    WebhookNode,
)

__all__ = ["PLACEHOLDERS", "Problem", "problems"]

PLACEHOLDERS = ("name", "username", "keyword", "link", "comment", "automation")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_OPENS_WINDOW = {"message", "story_reply"}  # kinds in which the person wrote to the account first
_HAS_COMMENT = {"comment", "mention"}


@dataclass(frozen=True)
class Problem:
    node: str | None  # the node's id, or None for the trigger, the start, the pacing
    field: str  # where, as the definition's JSON spells it: ``nodes[2].text``
    detail: str


def problems(definition: Definition) -> list[Problem]:
    """Everything that keeps ``definition`` from running, in the order a person would fix it."""
    d = definition
    out: list[Problem] = []
    index: dict[str, int] = {}
    for i, node in enumerate(d.nodes):
        if node.id in index:
            out.append(Problem(node.id, f"nodes[{i}].id", f"node id '{node.id}' is used twice (nodes[{index[node.id]}] and nodes[{i}])"))
        else:
            index[node.id] = i
    if d.start not in index:
        out.append(Problem(None, "start", f"start names '{d.start}', which is not a node"))
    out += _trigger(d)
    if d.pacing.jitter_min_seconds > d.pacing.jitter_max_seconds:
        out.append(Problem(None, "pacing.jitter_max_seconds", "jitter_max_seconds is below jitter_min_seconds"))
    for i, node in enumerate(d.nodes):
        out += _node(i, node, index)
    if d.start in index:
        out += _graph(d, index)
    return out


# ---------------------------------------------------------------- the trigger
def _pattern(field: str, pattern: str, node: str | None = None) -> Iterator[Problem]:
    try:
        safe_pattern(pattern)
    except (PatternRefused, OverflowError, RecursionError) as err:  # the parser's own limits: "a{99999999999}"
        where = f"node '{node}': " if node else ""
        yield Problem(node, field, f"{where}the regular expression {pattern!r} is refused: {err}")


def _trigger(d: Definition) -> Iterator[Problem]:
    if d.trigger.match != "regex":
        return
    for k, kw in enumerate(d.trigger.keywords):
        yield from _pattern(f"trigger.keywords[{k}]", kw)
    for k, kw in enumerate(d.trigger.exclude):  # matched as regular expressions too (match.first_match)
        yield from _pattern(f"trigger.exclude[{k}]", kw)


# ---------------------------------------------------------------- one node
def _exits(node: Node) -> list[tuple[str, str]]:
    """(field, node id) of every node this one can go on to."""
    out = [("next", node.next)] if node.next else []
    if isinstance(node, ConditionNode):
        out += [(name, target) for name, target in (("then", node.then), ("otherwise", node.otherwise)) if target]
    return out


def _texts(node: Node) -> list[tuple[str, str]]:
    if isinstance(node, MessageNode | PrivateReplyNode | ResourceNode):
        return [("text", node.text)]
    if isinstance(node, PublicReplyNode):
        return [("text", node.text), *((f"variants[{k}]", v) for k, v in enumerate(node.variants))]
    return []


def _urls(node: Node) -> list[tuple[str, str]]:
    if isinstance(node, MessageNode):
        return [(f"buttons[{k}].url", b.url) for k, b in enumerate(node.buttons)] + ([("link", node.link)] if node.link else [])
    if isinstance(node, ResourceNode):
        return [(f"resources[{k}].url", r.url) for k, r in enumerate(node.resources)] + (
            [("default_url", node.default_url)] if node.default_url else []
        )
    if isinstance(node, WebhookNode):
        return [("url", node.url)]
    return []


def url_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) URL with a host, or None. (Whether its host is a
    private address is decided when it is called: the outbound guard refuses those.)"""
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "contains a space or a control character"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as err:
        return f"is not a valid URL ({err})"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http or https URL"
    if not parts.hostname:
        return "has no host"
    return None


def _node(i: int, node: Node, index: dict[str, int]) -> Iterator[Problem]:
    at, nid = f"nodes[{i}]", node.id
    for name, target in _exits(node):
        if target not in index:
            yield Problem(nid, f"{at}.{name}", f"node '{nid}': {name} names '{target}', which is not a node")
    for name, text in _texts(node):
        yield from _placeholders(nid, f"{at}.{name}", text, resource=isinstance(node, ResourceNode))
    for name, url in _urls(node):
        if (why := url_problem(url)) is not None:
            yield Problem(nid, f"{at}.{name}", f"node '{nid}': {url!r} {why}")
    if isinstance(node, ConditionNode):
        test = node.test
        if test.kind in ("answer", "keyword"):
            if not test.keywords:
                yield Problem(nid, f"{at}.test.keywords", f"node '{nid}': a {test.kind} test needs keywords to compare with")
            if test.match == "regex":
                for k, kw in enumerate(test.keywords):
                    yield from _pattern(f"{at}.test.keywords[{k}]", kw, nid)
        if test.kind == "tag" and not test.tag:
            yield Problem(nid, f"{at}.test.tag", f"node '{nid}': a tag test needs the tag to look for")
        if test.kind == "inactive" and test.seconds is None:
            yield Problem(nid, f"{at}.test.seconds", f"node '{nid}': an inactive test needs how many seconds of silence")


def _placeholders(nid: str, field: str, text: str, *, resource: bool) -> Iterator[Problem]:
    found = [m.group(1) for m in _PLACEHOLDER.finditer(text)]
    known = ", ".join("{{" + p + "}}" for p in PLACEHOLDERS if resource or p != "link")
    for name in found:
        if name == "link" and not resource:
            yield Problem(nid, field, f"node '{nid}': {{{{link}}}} is only known in a resource node's text (the link it picks)")
        elif name not in PLACEHOLDERS:
            yield Problem(nid, field, f"node '{nid}': {{{{{name}}}}} is not a known placeholder (known: {known})")
    rest = _PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest:
        yield Problem(nid, field, f"node '{nid}': a placeholder is not closed: write it as {{{{name}}}}")
    if resource and "link" not in found:
        yield Problem(nid, field, f"node '{nid}': a resource node's text must contain {{{{link}}}}, where its link goes")


# ---------------------------------------------------------------- the flow as a whole
def _waits(node: Node) -> bool:
    """A node after which the run waits: a delay, or a condition waiting for the person's answer."""
    return isinstance(node, DelayNode) or (isinstance(node, ConditionNode) and node.test.kind == "answer")


def _graph(d: Definition, index: dict[str, int]) -> Iterator[Problem]:
    nodes = {n.id: n for n in reversed(d.nodes)}  # a repeated id: the first one, as ``index`` has it
    edges = {nid: [t for _, t in _exits(n) if t in index] for nid, n in nodes.items()}
    seen = {d.start}
    todo = [d.start]
    while todo:
        for target in edges[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for i, node in enumerate(d.nodes):
        if node.id not in seen and index.get(node.id) == i:
            yield Problem(node.id, f"nodes[{i}]", f"node '{node.id}' cannot be reached from start '{d.start}'")
    yield from _loops(d, nodes, edges, index)
    yield from _channels(d, nodes, index)


def _loops(d: Definition, nodes: dict[str, Node], edges: dict[str, list[str]], index: dict[str, int]) -> Iterator[Problem]:
    """Every loop without a wait (Tarjan's strongly connected components of the flow with the
    waiting nodes' exits removed), named at the exit that closes it."""
    tight = {nid: ([] if _waits(nodes[nid]) else targets) for nid, targets in edges.items()}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(root: str) -> None:  # iterative: a flow of 100 nodes stays far from the recursion limit anyway
        work = [(root, 0)]
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, k = work.pop()
            if k < len(tight[v]):
                work.append((v, k + 1))
                w = tight[v][k]
                if w not in order:
                    order[w] = low[w] = len(order)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], order[w])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == order[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                components.append(component)

    for nid in sorted(nodes, key=lambda n: index[n]):
        if nid not in order:
            visit(nid)
    for component in components:
        members = set(component)
        if len(component) == 1 and component[0] not in tight[component[0]]:
            continue
        first = min(component, key=lambda n: index[n])
        name, target = next((name, t) for name, t in _exits(nodes[first]) if t in members)
        path = _path(tight, target, first, members)
        yield Problem(
            first,
            f"nodes[{index[first]}].{name}",
            f"node '{first}': {name} '{target}' makes a loop ({' → '.join([first, *path])}) with no delay and no answer"
            " to wait for: the run would repeat without end",
        )


def _path(edges: dict[str, list[str]], source: str, goal: str, within: set[str]) -> list[str]:
    """The shortest path from ``source`` to ``goal`` inside one loop, both ends included."""
    before: dict[str, str | None] = {source: None}
    todo = [source]
    while todo and goal not in before:
        nxt = []
        for v in todo:
            for w in edges[v]:
                if w in within and w not in before:
                    before[w] = v
                    nxt.append(w)
        todo = nxt
    path: list[str] = []
    at: str | None = goal
    while at is not None:
        path.append(at)
        at = before.get(at)
    return path[::-1]


def _channels(d: Definition, nodes: dict[str, Node], index: dict[str, int]) -> Iterator[Problem]:
    """A direct message needs a window the person opened; a reply to a comment needs a comment.
    Walks the flow from start carrying whether the person has written by then (a message trigger,
    or past the ``then`` of an answer or window_open condition)."""
    kinds = set(d.trigger.on)
    comments = bool(kinds & _HAS_COMMENT)
    if not comments:
        for i, node in enumerate(d.nodes):
            if isinstance(node, PrivateReplyNode | PublicReplyNode) or (isinstance(node, ResourceNode) and node.via == "private_reply"):
                field = f"nodes[{i}].via" if isinstance(node, ResourceNode) else f"nodes[{i}].type"
                yield Problem(
                    node.id, field, f"node '{node.id}': a reply to a comment, but the trigger is on {', '.join(d.trigger.on)} (no comments)"
                )
    if kinds & _OPENS_WINDOW:
        return
    seen: set[tuple[str, bool]] = set()
    todo = [(d.start, False)]
    told: set[str] = set()
    while todo:
        nid, opened = todo.pop()
        if (nid, opened) in seen or nid not in nodes:
            continue
        seen.add((nid, opened))
        node = nodes[nid]
        dm = isinstance(node, MessageNode) or (isinstance(node, ResourceNode) and node.via == "message")
        if dm and not opened and nid not in told:
            told.add(nid)
            field = f"nodes[{index[nid]}].via" if isinstance(node, ResourceNode) else f"nodes[{index[nid]}]"
            yield Problem(
                nid,
                field,
                f"node '{nid}': a direct message the person has not opened a window for (the trigger is on comments only,"
                " and a comment opens no 24-hour window): put an answer condition before it, or send a private_reply",
            )
        for name, target in _exits(node):
            opens = isinstance(node, ConditionNode) and node.test.kind in ("answer", "window_open") and name == "then"
            todo.append((target, opened or opens))
