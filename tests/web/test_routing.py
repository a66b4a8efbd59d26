"""Module routers turn away paths outside their prefix without changing what matches."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from smartgov.web.routing import ModuleRouter


def test_a_path_outside_the_prefix_is_not_matched_and_inside_it_is() -> None:
    first = ModuleRouter(prefix="/api/v1/first")
    second = ModuleRouter(prefix="/api/v1/second")

    @first.get("/items/{ref}")
    def first_item(ref: str) -> dict[str, str]:
        return {"router": "first", "ref": ref}

    @second.get("/items/{ref}")
    def second_item(ref: str) -> dict[str, str]:
        return {"router": "second", "ref": ref}

    app = FastAPI()
    app.include_router(first)
    app.include_router(second)
    client = TestClient(app)
    assert client.get("/api/v1/second/items/a").json() == {"router": "second", "ref": "a"}
    assert client.get("/api/v1/first/items/b").json() == {"router": "first", "ref": "b"}
    assert client.get("/api/v1/third/items/c").status_code == 404
    assert client.post("/api/v1/second/items/a").status_code == 405  # a partial match still says so
    # behind a proxy's root path the prefix still occurs in the path
    behind = TestClient(app, root_path="/gov")
    assert behind.get("/gov/api/v1/second/items/d").json() == {"router": "second", "ref": "d"}
