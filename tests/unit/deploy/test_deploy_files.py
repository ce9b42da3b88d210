"""The deployment files (deploy/) are checked here, since no container runs on CI.

- deploy/compose.yaml against the Compose Specification's JSON schema (the copy that
  check-jsonschema vendors, `vendor.compose-spec`; Apache-2.0, from
  github.com/compose-spec/compose-spec), after Compose's own `${VAR}` interpolation;
- every Kubernetes manifest under deploy/k8s/ against the Kubernetes OpenAPI schemas that
  kubernetes-validate ships (strict: an unknown field fails), offline;
- every MEDIAPROOF_* name they set is a setting config.py reads, and the values they give
  are accepted by it;
- every mediaproof command they run exists in the CLI with the options given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import typer
import yaml
from pydantic_settings import BaseSettings

from mediaproof.cli.main import app as cli_app
from mediaproof.config import Settings

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
K8S = sorted((DEPLOY / "k8s").glob("*.yaml"))
K8S_VERSION = "1.33"
# what deploy/example.env stands for when the files are read here
ENV = {
    "POSTGRES_PASSWORD": "pg-secret",
    "RABBITMQ_PASSWORD": "mq-secret",
    "S3_ACCESS_KEY": "s3-access-key-x",
    "S3_SECRET_KEY": "s3-secret-key-x",
    "METRICS_TOKEN": "metrics-token-0123456789abcdef",
    "MATCHER_TOKEN": "matcher-token-0123456789abcdef",
}


# --- helpers ----------------------------------------------------------------------


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:?err}`, `${VAR:-default}` and `$$` substitution."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in env and env[name] != "":
            return env[name]
        if op == ":-":
            return arg or ""
        raise AssertionError(f"{name} is required ({arg})")

    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[?-])([^}]*))?\}", sub, text)


def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(interpolate(COMPOSE.read_text(), ENV))
    return doc


def k8s_resources() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in K8S:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path, doc


def known_settings() -> set[str]:
    """Every environment name config.Settings reads: MEDIAPROOF_<FIELD>, and for each
    nested settings group its own prefix + field."""
    names = set()
    prefix = str(Settings.model_config.get("env_prefix", ""))
    for name, field in Settings.model_fields.items():
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseSettings):
            sub_prefix = str(sub.model_config.get("env_prefix", ""))
            names.update(sub_prefix + n.upper() for n in sub.model_fields)
        else:
            names.add(prefix + name.upper())
    return names


def unknown_settings(names: set[str]) -> set[str]:
    return {n for n in names if n.startswith("MEDIAPROOF_")} - known_settings()


def check_cli(args: list[str]) -> None:
    """Parse ``mediaproof ARGS`` the way the CLI would, without running it."""
    cmd: Any = typer.main.get_command(cli_app)
    path = ["mediaproof"]
    rest = list(args)
    while isinstance(cmd, typer.core.TyperGroup):
        assert rest, f"`{' '.join(path)}` needs a sub-command"
        sub = cmd.get_command(None, rest[0])  # type: ignore[arg-type]
        assert sub is not None, f"`{' '.join(path)}` has no command {rest[0]!r}"
        path.append(rest.pop(0))
        cmd = sub
    try:
        cmd.make_context(" ".join(path), rest)  # raises on unknown options or bad values
    except typer.exceptions.TyperException as e:  # typer's own click: a usage error
        raise AssertionError(f"`{' '.join(path)} {' '.join(rest)}`: {e}") from e


def compose_env(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def mediaproof_services(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Services that run the mediaproof image through its entrypoint (`mediaproof`)."""
    return {
        name: svc
        for name, svc in doc["services"].items()
        if str(svc.get("image", "")).startswith("mediaproof:") and "entrypoint" not in svc
    }


def k8s_containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for _path, res in k8s_resources():
        spec = res.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        for c in pod.get("containers", []):
            if str(c.get("image", "")).startswith("mediaproof:"):
                yield f"{res['kind']}/{res['metadata']['name']}", c


# --- the checks --------------------------------------------------------------------


