"""The sync and async SDK clients are twins: the same methods, with the same parameters and answers."""

from __future__ import annotations

import inspect

from screener.client import AsyncClient, Client


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_method_has_its_twin_with_the_same_signature() -> None:
    sync, aio = _public(Client), _public(AsyncClient)
    # Context management is spelled per kind (__enter__/__aenter__); every other public method is shared.
    assert set(sync) - {"close"} == set(aio) - {"close", "aclose"}, set(sync) ^ set(aio)
    for name in sorted(set(sync) & set(aio)):
        ours, theirs = sync[name], aio[name]
        assert list(ours.parameters) == list(theirs.parameters), name
        for parameter in ours.parameters:
            a, b = ours.parameters[parameter], theirs.parameters[parameter]
            assert (a.kind, a.default) == (b.kind, b.default), f"{name}({parameter})"
            assert str(a.annotation) == str(b.annotation), (
                f"{name}({parameter}): {a.annotation} / {b.annotation}"
            )
        sync_answer = str(ours.return_annotation)
        async_answer = str(theirs.return_annotation)
        # An iterator of the sync client is an async iterator of the async one; a value is awaited.
        assert async_answer.replace("AsyncIterator", "Iterator") == sync_answer, name
        assert inspect.iscoroutinefunction(getattr(AsyncClient, name)) or inspect.isasyncgenfunction(
            getattr(AsyncClient, name)
        ), name
