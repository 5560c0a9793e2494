"""The garbage collector in a long-lived web process.

CPython's oldest-generation collection walks every tracked object. Once Django, boto3 and the
catalog are loaded a web worker holds well over a hundred thousand of them, all alive for the
life of the process, and a findings page allocates enough to set off such a collection every
dozen requests or so: at 200,000 findings one took 80 ms, a twentieth of the requests paid it,
and it set the page's 95th percentile. Freezing the objects that exist once the process is ready
moves them out of the collector's sight (the Python documentation's advice for pre-fork
servers); what requests allocate is collected as before.
"""

import gc


def startup_heap_freeze() -> None:
    """Collect what start-up left behind, then keep every surviving object out of later
    collections. Call once the process has loaded what it will serve with."""
    from django.urls import get_resolver

    # The URL patterns are built on the first request otherwise; they live as long as the rest.
    get_resolver().url_patterns  # noqa: B018 - built here for the freeze to cover them
    gc.collect()
    gc.freeze()
