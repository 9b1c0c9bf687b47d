"""The service's client of the national medical-insurance platform: one envelope per transaction, over HTTP.

What can happen to a transaction, and what the caller must do about it:

- an answer with ``infcode`` 0: done (``output``);
- an answer with ``infcode`` -1: refused, nothing done (``MedInsRefused`` with the platform's ``err_msg``);
- never sent (connection refused, the platform's gateway answering 5xx): nothing done (``MedInsUnreachable``);
- sent, no answer (read timeout, connection dropped): the platform may or may not have done it
  (``MedInsNoAnswer``): a settlement in that state is undone by 冲正 (2601) with its ``msgid``.

Nothing of the patient's data is logged here: log lines carry the transaction number and the infcode only.
"""
from __future__ import annotations

import itertools
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from common.clock import hospital_now
from platforms.medins.envelope import OPTER_SELF_SERVICE, Answer, Request

log = logging.getLogger("records.insurance")

PATH = "/fsi/api/rsfComIfsService/callService"


class MedInsError(Exception):
    def __init__(self, infno: str, reason: str) -> None:
        super().__init__(f"{infno}: {reason}")
        self.infno = infno
        self.reason = reason


class MedInsRefused(MedInsError):
    """infcode -1: the platform did nothing; ``reason`` is its err_msg (fit to show, it is the platform's words)."""


class MedInsUnreachable(MedInsError):
    """The request never reached the platform (or its gateway refused it): nothing was done."""


class MedInsNoAnswer(MedInsError):
    """Sent, but no answer came: the outcome is unknown."""


@dataclass(frozen=True)
class Operator:
    """Who sends the transaction: a self-service terminal (opter_type 2) with its device id, or a member of staff (1)."""

    opter_type: str
    opter: str
    opter_name: str
    dev_no: str


class MedInsClient:
    """``MedInsClient(url, fixmedins_code, fixmedins_name, admvs)``; thread-safe."""

    def __init__(self, url: str, fixmedins_code: str, fixmedins_name: str, admvs: str = "110100",
                 timeout_s: float = 10.0, clock: Callable[[], datetime] = hospital_now) -> None:
        if len(fixmedins_code) != 12:
            raise ValueError("fixmedins_code (定点医药机构编号) has 12 characters, e.g. H11010100001")
        self.url = url.rstrip("/")
        self.fixmedins_code = fixmedins_code
        self.fixmedins_name = fixmedins_name
        self.admvs = admvs
        self.clock = clock
        self._client = httpx.Client(base_url=self.url, timeout=timeout_s)
        self._seq = itertools.count(secrets.randbelow(10000))
        self._lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def new_msgid(self) -> str:
        """报文ID: institution code (12) + yyyyMMddHHmmss (14) + a 4-digit sequence = 30 characters."""
        with self._lock:
            n = next(self._seq) % 10000
        return f"{self.fixmedins_code}{self.clock():%Y%m%d%H%M%S}{n:04d}"

    def call(self, infno: str, data: dict[str, Any], who: Operator, msgid: str | None = None,
             insuplc_admdvs: str = "") -> dict[str, Any]:
        """Send one transaction; its ``output``. ``data`` is the whole ``input`` object (e.g. ``{"data": {...}}``)."""
        request = Request(infno=infno, msgid=msgid or self.new_msgid(), mdtrtarea_admvs=self.admvs,
                          insuplc_admdvs=insuplc_admdvs or self.admvs, dev_no=who.dev_no, opter_type=who.opter_type,
                          opter=who.opter, opter_name=who.opter_name, inf_time=f"{self.clock():%Y-%m-%d %H:%M:%S}",
                          fixmedins_code=self.fixmedins_code, fixmedins_name=self.fixmedins_name, input=data)
        try:
            response = self._client.post(PATH, json=request.model_dump())
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            log.warning("medical insurance %s not sent: %s", infno, type(exc).__name__)
            raise MedInsUnreachable(infno, "医保平台暂时无法连接") from exc
        except httpx.HTTPError as exc:  # sent; the answer was lost or too late
            log.warning("medical insurance %s sent, no answer: %s", infno, type(exc).__name__)
            raise MedInsNoAnswer(infno, "医保平台没有应答") from exc
        if response.status_code >= 500 or response.status_code in (404, 429):
            log.warning("medical insurance %s refused by the gateway: HTTP %s", infno, response.status_code)
            raise MedInsUnreachable(infno, "医保平台暂时不可用")
        try:
            answer = Answer.model_validate(response.json())
        except ValueError as exc:
            log.warning("medical insurance %s answered something unreadable", infno)
            raise MedInsNoAnswer(infno, "医保平台应答无法识别") from exc
        if not answer.ok:
            log.info("medical insurance %s refused (infcode %s)", infno, answer.infcode)
            raise MedInsRefused(infno, answer.err_msg or "医保平台拒绝了本次交易")
        return answer.output or {}


def self_service(device: str) -> Operator:
    """A kiosk: 自助终端 (opter_type 2), the kiosk's device id as operator and device number."""
    return Operator(OPTER_SELF_SERVICE, device, "自助机", device)
