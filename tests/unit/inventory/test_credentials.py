"""Credential resolution: environment over secrets file, secrets never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ward_core.config import Settings
from ward_core.errors import CredentialError
from ward_core.inventory.credentials import CredentialResolver, Secret, env_var

SECRETS = """\
lab-ssh:
  username: ward
  password: file-password
  secret: file-enable
lab-snmp:
  community: file-community
numeric:
  username: admin
  password: 123456
"""


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.yml"
    path.write_text(SECRETS)
    return path


def test_values_come_from_the_secrets_file(secrets_file: Path) -> None:
    resolver = CredentialResolver(secrets_file=secrets_file, environ={})
    ssh = resolver.resolve("lab-ssh", device="r1", require=("username", "password"))
    assert ssh.username == "ward"
    assert ssh.password is not None and ssh.password.reveal() == "file-password"
    assert ssh.secret is not None and ssh.secret.reveal() == "file-enable"
    assert ssh.community is None
    assert ssh.present() == ("username", "password", "secret")
    numeric = resolver.resolve("numeric")
    assert numeric.password is not None and numeric.password.reveal() == "123456"


def test_environment_overrides_the_file_field_by_field(secrets_file: Path) -> None:
    environ = {"WARD_CRED_LAB_SSH_PASSWORD": "env-password", "WARD_CRED_ONLY_ENV_COMMUNITY": "env-community"}
    resolver = CredentialResolver(secrets_file=secrets_file, environ=environ)
    ssh = resolver.resolve("lab-ssh")
    assert ssh.username == "ward"
    assert ssh.password is not None and ssh.password.reveal() == "env-password"
    only_env = resolver.resolve("only-env", require=("community",))
    assert only_env.community is not None and only_env.community.reveal() == "env-community"


def test_the_process_environment_and_settings_are_used(
    secrets_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARD_CRED_LAB_SNMP_COMMUNITY", "from-process-env")
    resolver = CredentialResolver.from_settings(Settings(secrets_file=secrets_file))
    community = resolver.resolve("lab-snmp", require=("community",)).community
    assert community is not None and community.reveal() == "from-process-env"


def test_env_var_names() -> None:
    assert env_var("lab-ssh", "auth_key") == "WARD_CRED_LAB_SSH_AUTH_KEY"
    assert env_var("dc1.core", "username") == "WARD_CRED_DC1_CORE_USERNAME"


def test_secrets_never_appear_in_repr_str_or_logs(
    secrets_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    credential = CredentialResolver(secrets_file=secrets_file, environ={}).resolve("lab-ssh")
    logging.getLogger("test").warning("resolved %s / %r / %s", credential, credential, credential.password)
    for text in (repr(credential), str(credential), caplog.text, f"{credential.password}"):
        assert "file-password" not in text
        assert "file-enable" not in text
    assert "Secret('********')" in repr(credential)
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")


def test_an_undefined_credential_names_itself_and_the_device(secrets_file: Path) -> None:
    resolver = CredentialResolver(secrets_file=secrets_file, environ={})
    with pytest.raises(CredentialError) as caught:
        resolver.resolve("branch-ssh", device="br001-rtr1")
    message = str(caught.value)
    assert "credential 'branch-ssh' (device 'br001-rtr1') is not defined" in message
    assert "WARD_CRED_BRANCH_SSH_<FIELD>" in message
    assert str(secrets_file) in message


def test_a_missing_field_is_named_and_no_value_is_shown(secrets_file: Path) -> None:
    resolver = CredentialResolver(secrets_file=secrets_file, environ={})
    with pytest.raises(CredentialError) as caught:
        resolver.resolve("lab-snmp", device="sw1", require=("auth_key", "priv_key"))
    message = str(caught.value)
    assert "credential 'lab-snmp' (device 'sw1') has no auth_key, priv_key" in message
    assert "WARD_CRED_LAB_SNMP_AUTH_KEY" in message
    assert "file-community" not in message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("lab-ssh: [a, b]\n", "field 'lab-ssh': expected a mapping of fields"),
        ("lab-ssh:\n  passwd: x\n", "field 'lab-ssh.passwd': unknown field"),
        ("lab-ssh:\n  password: {nested: hunter2}\n", "field 'lab-ssh.password': expected a text value"),
        ("- a\n", "expected a mapping of credential names"),
        ("lab-ssh:\n  password: 'hunter2\n", "YAML syntax error"),
    ],
)
def test_bad_secrets_files_never_echo_values(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "secrets.yml"
    path.write_text(content)
    with pytest.raises(CredentialError) as caught:
        CredentialResolver(secrets_file=path, environ={}).resolve("lab-ssh")
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_missing_secrets_file(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="secrets file not found"):
        CredentialResolver(secrets_file=tmp_path / "nope.yml", environ={}).resolve("x")
