"""Dependencies between computed things: cycles and evaluation order, without recursion."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle as a path that returns to its start (`a → b → a`), or None."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in edges:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, list[str]]] = [(start, sorted(set(edges.get(start, ()))))]
        state[start] = 1
        path.append(start)
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            nxt = todo.pop(0)
            if nxt not in edges:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(set(edges.get(nxt, ())))))
    return None


def evaluation_order(edges: Mapping[str, Iterable[str]]) -> list[str]:
    """Nodes so that each comes after what it depends on; ValueError on a cycle."""
    cycle = find_cycle(edges)
    if cycle:
        raise ValueError(" → ".join(cycle))
    order: list[str] = []
    done: set[str] = set()
    for start in edges:
        stack = [(start, iter(sorted(set(edges.get(start, ())))))]
        if start in done:
            continue
        while stack:
            node, children = stack[-1]
            child = next((c for c in children if c in edges and c not in done), None)
            if child is None:
                stack.pop()
                if node not in done:
                    done.add(node)
                    order.append(node)
            else:
                stack.append((child, iter(sorted(set(edges.get(child, ()))))))
    return order
