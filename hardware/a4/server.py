"""A private CUPS scheduler with a cups-pdf queue: what the tests, the demo, screenshots and benchmarks print on.

    with CupsServer() as cups:
        out = cups.add_pdf_queue("LabA4")          # PDFs the queue prints land in `out`
        CupsPrinter("LabA4", cups.address).print_pdf(pdf, "检验报告")
        cups.wait_for_pdfs(out, 1)

Runs ``cupsd -f`` on a free loopback port with its spool, state and logs in a temporary directory (no systemd,
nothing of the machine's own CUPS is touched). cups-pdf reads its settings only from /etc/cups, so each queue gets
``/etc/cups/cups-pdf-<queue>.conf`` (the output directory), removed again by stop(). Needs root, like cups-pdf.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CUPS_PDF_PPD = "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"
CUPS_PDF_CONF_DIR = Path("/etc/cups")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available() -> str:
    """"" when a private CUPS with cups-pdf can run here, else what is missing."""
    for tool in ("cupsd", "lpadmin", "lp", "lpstat"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is not installed (apt-get install cups cups-client)"
    if not Path("/usr/lib/cups/backend/cups-pdf").exists():
        return "cups-pdf is not installed (apt-get install printer-driver-cups-pdf)"
    if os.geteuid() != 0:
        return "cups-pdf needs root"
    return ""


class CupsServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cups-"))
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._confs: list[Path] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> "CupsServer":
        missing = available()
        if missing:
            raise RuntimeError(missing)
        self.port = _free_port()
        dirs = {name: self.root / name for name in ("conf", "spool", "cache", "state", "tmp", "log")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)  # filters run as lp and read the spool
        for name in ("spool", "tmp"):
            os.chmod(dirs[name], 0o1777)
        (dirs["conf"] / "cupsd.conf").write_text(
            f"Listen 127.0.0.1:{self.port}\nLogLevel warn\nWebInterface No\nBrowsing No\nDefaultAuthType None\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order allow,deny\n    Allow all\n  </Limit>\n</Policy>\n")
        (dirs["conf"] / "cups-files.conf").write_text(
            f"ServerRoot {dirs['conf']}\nRequestRoot {dirs['spool']}\nCacheDir {dirs['cache']}\n"
            f"StateDir {dirs['state']}\nTempDir {dirs['tmp']}\nAccessLog {dirs['log']}/access_log\n"
            f"ErrorLog {dirs['log']}/error_log\nPageLog {dirs['log']}/page_log\n")
        cupsd = shutil.which("cupsd") or "/usr/sbin/cupsd"
        self.process = subprocess.Popen([cupsd, "-f", "-c", str(dirs["conf"] / "cupsd.conf"),
                                         "-s", str(dirs["conf"] / "cups-files.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self._running():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"cupsd did not start (see {dirs['log']}/error_log)")
            time.sleep(0.05)  # polling the scheduler until it answers
        return self

    def _running(self) -> bool:
        done = subprocess.run(["lpstat", "-h", self.address, "-r"], capture_output=True, text=True,
                              env={**os.environ, "LANG": "C"})
        return "scheduler is running" in done.stdout

    def add_pdf_queue(self, name: str, out_dir: Path | None = None) -> Path:
        """A cups-pdf queue whose PDFs are written to out_dir (returned)."""
        out = Path(out_dir or self.root / "pdf" / name)
        out.mkdir(parents=True, exist_ok=True)
        conf = CUPS_PDF_CONF_DIR / f"cups-pdf-{name}.conf"
        conf.write_text(f"Out {out}\nAnonDirName {out}\nLabel 1\n")
        self._confs.append(conf)
        subprocess.run([shutil.which("lpadmin") or "/usr/sbin/lpadmin", "-h", self.address, "-p", name,
                        "-v", f"cups-pdf:/{name}", "-m", CUPS_PDF_PPD, "-E",
                        "-o", "pdftops-renderer-default=pdftocairo"],  # keeps the text of CJK fonts searchable
                       check=True, capture_output=True)
        return out

    def stop_queue(self, name: str) -> None:
        """Pause the queue (what a jammed or switched-off printer looks like to CUPS)."""
        subprocess.run(["cupsdisable", "-h", self.address, name], check=True, capture_output=True)

    def start_queue(self, name: str) -> None:
        subprocess.run(["cupsenable", "-h", self.address, name], check=True, capture_output=True)

    @staticmethod
    def wait_for_pdfs(out_dir: Path, count: int, timeout: float = 20.0) -> list[Path]:
        """The PDFs in out_dir once there are count of them, each completely written."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = sorted(out_dir.glob("*.pdf"))
            if len(found) >= count and all(p.read_bytes().rstrip().endswith(b"%%EOF") for p in found):
                return found
            time.sleep(0.05)  # polling the output directory until cups-pdf has written the file
        raise TimeoutError(f"{count} PDF(s) expected in {out_dir}, found {len(list(out_dir.glob('*.pdf')))}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
        for conf in self._confs:
            conf.unlink(missing_ok=True)
        self._confs = []
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "CupsServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
