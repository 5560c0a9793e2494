"""Real generation with a tiny instruct model (SmolLM2-135M) through llama-cpp-python."""

import json

import pytest

from advice.models import Advice, ScanAdvice
from advice.prompts import SECTIONS
from advice.providers import ProviderError, advice_provider
from advice.providers.local_llama import LocalLlamaProvider
from advice.render import markdown_html
from advice.services import advice_item_run
from advice.shape import evidence_shape, shape_key
from advice.tests.conftest import SMOLLM2_FILE
from testing.factories import create_scan

EVIDENCE = {"http_tokens": "optional", "http_endpoint": "enabled", "http_put_response_hop_limit": 2}
RULE_ID = "EC2_IMDSV2_REQUIRED"


def plan(key: str) -> ScanAdvice:
    return ScanAdvice.objects.create(
        scan=create_scan(), rule_id=RULE_ID, shape_key=key, shape=evidence_shape(EVIDENCE)
    )


@pytest.mark.django_db
def test_the_model_writes_schema_valid_advice_once_and_the_cache_serves_it_after(
    local_model, monkeypatch, settings
):
    provider = advice_provider()
    assert provider.model_id == SMOLLM2_FILE
    # Record what the real model returns; every call still goes to llama.cpp.
    generations = []
    generate = provider.generate
    monkeypatch.setattr(
        provider,
        "generate",
        lambda *a, **kw: generations.append(generate(*a, **kw)) or generations[-1],
    )
    key = shape_key(RULE_ID, EVIDENCE)

    first = plan(key)
    advice_item_run(item_id=first.id)
    first.refresh_from_db()
    assert len(generations) == 1
    answer = json.loads(generations[0].text)
    assert set(answer) == set(SECTIONS)
    for name in SECTIONS:
        assert isinstance(answer[name], str)
        assert 1 <= len(answer[name]) <= settings.ADVICE_SECTION_MAX_CHARS
    assert first.status == ScanAdvice.Status.DONE
    assert first.generated
    advice = first.advice
    assert advice.model_id == SMOLLM2_FILE
    assert advice.completion_tokens == generations[0].completion_tokens > 0
    # A 135M model often fails the quality gate; either way the finding gets checked advice.
    assert (advice.source == Advice.Source.MODEL) != bool(advice.rejected_reason)
    html = markdown_html(advice.markdown)
    assert "<h3>Why it matters</h3>" in html
    assert "<script" not in html

    second = plan(key)
    advice_item_run(item_id=second.id)
    second.refresh_from_db()
    assert len(generations) == 1, "the second request for the same shape made no model call"
    assert second.advice_id == advice.id
    assert not second.generated
    assert Advice.objects.count() == 1


def test_a_model_path_that_is_not_a_gguf_file_is_refused(tmp_path):
    not_a_model = tmp_path / "model.bin"
    not_a_model.write_bytes(b"x")
    for path in (not_a_model, tmp_path / "missing.gguf"):
        with pytest.raises(ProviderError, match=r"not a \.gguf file"):
            LocalLlamaProvider(model_path=str(path), threads=None, context=512, max_tokens=8)
