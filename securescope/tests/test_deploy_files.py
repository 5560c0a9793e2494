"""deploy/ is validated statically: no Docker engine or systemd runs on CI machines."""

import configparser
import re
from pathlib import Path

import yaml
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"
ENV_EXAMPLE = (Path(settings.BASE_DIR) / ".env.example").read_text()
DOCUMENTED = set(re.findall(r"^# ?([A-Z0-9_]+)=", ENV_EXAMPLE, re.MULTILINE))
# Read by django-q2 itself to pick the cluster a process serves.
PER_PROCESS = {"Q_CLUSTER_NAME"}
CLUSTERS = set(settings.Q_CLUSTER["ALT_CLUSTERS"])


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_has_the_production_services():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "scans", "advice", "llama"}
    # llama.cpp's server is optional: it starts only with --profile llm.
    assert services["llama"]["profiles"] == ["llm"]
    assert "/models/" in " ".join(services["llama"]["command"])
    redis_command = " ".join(services["redis"]["command"])
    assert "--save  --appendonly no" in redis_command.replace('""', "")
    workers = {services[name]["environment"]["Q_CLUSTER_NAME"] for name in ("scans", "advice")}
    assert workers == CLUSTERS


def test_compose_volumes_are_declared_and_env_vars_documented():
    document = compose()
    declared = set(document["volumes"])
    for name, service in document["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in declared, (name, source)
        if name in ("postgres", "redis"):
            continue
        assert set(service.get("environment", {})) - DOCUMENTED - PER_PROCESS == set(), name


def test_dockerfile_is_multi_stage_non_root_and_without_compilers():
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    assert len(stages) == 2
    final = stages[-1]
    assert "build-essential" not in final
    assert "gcc" not in final
    assert re.search(r"^USER securescope$", final, re.MULTILINE)
    assert "deploy/gunicorn.conf.py" in final
    env_names = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", final))
    assert env_names - {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"} <= DOCUMENTED


def test_the_image_builds_llama_cpp_with_the_flags_deploy_start_uses():
    build_stage = re.split(r"^FROM ", (DEPLOY / "Dockerfile").read_text(), flags=re.MULTILINE)[1]
    lib = (DEPLOY / "lib.sh").read_text()
    cmake_args = re.search(r'^LLAMA_CPP_CMAKE_ARGS="([^"]+)"$', lib, re.MULTILINE).group(1)
    assert "-U__AMX_INT8__" in cmake_args
    assert f'ENV CMAKE_ARGS="{cmake_args}"' in build_stage


def test_systemd_units_run_the_web_and_each_worker_cluster():
    clusters = set()
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.read(path)
        service = unit["Service"]
        assert service["User"] == "securescope"
        assert service["EnvironmentFile"].endswith("/.env")
        command = service["ExecStart"]
        if "qcluster" in command:
            clusters.add(service["Environment"].split("=", 1)[1])
        else:
            assert "gunicorn -c deploy/gunicorn.conf.py" in command
    assert clusters == CLUSTERS


def test_systemd_units_keep_no_core_file():
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.read(path)
        assert unit["Service"]["LimitCORE"] == "0", path.name


def test_compose_redis_needs_a_password_and_is_reached_through_a_socket_only():
    services = compose()["services"]
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--port") + 1] == "0"
    assert "--requirepass" in redis_command
    for name in ("web", "scans", "advice"):
        url = services[name]["environment"]["REDIS_URL"]
        assert url.startswith("unix://:${REDIS_PASSWORD"), name