def test_compose_file_follows_the_compose_specification() -> None:
    schema_text = (
        resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    ).read_text()
    schema = json.loads(schema_text)
    validator = jsonschema.Draft202012Validator(schema)
    doc = compose()
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    # ... and the schema bites: a misspelt key is refused
    bad = json.loads(json.dumps(doc))
    bad["services"]["api"]["helthcheck"] = bad["services"]["api"].pop("healthcheck")
    assert list(validator.iter_errors(bad))


def test_compose_has_the_services_of_a_cluster() -> None:
    svcs = compose()["services"]
    for name in (
        "postgres",
        "rabbitmq",
        "s3",
        "proxy",
        "api",
        "worker",
        "log-writer",
        "exchange-scheduler",
    ):
        assert name in svcs, name
    assert svcs["api"]["deploy"]["replicas"] >= 2
    for name in ("postgres", "rabbitmq", "s3", "api"):
        assert "healthcheck" in svcs[name], name
    # the singletons run their own commands (issue 20 #5), not a `serve` on the side
    assert svcs["log-writer"]["command"][:2] == ["run", "log-writer"]
    assert svcs["exchange-scheduler"]["command"][:2] == ["run", "scheduler"]
    assert "/readyz" in " ".join(svcs["api"]["healthcheck"]["test"])
    # the sharded matchers: 2 shards x 2 replicas, each named in MEDIAPROOF_MATCHERS
    matchers = sorted(n for n in svcs if n.startswith("matcher-"))
    assert matchers == ["matcher-0-a", "matcher-0-b", "matcher-1-a", "matcher-1-b"]
    spec = compose_env(svcs["api"])["MEDIAPROOF_MATCHERS"]
    for n in matchers:
        assert f"http://{n}:9001" in spec
        assert "/readyz" in " ".join(svcs[n]["healthcheck"]["test"])
        shard = svcs[n]["command"][svcs[n]["command"].index("--shard") + 1]
        assert spec.split(";")[int(shard)].count(n) == 1, (n, shard)

def test_compose_needs_its_secrets_from_outside() -> None:
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD is required"):
        interpolate(COMPOSE.read_text(), {k: v for k, v in ENV.items() if k != "POSTGRES_PASSWORD"})
    for value in ENV.values():
        assert value not in COMPOSE.read_text()


@pytest.mark.parametrize("path", K8S, ids=lambda p: p.name)
def test_kubernetes_manifests_follow_the_kubernetes_schemas(path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert docs
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            raise AssertionError(
                f"{path.name}: {doc['kind']}/{doc['metadata']['name']}: "
                f"{'.'.join(map(str, e.path))}: {e.message}"
            ) from e


def test_kubernetes_validation_bites() -> None:
    _path, doc = next((p, d) for p, d in k8s_resources() if d["kind"] == "Deployment")
    bad = json.loads(json.dumps(doc))
    probe = bad["spec"]["template"]["spec"]["containers"][0]
    probe["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": "http"}, "perodSeconds": 5}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


