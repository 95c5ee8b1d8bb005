"""What the fake API's tests share: credentials, the lifecycle step, and the calls they make."""

from __future__ import annotations

import httpx

STEP = 10.0
AUTH = ("key", "secret")


def multipart_body(size: int = 10, parts: int = 2, kind: str = "image", **extra) -> dict:
    return {"fileName": "pic.png", "contentType": "image/png", "fileSize": size,
            "parts": parts, "kind": kind, **extra}


async def create(client: httpx.AsyncClient, **kw) -> dict:
    response = await client.post("uploads", json=multipart_body(**kw))
    assert response.status_code == 200, response.text
    return response.json()["upload"]


async def put_parts(raw: httpx.AsyncClient, upload: dict, sizes: list[int]) -> None:
    for part, size in zip(upload["parts"], sizes, strict=True):
        response = await raw.put(part["url"], content=b"x" * size)
        assert response.status_code == 200, response.text


async def complete(client: httpx.AsyncClient, upload_id: str) -> httpx.Response:
    return await client.post(f"uploads/{upload_id}/action", json={"action": "complete"})


async def status(client: httpx.AsyncClient, upload_id: str) -> dict:
    response = await client.get(f"uploads/{upload_id}")
    assert response.status_code == 200, response.text
    return response.json()["upload"]
