import pytest

from advice.models import Advice, ScanAdvice
from advice.prompts import advice_messages, advice_schema
from advice.providers import ProviderError
from advice.providers.llama_server import LlamaServerProvider, validated_endpoint
from advice.services import advice_item_run
from advice.tests.conftest import STAND_IN_MODEL
from rules.loading import load_catalog
from testing.factories import create_scan

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://llm.internal:8443/v1", "https://llm.internal:8443"),
        ("http://[::1]:8080/prefix/v1/", "http://[::1]:8080/prefix"),
    ],
)
def test_valid_endpoints_are_normalized(url, base):
    assert validated_endpoint(url) == base


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://llm.internal:8080", "must be https://"),
        ("http://10.0.0.5:8080", "must be https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("ftp://llm.internal", "http:// or https://"),
        ("http://", "http:// or https://"),
        ("llm.internal:8080", "http:// or https://"),
        ("http://admin:hunter2@llm.internal", "user name or password"),
        ("http://llm.internal/?key=1", "query or fragment"),
    ],
)
def test_invalid_endpoints_are_refused_without_echoing_secrets(url, problem):
    with pytest.raises(ProviderError, match=problem) as refused:
        validated_endpoint(url)
    assert "hunter2" not in str(refused.value)


def test_plain_http_elsewhere_is_accepted_only_when_allowed():
    assert validated_endpoint("http://llama:8080", allow_http=True) == "http://llama:8080"


@pytest.mark.parametrize("model_id", ["<img src=x onerror=alert(1)>", "=cmd", "a b", "x" * 201])
def test_a_model_id_that_is_not_a_plain_name_is_refused(stand_in, model_id):
    with pytest.raises(ProviderError, match="model id"):
        provider(stand_in, model_name=model_id)


def provider(stand_in, *, model_name="", timeout=2.0):
    return LlamaServerProvider(
        endpoint=stand_in.url, model_name=model_name, timeout=timeout, max_tokens=512
    )


def test_a_completion_is_constrained_to_the_advice_schema(stand_in):
    rule = next(rule for rule in load_catalog().rules if rule.id == "EC2_SG_SSH_OPEN")
    messages = advice_messages(rule=rule, shape={"open_ports": [22]})
    generation = provider(stand_in).generate(messages, schema=advice_schema())
    assert generation.completion_tokens == 120
    sent = stand_in.requests[-1]
    assert sent["response_format"]["json_schema"]["schema"] == advice_schema()
    assert sent["model"] == STAND_IN_MODEL
    assert sent["messages"] == messages


def test_the_model_id_is_the_setting_or_what_the_server_reports(stand_in):
    assert provider(stand_in).model_id == STAND_IN_MODEL
    assert provider(stand_in, model_name="mistral-7b-q4").model_id == "mistral-7b-q4"


@pytest.mark.parametrize(
    ("mode", "delay", "message"),
    [
        ("answer", 1.5, "did not answer within 0.5 s"),
        ("error", 0, "HTTP 500"),
        ("not-a-completion", 0, "not a chat completion"),
    ],
)
def test_server_failures_become_provider_errors(stand_in, mode, delay, message):
    client = provider(stand_in, timeout=0.5)
    stand_in.mode, stand_in.delay = mode, delay
    with pytest.raises(ProviderError, match=message):
        client.generate(MESSAGES, schema=advice_schema())


def test_an_unreachable_server_is_a_provider_error():
    with pytest.raises(ProviderError, match="call failed"):
        LlamaServerProvider(
            endpoint="http://127.0.0.1:9", model_name="m", timeout=1, max_tokens=1
        ).generate(MESSAGES, schema=advice_schema())


def plan_item(**overrides) -> ScanAdvice:
    fields = {
        "scan": create_scan(),
        "rule_id": "EC2_IMDSV2_REQUIRED",
        "shape_key": "k" * 64,
        "shape": {"http_tokens": "optional", "http_endpoint": "enabled"},
        "findings_count": 3,
    }
    return ScanAdvice.objects.create(**{**fields, **overrides})


@pytest.mark.django_db
def test_an_answer_that_is_not_json_falls_back_to_curated_and_is_cached(llm_server):
    llm_server.mode = "not-json"
    item = plan_item()
    advice_item_run(item_id=item.id)
    item.refresh_from_db()
    assert item.status == ScanAdvice.Status.DONE
    assert item.advice.source == Advice.Source.CURATED
    assert item.advice.rejected_reason.startswith("not JSON")
    assert "modify-instance-metadata-options" in item.advice.markdown
    assert item.advice.model_id == STAND_IN_MODEL


@pytest.mark.django_db
def test_a_server_error_falls_back_without_caching_so_the_next_scan_asks_again(llm_server):
    llm_server.mode = "error"
    item = plan_item()
    advice_item_run(item_id=item.id)
    item.refresh_from_db()
    assert item.status == ScanAdvice.Status.FAILED
    assert item.error == "the LLM server answered HTTP 500"
    assert not Advice.objects.exists()

    llm_server.mode = "answer"
    retry = plan_item(scan=create_scan())
    advice_item_run(item_id=retry.id)
    retry.refresh_from_db()
    assert retry.advice.source == Advice.Source.MODEL
