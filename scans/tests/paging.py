"""Serve a listing in pages, as AWS would: moto answers most listings in one page whatever the
page size, so without this no test would notice a collector that reads only the first page."""

from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse


def serve_pages(api_client: Any, operation: str, items: list, *, size: int) -> list[dict]:
    """Answer `operation` (its API name) with `items`, `size` per page, following the operation's
    paginator model (tokens and truncation flag). Returns each request's parameters.

    The handlers go on the catch-all events after the context's own, so every page is still
    counted and paced.
    """
    service_name = api_client.meta.service_model.service_name
    paginator = (
        botocore.session.get_session().get_paginator_model(service_name).get_paginator(operation)
    )
    requests: list[dict] = []

    def remember(params: dict, model: Any, **kwargs: Any) -> None:
        if model.name == operation:
            requests.append(dict(params))

    def answer(model: Any, **kwargs: Any) -> tuple[AWSResponse, dict] | None:
        if model.name != operation:
            return None
        start = int(requests[-1].get(paginator["input_token"]) or 0)
        page: dict[str, Any] = {paginator["result_key"]: items[start : start + size]}
        more = start + size < len(items)
        if more:
            page[paginator["output_token"]] = str(start + size)
        if "more_results" in paginator:
            page[paginator["more_results"]] = more
        return AWSResponse(None, 200, {}, None), page

    api_client.meta.events.register("before-parameter-build", remember)
    api_client.meta.events.register("before-call", answer)
    return requests


def page_tokens(requests: list[dict], input_token: str) -> list[str | None]:
    return [request.get(input_token) for request in requests]
