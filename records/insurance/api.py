"""The LAN API of 医保 settlement, 电子健康卡 identification and 电子票据 (docs/his.md), under /api/v1/records.

Mounted with the records router (``records.api``); who may call each route is in caller/api/access.py. A kiosk acts
only for the patients of its patient session, as everywhere in records.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from caller.plugins import ServiceHooks
from platforms.medins.envelope import CERT_QR, PERSON_INFO
from records.api import (
    RecordsRoute,
    backend,
    for_patient,
    not_in_session,
    scoped,
    who,
)
from records.api import identify as identify_by_card
from records.errors import RecordsError
from records.insurance.claims import Claims
from records.insurance.ehealth import EHealthClient
from records.insurance.einvoice import Invoices, InvoiceSender, ReversalSender
from records.insurance.medins_client import MedInsClient, MedInsError, self_service
from records.insurance.sending import PlatformOutbox
from records.models import Identify, _Body

router = APIRouter(prefix="/records", tags=["insurance"], route_class=RecordsRoute)


class PlatformIdentify(_Body):
    qr: str = Field(min_length=8, max_length=400, description="the scanned QR text")


class ClaimStart(_Body):
    idempotency_key: str | None = None
    patient_id: int
    bill_ids: list[int] = Field(min_length=1)
    cert_type: Literal["01", "02", "03"] = Field(description="mdtrt_cert_type: 01 医保电子凭证, 02 身份证, 03 社保卡")
    cert_no: str = Field(min_length=1, max_length=400, description="the QR text, ID number or card number")


class Print(_Body):
    idempotency_key: str | None = None


@dataclass
class Platforms:
    """What install() built: None where the hospital has not connected the platform."""

    claims: Claims
    invoices: Invoices
    ehealth: EHealthClient | None
    medins: MedInsClient | None
    outbox: PlatformOutbox | None


def platforms(request: Request) -> Platforms:
    return request.app.state.insurance


def _owned_claim(request: Request, principal: Any, claim_id: int) -> None:
    if principal.role == "kiosk":
        for_patient(principal, platforms(request).claims.owner(claim_id))


def _owned_invoice(request: Request, principal: Any, invoice_id: int) -> None:
    if principal.role == "kiosk":
        for_patient(principal, platforms(request).invoices.owner(invoice_id))


# -- can this kiosk settle with 医保? (能用医保吗)
@router.get("/insurance/status", summary="Whether 医保 settlement, e-health cards and e-invoices are available here")
def insurance_status(request: Request, _: Any = Depends(who)) -> dict:
    p = platforms(request)
    if p.medins is not None:
        zh = ("可以使用医保。请出示医保电子凭证二维码，或刷身份证、社保卡：医保统筹和个人账户支付后，"
              "剩余的自付部分再扫码支付。")
        en = "Yes: show your medical insurance QR code or read your ID / social security card; you pay only your own part."
    else:
        zh, en = ("本机暂未开通医保结算，请选择自费支付，或到人工窗口使用医保结算。",
                  "Medical insurance cannot be used at this kiosk; pay yourself or go to the counter.")
    return {"insurance": p.medins is not None, "ehealth": p.ehealth is not None,
            "einvoice": p.invoices.outbox is not None, "message_zh": zh, "message_en": en}


# -- identification by a platform's QR code (counts as the card read)
def _identify_as_card(request: Request, principal: Any, name: str, id_number: str) -> dict:
    """What POST /records/patients/identify answers for an ID card read with this number and name: the platform's
    verified answer stands for the card, under the very same rules (that handler is called, not copied)."""
    return identify_by_card(Identify(id_number=id_number, card_name=name or None), request, principal)


@router.post("/ehealth/identify", summary="Identify by the national e-health card QR (电子健康卡), verified by its platform")
def ehealth_identify(body: PlatformIdentify, request: Request, principal: Any = Depends(who)) -> dict:
    client = platforms(request).ehealth
    if client is None:
        raise RecordsError("ehealth_not_offered", "对不起，本院暂未开通电子健康卡，请将身份证放在读卡区，或扫描就诊卡，谢谢。",
                           "E-health cards are not accepted here; please use your ID card.", status=409)
    holder = client.verify(body.qr, principal.device)
    return _identify_as_card(request, principal, holder.name, holder.id_number)


@router.post("/insurance/identify", summary="Identify by the 医保电子凭证 QR (1101 with mdtrt_cert_type 01)")
def medins_identify(body: PlatformIdentify, request: Request, principal: Any = Depends(who)) -> dict:
    client = platforms(request).medins
    if client is None:
        raise RecordsError("insurance_not_offered", "对不起，本院暂未开通医保电子凭证，请将身份证放在读卡区，谢谢。",
                           "Medical insurance QR codes are not accepted here; please use your ID card.", status=409)
    try:
        info = client.call(PERSON_INFO, {"data": {"mdtrt_cert_type": CERT_QR, "mdtrt_cert_no": body.qr.strip(),
                                                  "psn_cert_type": "01", "certno": "", "psn_name": ""}},
                           self_service(principal.device))
    except MedInsError as exc:
        raise RecordsError("insurance_qr_refused", "对不起，医保电子凭证无法识别或已过期，请在手机上刷新后重新扫描，或将身份证放在读卡区。",
                           "The medical insurance QR code was not accepted; refresh it or use your ID card.",
                           status=422 if exc.__class__.__name__ == "MedInsRefused" else 503) from None
    base = info.get("baseinfo") or {}
    if not base.get("certno"):
        raise RecordsError("insurance_qr_refused", "对不起，医保电子凭证无法识别，请将身份证放在读卡区，谢谢。",
                           "The medical insurance QR code was not accepted.", status=422)
    return _identify_as_card(request, principal, base.get("psn_name", ""), str(base["certno"]).upper())


# -- claims
@router.post("/insurance/claims", summary="医保: identify the insured, register, upload fees, pre-settle (2206)")
def start_claim(body: ClaimStart, request: Request, principal: Any = Depends(who)) -> JSONResponse:
    for_patient(principal, body.patient_id)
    for bill_id in body.bill_ids:
        if principal.role == "kiosk" and backend(request).patient_of("bill", bill_id) not in (None, body.patient_id):
            raise not_in_session()
    key = scoped(principal, body.idempotency_key, body)
    view = platforms(request).claims.start(body.patient_id, body.bill_ids, body.cert_type, body.cert_no, key,
                                           device=principal.device)
    return JSONResponse(view, status_code=201)


@router.get("/insurance/claims/{claim_id}", summary="A claim and its split (统筹, 个人账户, 自付)")
def get_claim(claim_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    _owned_claim(request, principal, claim_id)
    return platforms(request).claims.view(claim_id)


@router.post("/insurance/claims/{claim_id}/settle", summary="医保: settle (2207) once; a retry reads the claim")
def settle_claim(claim_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    _owned_claim(request, principal, claim_id)
    return platforms(request).claims.settle(claim_id, device=principal.device)


@router.post("/insurance/claims/{claim_id}/cancel", summary="医保: give up; a settled claim whose 自付 is unpaid is reversed (2208)")
def cancel_claim(claim_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    _owned_claim(request, principal, claim_id)
    return platforms(request).claims.cancel(claim_id, device=principal.device)


@router.post("/insurance/reconcile", summary="Reverse claims left settled without their 自付 (kiosk gone)")
def reconcile_claims(request: Request, _: Any = Depends(who)) -> dict:
    return {"reversed": platforms(request).claims.sweep()}


# -- e-invoices
@router.get("/einvoices", summary="A patient's e-invoices (newest first), or those of one order or claim")
def list_invoices(request: Request, patient_id: int, order_id: int | None = None, claim_id: int | None = None,
                  principal: Any = Depends(who)) -> dict:
    for_patient(principal, patient_id)
    return platforms(request).invoices.list_for(patient_id, order_id, claim_id)


@router.get("/einvoices/{invoice_id}", summary="One e-invoice")
def get_invoice(invoice_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    _owned_invoice(request, principal, invoice_id)
    return platforms(request).invoices.get(invoice_id)


@router.post("/einvoices/{invoice_id}/print", summary="Count a print (or 补打) of an issued e-invoice; the invoice")
def print_invoice(invoice_id: int, request: Request, body: Print | None = None, principal: Any = Depends(who)) -> dict:
    _owned_invoice(request, principal, invoice_id)
    key = scoped(principal, body.idempotency_key, body) if body else None
    return platforms(request).invoices.print_invoice(invoice_id, principal.device, key)


# -- mounting
def install(app: Any, service: Any, hooks: ServiceHooks, records: Any = None, *, medins_url: str | None = None, ehealth_url: str | None = None,
            einvoice_url: str | None = None) -> Platforms:
    """Connect the platforms named by the arguments or by ``HOSPITAL_MEDINS_URL``, ``HOSPITAL_EHEALTH_URL`` and
    ``HOSPITAL_EINVOICE_URL`` (a platform without an address is not offered); hook claims and invoices into the
    payments of ``records``."""
    records = records or app.state.records
    env = os.environ
    medins_url = medins_url or env.get("HOSPITAL_MEDINS_URL")
    ehealth_url = ehealth_url or env.get("HOSPITAL_EHEALTH_URL")
    einvoice_url = einvoice_url or env.get("HOSPITAL_EINVOICE_URL")
    hospital = service.config.hospital.name
    outbox = PlatformOutbox(service.notify, service.clock)
    medins = MedInsClient(medins_url, env.get("HOSPITAL_MEDINS_CODE", "H11010100001"), hospital,
                          env.get("HOSPITAL_MEDINS_ADMVS", "110100"), clock=service.clock) if medins_url else None
    invoices = Invoices(records.core, outbox if einvoice_url else None)
    claims = Claims(records.core, records.payments, medins, outbox, invoices)
    records.payments.claims, records.payments.invoices = claims, invoices
    if einvoice_url:
        outbox.attach(InvoiceSender(invoices, einvoice_url))
    if medins is not None:
        outbox.attach(ReversalSender(claims))
    if medins is not None:  # claims left behind are found by the sender's rounds
        outbox.sender.plan = lambda _now: claims.sweep()
    hooks.lifespan.append(outbox.running)  # the platforms' sender runs while the service does
    ehealth = EHealthClient(ehealth_url, env.get("HOSPITAL_EHEALTH_ORG", "H11010100001")) if ehealth_url else None
    app.state.insurance = found = Platforms(claims, invoices, ehealth, medins, outbox)
    return found
