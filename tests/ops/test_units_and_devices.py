"""systemd units per role, the kiosk session in cage, and devices added or re-keyed in the hospital file."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from caller.ops.units import ROLES, SCREEN_ROLES, UnitOptions, parse_unit, render_backup_units, render_unit, unit_name
from caller.testing import DEMO_TOKENS, REPO, run_service
from client.http import CallerClient, CallerError
from common.config import DEMO_CONFIG, load_hospital
from common.device_settings import KioskSettings

OPTIONS = UnitOptions(app_dir=str(REPO))


def caller_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "caller", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_restarts_logs_to_the_journal_and_never_puts_a_token_on_its_command_line(role):
    unit = parse_unit(render_unit(role, OPTIONS))
    service = unit["Service"]
    assert service["Restart"] == ["always"]
    assert service["StandardOutput"] == ["journal"] and service["StandardError"] == ["journal"]
    assert "--token" not in " ".join(service["ExecStart"])
    # a file limit in every unit: the service's connections are files, and 1,024 is the default
    assert int(service["LimitNOFILE"][0]) >= (65536 if role == "service" else 4096)
    if role == "service":
        assert service["Type"] == ["notify"] and int(service["WatchdogSec"][0]) > 0
        assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    else:
        assert service["LoadCredential"] == [f"token:/etc/hospital/credentials/{role}.token"]
    if role in SCREEN_ROLES:  # full screen in cage on its own VT; no `-s`, so Ctrl+Alt+Fn cannot switch away
        command = service["ExecStart"][0].split()
        assert command[0] == "/usr/bin/cage" and "-s" not in command[:command.index("--")]
        assert service["User"] == ["kiosk"] and service["TTYPath"] == ["/dev/tty7"]
        assert unit["Install"]["WantedBy"] == ["graphical.target"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_every_unit_and_the_backup_timer(tmp_path):
    for role in ROLES:
        (tmp_path / unit_name(role)).write_text(render_unit(role, OPTIONS))
    for name, text in render_backup_units(OPTIONS).items():
        (tmp_path / name).write_text(text)
    backup = parse_unit(render_backup_units(OPTIONS)["hospital-backup.service"])
    assert int(backup["Service"]["LimitNOFILE"][0]) >= 4096
    files = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *files], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


def test_install_unit_writes_the_units_where_it_is_told(tmp_path):
    answer = caller_cli("install-unit", "backup", "--unit-dir", str(tmp_path))
    assert answer.returncode == 0, answer.stderr
    timer = parse_unit((tmp_path / "hospital-backup.timer").read_text())
    assert timer["Timer"]["OnCalendar"] == ["*-*-* 02:30:00"] and timer["Timer"]["Persistent"] == ["true"]
    answer = caller_cli("install-unit", "kiosk", "--unit-dir", str(tmp_path), "--service", "http://10.0.0.5:8700",
                        "--args", "--reader /dev/idcard --printer tcp://10.0.0.9:9100")
    kiosk = parse_unit((tmp_path / "hospital-kiosk.service").read_text())
    assert kiosk["Service"]["ExecStart"][0].endswith(
        "-m kiosk --service http://10.0.0.5:8700 --fullscreen --reader /dev/idcard --printer tcp://10.0.0.9:9100")


def test_new_device_and_rotate_token_take_effect_on_reload(tmp_path):
    config = tmp_path / "hospital.toml"
    shutil.copy(DEMO_CONFIG, config)
    config.chmod(0o640)
    with run_service(config, tmp_path / "h.db") as live, CallerClient(live, DEMO_TOKENS["admin"]) as admin:
        added = caller_cli("new-device", "kiosk", "--area", "NK", "--name", "内科自助机", "--config", str(config),
                           "--service", live)
        assert added.returncode == 0, added.stderr
        device = next(d for d in load_hospital(config).devices if d.id == "kiosk-nk-1")
        assert device.token in added.stdout and "install-unit kiosk" in added.stdout
        pin = added.stdout.split("file keeps its hash): ")[1].split()[0]
        assert pin not in config.read_text() and device.settings.admin_pin_hash.startswith(("pbkdf2", "$argon2id$"))
        assert KioskSettings(admin_pin_hash=device.settings.admin_pin_hash).pin_matches(pin)
        assert oct(config.stat().st_mode & 0o777) == "0o640"  # the file keeps its mode
        assert "# ---- Queue rules" in config.read_text()  # and its comments
        admin.request("POST", "/admin/reload")
        with CallerClient(live, device.token) as kiosk:
            assert kiosk.request("GET", "/auth/me")["device"] == "kiosk-nk-1"

        rotated = caller_cli("rotate-token", "kiosk-nk-1", "--config", str(config))
        assert rotated.returncode == 0, rotated.stderr
        fresh = next(d for d in load_hospital(config).devices if d.id == "kiosk-nk-1").token
        assert fresh != device.token and fresh in rotated.stdout
        admin.request("POST", "/admin/reload")
        with pytest.raises(CallerError) as old, CallerClient(live, device.token) as kiosk:
            kiosk.request("GET", "/auth/me")
        assert old.value.status == 401
        with CallerClient(live, fresh) as kiosk:
            assert kiosk.request("GET", "/auth/me")["device"] == "kiosk-nk-1"
    assert caller_cli("new-device", "door", "--area", "NK", "--room", "nowhere", "--config", str(config)).returncode == 2


def _nobody() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return None


@pytest.mark.skipif(not (shutil.which("cage") and shutil.which("Xwayland") and shutil.which("setpriv")
                         and os.geteuid() == 0 and _nobody()),
                    reason="needs root, cage, Xwayland and setpriv (Debian: cage xwayland util-linux)")
def test_the_kiosk_starts_full_screen_inside_cage_as_an_unprivileged_user(tmp_path):
    """What the kiosk unit runs, on wlroots' headless backend (no screen here): cage + the kiosk on Wayland."""
    user = _nobody()
    # a Wayland socket path must stay under 108 bytes; cage's children (Xwayland) may still be leaving their sockets
    # there as cage ends, so the folder is removed without failing on a file that appears meanwhile
    short = tempfile.TemporaryDirectory(prefix="xdg-", ignore_cleanup_errors=True)
    runtime = Path(short.name)
    os.chown(runtime, user.pw_uid, user.pw_gid)
    runtime.chmod(0o700)
    tmp_path.chmod(0o755)
    # the unprivileged user may not reach this clone or its venv (a clone in root's home, or under `mktemp -d`):
    # run a copy of the code from a readable directory, the system's Python of the same version, and this venv's
    # packages bind-mounted there in a mount namespace of the kiosk's own (as the kiosk machine's venv would be)
    python = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if not os.path.exists(python) or not shutil.which("unshare"):
        pytest.skip(f"{python} or unshare is not installed")
    packages = next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))
    reachable = Path(tempfile.mkdtemp(prefix="kiosk-app-"))  # /tmp: every user may enter it
    reachable.chmod(0o755)
    app = reachable / "app"
    shutil.copytree(REPO, app, ignore=shutil.ignore_patterns(".git", ".venv", "tests", "bench", "__pycache__", "*.db",
                                                             "out", "node_modules"))
    (reachable / "site-packages").mkdir()
    for path in [reachable, *reachable.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    env = {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime),
           "WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1", "WLR_RENDERER": "pixman",
           "QT_QPA_PLATFORM": "wayland", "HOSPITAL_TOKEN": DEMO_TOKENS["kiosk"],
           "PYTHONPATH": f"{app}:{reachable / 'site-packages'}"}
    with run_service(db_path=tmp_path / "h.db") as live, CallerClient(live, DEMO_TOKENS["admin"]) as admin:
        command = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                   'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", packages, str(reachable / "site-packages"),
                   "setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
                   "cage", "-d", "--", python, "-m", "kiosk", "--service", live, "--fullscreen",
                   "--reader", str(reachable / "no-reader-here")]
        proc = subprocess.Popen(command, cwd=app, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 45
            reported = []
            while not reported:  # the kiosk came up and told the service its reader is missing
                assert proc.poll() is None, proc.stdout.read().decode(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "the kiosk did not report from inside cage"
                reported = [d for d in admin.devices() if d["device"].endswith("/idcard")]
                time.sleep(0.2)
            assert reported[0]["status"] in ("fault", "offline") and "读卡器" in reported[0]["reason_zh"]
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            proc.stdout.close()
            short.cleanup()
            shutil.rmtree(runtime, ignore_errors=True)
            shutil.rmtree(reachable, ignore_errors=True)


def test_check_config_warns_about_a_staff_pin_kept_in_plain_text():
    answer = caller_cli("check-config", "--demo", str(DEMO_CONFIG))  # the demo file keeps its PIN readable on purpose
    assert answer.returncode == 0
    assert "'kiosk-lobby-1': settings.admin_pin is stored in plain text" in answer.stderr
    assert "admin_pin_hash" in answer.stderr


def test_new_device_can_issue_a_client_certificate_that_verifies_against_the_ca(tmp_path):
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    config = tmp_path / "hospital.toml"
    config.write_text(DEMO_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    ca_dir = tmp_path / "ca"
    made = caller_cli("new-device", "kiosk", "--area", "NK", "--id", "kiosk-nk-9", "--config", str(config),
                      "--certificates", str(ca_dir))
    assert made.returncode == 0, made.stderr
    ca = x509.load_pem_x509_certificate((ca_dir / "ca.crt").read_bytes())
    cert = x509.load_pem_x509_certificate((ca_dir / "kiosk-nk-9.crt").read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "kiosk-nk-9"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "kiosk"
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    cert.verify_directly_issued_by(ca)  # raises unless the CA signed it
    other_ca = tmp_path / "other"
    from caller.ops.certificates import ensure_ca

    stranger, _ = ensure_ca(other_ca)
    with pytest.raises((ValueError, InvalidSignature)):  # another CA (another name, another key) did not sign it
        cert.verify_directly_issued_by(stranger)
    assert (ca_dir / "kiosk-nk-9.key").stat().st_mode & 0o077 == 0 and (ca_dir / "ca.key").stat().st_mode & 0o077 == 0
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
