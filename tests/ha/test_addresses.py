"""Where a device sends its requests when the service runs active/standby (pure parts, no network)."""
from __future__ import annotations

import argparse

import pytest

from caller.ha.election import lock_key, with_keepalives
from client.http import ServiceAddresses, add_service_argument, service_from_args

A, B, C = "http://10.0.0.5:8700", "http://10.0.0.6:8700", "http://10.0.0.7:8700"


def test_a_standby_sends_the_device_to_the_active_one_of_its_own_list_only():
    addresses = ServiceAddresses(f"{A}, {B}/,{C}")
    assert addresses.current == A and len(addresses) == 3
    assert addresses.failed(A, active_hint=C) == C  # a standby named the active one
    assert addresses.failed(C, active_hint="http://evil.example:80") == A  # never an address outside the list
    assert addresses.failed(A) == B  # down: simply the next one
    assert str(addresses) == f"{B},{C},{A}"  # handed on with the one in use first
    addresses.served(C)
    assert addresses.current == C


def test_a_stale_failure_does_not_move_a_device_that_already_moved_on():
    addresses = ServiceAddresses([A, B])
    addresses.failed(A)
    assert addresses.failed(A) == B  # a second thread reporting the same dead address changes nothing


def test_service_addresses_come_from_the_command_line_then_the_environment_then_the_hospital_file(tmp_path):
    parser = argparse.ArgumentParser()
    add_service_argument(parser)
    parser.add_argument("--config")
    assert service_from_args(parser.parse_args(["--service", A, "--service", B]), {}) == f"{A},{B}"
    assert service_from_args(parser.parse_args([]), {"HOSPITAL_SERVICE": f"{B},{A}"}) == f"{B},{A}"
    from common.config import DEMO_CONFIG

    config = tmp_path / "h.toml"
    config.write_text(open(DEMO_CONFIG, encoding="utf-8").read().replace(
        "[hospital]\n", f'[hospital]\nservices = ["{A}", "{C}"]\n', 1), encoding="utf-8")
    assert service_from_args(parser.parse_args(["--config", str(config)]), {}) == f"{A},{C}"
    with pytest.raises(SystemExit, match="--service"):
        service_from_args(parser.parse_args([]), {})


def test_each_campus_schema_has_its_own_election_and_the_url_keeps_its_schema():
    assert lock_key("hospital", "east") != lock_key("hospital", "west")
    assert lock_key("hospital", "east") == lock_key("hospital", "east")
    url = with_keepalives("postgresql://h@db/hospital?options=-csearch_path%3Deast&sslmode=require")
    assert "options=-csearch_path%3Deast%20-c%20tcp_keepalives_idle%3D1" in url
    assert "sslmode=require" in url and "keepalives_idle=1" in url and "tcp_user_timeout=3000" in url