def test_kubernetes_api_and_workers_have_probes_budgets_and_no_secrets() -> None:
    res = list(k8s_resources())
    kinds = {(d["kind"], d["metadata"]["name"]): d for _p, d in res}
    api = kinds[("Deployment", "mediaproof-api")]
    c = api["spec"]["template"]["spec"]["containers"][0]
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["spec"]["replicas"] >= 2
    assert ("Deployment", "mediaproof-worker") in kinds
    assert ("PodDisruptionBudget", "mediaproof-api") in kinds
    assert ("PodDisruptionBudget", "mediaproof-worker") in kinds
    for i in (0, 1):  # the matchers: a StatefulSet per shard, 2 replicas, ready = caught up
        sts = kinds[("StatefulSet", f"mediaproof-matcher-{i}")]
        assert sts["spec"]["replicas"] == 2
        m = sts["spec"]["template"]["spec"]["containers"][0]
        assert m["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert m["args"][m["args"].index("--shard") + 1] == str(i)
        assert ("PodDisruptionBudget", f"mediaproof-matcher-{i}") in kinds
        assert kinds[("Service", f"mediaproof-matcher-{i}")]["spec"]["clusterIP"] == "None"
    config = next(d for _p, d in res if d["kind"] == "ConfigMap")
    for i in (0, 1):
        for k in (0, 1):
            assert f"mediaproof-matcher-{i}-{k}.mediaproof-matcher-{i}:9001" in (
                config["data"]["MEDIAPROOF_MATCHERS"].split(";")[i]
            )
    for name in ("mediaproof-log-writer", "mediaproof-exchange-scheduler"):
        single = kinds[("Deployment", name)]["spec"]
        assert single["replicas"] == 1 and single["strategy"]["type"] == "Recreate", name
    assert not [k for k in kinds if k[0] == "Secret"], "secrets are referenced, not committed"
    # every secret a container reads comes from a Secret reference
    for where, c in k8s_containers():
        for e in c.get("env", []):
            if (
                any(s in e["name"] for s in ("SECRET", "TOKEN", "URL"))
                and "S3_ENDPOINT" not in e["name"]
            ):
                assert "secretKeyRef" in e.get("valueFrom", {}), (where, e["name"])


def test_every_setting_in_the_deploy_files_exists_in_config() -> None:
    names: set[str] = set()
    for svc in compose()["services"].values():
        names |= set(compose_env(svc))
    for _path, res in k8s_resources():
        if res["kind"] == "ConfigMap":
            names |= set(res["data"])
    for _where, c in k8s_containers():
        names |= {e["name"] for e in c.get("env", [])}
    assert len([n for n in names if n.startswith("MEDIAPROOF_")]) >= 10
    assert unknown_settings(names) == set()
    # the check bites: a misspelt name is reported
    assert unknown_settings({"MEDIAPROOF_SERVICE_BEHIND_PROXI", "MEDIAPROOF_HOME"}) == {
        "MEDIAPROOF_SERVICE_BEHIND_PROXI"
    }


@pytest.mark.parametrize("service", ["api", "worker", "log-writer", "exchange-scheduler"])
def test_compose_settings_are_accepted_by_config(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in __import__("os").environ if k.startswith("MEDIAPROOF_")]:
        monkeypatch.delenv(key)
    for k, v in compose_env(compose()["services"][service]).items():
        monkeypatch.setenv(k, v)
    s = Settings()  # raises on a value config.py refuses
    assert s.broker_url is not None and s.database_url and s.database_url.startswith("postgres")
    assert s.blob.store == "s3://mediaproof/instance"
    expected_pull = 300.0 if service == "exchange-scheduler" else 0.0
    assert s.service.exchange_pull_interval_s == expected_pull


def test_every_command_in_the_deploy_files_exists_in_the_cli() -> None:
    commands = [svc["command"] for svc in mediaproof_services(compose()).values()]
    commands += [c["args"] for _w, c in k8s_containers()]
    assert len(commands) >= 6
    for args in commands:
        check_cli([str(a) for a in args])
    # the check bites: an unknown command or option is refused
    with pytest.raises(AssertionError, match="no command"):
        check_cli(["matchers", "--shard", "1"])
    with pytest.raises(AssertionError, match="--shards"):
        check_cli(["worker", "--shards", "2"])


def test_the_dockerfile_copies_what_exists_and_installs_real_extras() -> None:
    import tomllib

    text = (DEPLOY / "Dockerfile").read_text()
    for src in re.findall(r"^COPY\s+(.+?)\s+\S+$", text, flags=re.M):
        for part in src.split():
            assert (ROOT / part).exists(), f"COPY {part}: not in the repository"
    extras = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    )
    wanted = re.findall(r'pip install[^\n]*"\.\[([a-z0-9,-]+)\]"', text)
    assert wanted, "the Dockerfile installs the package with its extras"
    for group in wanted:
        assert set(group.split(",")) <= extras, group
    assert {"postgres", "s3", "queue"} <= set(wanted[0].split(","))
    # the image runs the CLI: compose and k8s pass only its arguments
    assert 'ENTRYPOINT ["mediaproof"]' in text
