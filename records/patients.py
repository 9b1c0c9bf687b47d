"""Patients (建档), identification, family proxies (家属代办)."""
from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from common.privacy import mask_id_number, mask_name, mask_phone
from records.audit import current_actor
from records.cardcode import card_qr_text, new_card_code
from records.core import RecordsCore, iso
from records.db import RowConn
from records.errors import RecordsError, bad_request, not_found
from records.ids import birth_date_from_id, check_id_number, gender_from_id
from records.models import Identify, PatientCreate, Proxy


def patient_view(row: dict[str, Any], proxies: list[dict[str, Any]]) -> dict[str, Any]:
    """What a kiosk is shown of a patient (with the family members who may act for them, from rec_proxies):
    never the ID number, not even masked (its hidden digits are the birth date shown here), never the photo,
    and the phone without its last four digits (they are the second factor). ``card_qr``: the text of the medical
    card's QR code (records/cardcode.py), to print on the patient's slip."""
    return {
        "patient_id": row["id"],
        "name": row["name"],
        "name_masked": mask_name(row["name"]),
        "gender": row.get("gender"),
        "birth_date": row.get("birth_date"),
        "medical_card_no": row.get("medical_card_no"),
        "card_qr": card_qr_text(row["card_code"]) if row.get("card_code") else None,
        "phone_masked": mask_phone(row.get("phone") or "") if row.get("phone") else None,
        "has_photo": row.get("photo") is not None,
        "source": row["source"],
        "proxies": [
            {"name": p["name"], "relation": p["relation"], "phone_masked": mask_phone(p["phone"]) if p.get("phone") else None,
             "confirmed": not p.get("kiosk")}
            for p in proxies
        ],
        "created_at": row["created_at"],
    }


def _already_registered() -> RecordsError:
    return RecordsError("already_registered", "您已有就诊档案，无需重复建档。请刷身份证，或输入身份证号和手机号后4位识别身份，谢谢。",
                        "There is already a record for this ID number; identify with the ID card, or the ID number "
                        "and the last 4 digits of the phone on record.", status=409)


def _check_phone(phone: str | None) -> str:
    digits = (phone or "").replace("-", "").replace(" ", "")
    if not (digits.isdigit() and 7 <= len(digits) <= 13):
        raise bad_request("invalid_phone", "对不起，手机号码格式不正确，请输入11位手机号码。", "The phone number is not valid; please type an 11-digit mobile number.")
    return digits


def valid_proxy(core: RecordsCore) -> tuple[str, tuple[str, str]]:
    """SQL (on rec_proxies) and its parameters: the proxies that count for the current actor now. One added at a
    kiosk from two card reads counts at that kiosk on that day only, until staff confirm it at the desk."""
    return "(kiosk IS NULL OR (kiosk = ? AND day = ?))", (current_actor().device, core.now().date().isoformat())


class Patients:
    """Create, identify and read patient records."""

    def __init__(self, core: RecordsCore) -> None:
        self.core = core


    def row(self, conn: RowConn, patient_id: int) -> dict[str, Any]:
        row = conn.execute("SELECT * FROM rec_patients WHERE id = ?", (patient_id,)).fetchone()
        if row is None:
            raise not_found("该就诊档案", "The patient record")
        return dict(row)

    @staticmethod
    def _proxies(conn: RowConn, patient_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in conn.execute(
            "SELECT name, relation, phone, id_number, kiosk FROM rec_proxies WHERE patient_id = ? ORDER BY id", (patient_id,))]

    def _patient_view(self, conn: RowConn, patient_id: int) -> dict[str, Any]:
        return patient_view(self.row(conn, patient_id), self._proxies(conn, patient_id))

    def get_patient(self, patient_id: int) -> dict[str, Any]:
        with self.core.db.reading() as rc:
            return self._patient_view(rc, patient_id)

    def identify(self, body: Identify, trusted: bool = True) -> dict[str, Any]:
        """By ID number, medical card code or number: the patient, or new_patient; plus patients this person may
        act for.

        ``trusted`` (staff at a desk): the number alone is enough. At a kiosk a typed ID number must come with
        the card's name (a card was read) or the last 4 digits of the phone on record; a medical card's code
        (its QR, records/cardcode.py) is proof by itself, its printed number is not: it needs the phone digits
        too. Otherwise the answer says a second factor is needed and reveals nothing. ``proven_ids``: whom the
        session may act for; ``factor_patient_id``: the record whose second factor was tried (right or wrong),
        for the caller's throttle.
        """
        factor_tried = bool(body.phone_last4 or body.card_name)
        acting_for: list[dict[str, Any]] = []
        if body.id_number:
            number = check_id_number(body.id_number)
            with self.core.db.reading() as rc:
                row = rc.execute("SELECT * FROM rec_patients WHERE id_number = ?", (number,)).fetchone()
                row = dict(row) if row else None
                proven = trusted or self._second_factor(row, body) or (row is None and bool(body.card_name))
                view = self._patient_view(rc, row["id"]) if row else None
                if proven:
                    where, params = valid_proxy(self.core)
                    acting_for = [self._patient_view(rc, r["patient_id"]) for r in rc.execute(
                        f"SELECT DISTINCT patient_id FROM rec_proxies WHERE id_number = ? AND {where}",
                        (number, *params)).fetchall()]
            by = "id_number"
        elif body.card_code or body.medical_card_no:
            code = (body.card_code or "").strip().upper()
            with self.core.db.reading() as rc:
                row = rc.execute("SELECT * FROM rec_patients WHERE card_code = ?", (code,)).fetchone() if code else None
                proven = row is not None
                if row is None:  # a card number (typed, or the QR of a card printed before card codes)
                    number = (body.medical_card_no or body.card_code or "").strip()
                    row = rc.execute("SELECT * FROM rec_patients WHERE medical_card_no = ?", (number,)).fetchone()
                    proven = trusted or self._second_factor(dict(row) if row else None, body)
                else:
                    factor_tried = False
                row = dict(row) if row else None
                view = self._patient_view(rc, row["id"]) if row else None
            by = "medical_card_code" if proven and row and not factor_tried and code else "medical_card"
        else:
            raise bad_request("missing_identity", "请放置身份证、扫描就诊卡二维码，或输入身份证号码。", "Place an ID card, scan a medical card QR code, or type an ID number.")
        factor_patient = row["id"] if row is not None and factor_tried and not trusted else None
        if row is not None and not proven:
            self.core.audit_read("identify_second_factor_missing", patient_id=row["id"],
                                 by=f"{by}_wrong_factor" if factor_tried else by)
            return {"found": False, "new_patient": False, "patient": None, "acting_for": [],
                    "second_factor_required": True, "proven_ids": [], "factor_patient_id": factor_patient,
                    "message_zh": "为保护您的隐私，请输入您登记的手机号码后4位，或将身份证放在读卡区，谢谢。",
                    "message_en": "To protect your privacy, type the last 4 digits of your phone number on record, "
                                  "or place your ID card on the reader."}
        if row is not None:
            self.core.audit_read("patient_recognised", patient_id=row["id"], by=by)
        proven_ids = ([row["id"]] if row is not None else []) + [p["patient_id"] for p in acting_for]
        if row is None:
            return {"found": False, "new_patient": True, "patient": None, "acting_for": acting_for,
                    "second_factor_required": False, "proven_ids": proven_ids, "factor_patient_id": None,
                    "message_zh": "您好，您还没有就诊档案，请先建档。", "message_en": "You have no patient record yet; please create one."}
        return {"found": True, "new_patient": False, "patient": view, "acting_for": acting_for,
                "second_factor_required": False, "proven_ids": proven_ids, "factor_patient_id": factor_patient,
                "message_zh": f"您好，{mask_name(row['name'])}，欢迎回来。", "message_en": "Welcome back."}

    @staticmethod
    def _second_factor(row: dict[str, Any] | None, body: Identify) -> bool:
        """The card's name matches the record, or the last 4 digits of the phone on record do."""
        if row is None:
            return False
        if body.card_name and body.id_number and body.card_name.strip() == (row.get("name") or ""):
            return True
        phone = row.get("phone") or ""
        return bool(body.phone_last4 and len(phone) >= 4 and secrets.compare_digest(phone[-4:], body.phone_last4))

    def identity_number(self, patient_id: int) -> str | None:
        """The patient's ID number (for checks inside the service; never sent to a kiosk)."""
        row = self.core.db.one("SELECT id_number FROM rec_patients WHERE id = ?", (patient_id,))
        if row is None:
            raise not_found("该就诊档案", "The patient record")
        return row["id_number"]

    def session_department(self, session_id: int) -> str | None:
        """The department of a doctor's session (for the area check of 停诊)."""
        row = self.core.db.one("SELECT department_id FROM rec_sessions WHERE id = ?", (session_id,))
        return None if row is None else row["department_id"]

    def patient_of(self, kind: str, ident: int) -> int | None:
        """The patient a registration, bill, payment order or report belongs to (None: no such thing)."""
        table = {"registration": "rec_registrations", "bill": "rec_bills", "order": "rec_orders",
                 "report": "rec_reports"}[kind]
        row = self.core.db.one(f"SELECT patient_id FROM {table} WHERE id = ?", (ident,))
        return None if row is None else int(row["patient_id"])

    def create_patient(self, body: PatientCreate, trusted: bool = True) -> dict[str, Any]:
        """One record per ID number: a second create returns the existing one with returning=True.

        At a kiosk (not ``trusted``) the existing record is returned only when the new data proves the same
        person (the card's name, or the phone on record); otherwise 409 already_registered, nothing revealed.
        """
        fields = self._fields_for_create(body)
        with self.core.db.transaction() as conn:
            remembered = self.core.recall_key(conn, body.idempotency_key, "create_patient")
            if remembered:
                row = self.row(conn, remembered["id"])
                if not trusted and not self._same_person(row, fields):
                    raise _already_registered()
                return {"patient": self._patient_view(conn, remembered["id"]), "returning": remembered["returning"],
                        "proven_ids": [row["id"]]}
            existing = None
            if fields.get("id_number"):
                existing = conn.execute("SELECT * FROM rec_patients WHERE id_number = ?", (fields["id_number"],)).fetchone()
            if existing is None and fields.get("medical_card_no"):
                existing = conn.execute("SELECT * FROM rec_patients WHERE medical_card_no = ?", (fields["medical_card_no"],)).fetchone()
            if existing is not None:
                existing = dict(existing)
                if not trusted and not self._same_person(existing, fields):
                    self.core.audit(conn, "create_patient_refused", patient_id=existing["id"], by="not_same_person")
                    raise _already_registered()
                if fields.get("medical_card_no") and not existing.get("medical_card_no"):
                    conn.execute("UPDATE rec_patients SET medical_card_no = ? WHERE id = ?", (fields["medical_card_no"], existing["id"]))
                self.core.remember_key(conn, body.idempotency_key, "create_patient", {"id": existing["id"], "returning": True})
                self.core.audit(conn, "patient_recognised", patient_id=existing["id"], by="create_patient")
                return {"patient": self._patient_view(conn, existing["id"]), "returning": True, "proven_ids": [existing["id"]],
                        "message_zh": "您好，您已有就诊档案，无需重复建档。", "message_en": "You already have a record."}
            proxies = fields.pop("proxies")
            fields["created_at"] = iso(self.core.now())
            fields["card_code"] = new_card_code()
            columns = ", ".join(fields)
            marks = ", ".join("?" for _ in fields)
            patient_id = conn.execute(f"INSERT INTO rec_patients ({columns}) VALUES ({marks}) RETURNING id",
                                      tuple(fields.values())).fetchone()[0]
            self._save_proxies(conn, patient_id, proxies)
            self.core.remember_key(conn, body.idempotency_key, "create_patient", {"id": patient_id, "returning": False})
            self.core.audit(conn, "patient_created", after="created", patient_id=patient_id, source=fields["source"],
                       id_number_masked=mask_id_number(fields.get("id_number") or ""))
            return {"patient": self._patient_view(conn, patient_id), "returning": False, "proven_ids": [patient_id],
                    "message_zh": "建档成功，谢谢。", "message_en": "Your record has been created."}

    @staticmethod
    def _same_person(row: dict[str, Any], fields: dict[str, Any]) -> bool:
        """The data of a second create proves the person of the existing record (card name or phone)."""
        if fields.get("source") == "id_card":
            return fields.get("name") == row.get("name")
        return bool(fields.get("phone")) and fields.get("phone") == row.get("phone")

    def add_proxy(self, patient_id: int, proxy: Proxy, at_kiosk: str | None = None) -> dict[str, Any]:
        """Staff add (or confirm) a family proxy for good. ``at_kiosk``: added at that kiosk from two card reads;
        it counts there, today, until staff confirm it (a confirmed one is never downgraded)."""
        entry = self._proxy_entry(proxy)
        if at_kiosk:
            entry["kiosk"], entry["day"] = at_kiosk, self.core.now().date().isoformat()
        with self.core.db.transaction() as conn:
            self.row(conn, patient_id)
            if entry.get("id_number"):  # the same person again replaces the earlier entry
                if at_kiosk and conn.execute("SELECT 1 FROM rec_proxies WHERE patient_id = ? AND id_number = ? AND "
                                             "kiosk IS NULL", (patient_id, entry["id_number"])).fetchone():
                    return self._patient_view(conn, patient_id)
                conn.execute("DELETE FROM rec_proxies WHERE patient_id = ? AND id_number = ?", (patient_id, entry["id_number"]))
            self._save_proxies(conn, patient_id, [entry])
            count = len(self._proxies(conn, patient_id))
            self.core.audit(conn, "proxy_added", before=str(count - 1), after=str(count), patient_id=patient_id,
                       proxy_name_masked=mask_name(entry["name"]), relation=entry["relation"],
                       proxy_id_number_masked=mask_id_number(entry.get("id_number") or ""),
                       until="confirmed" if not at_kiosk else f"{entry['day']}@{at_kiosk}")
            return self._patient_view(conn, patient_id)

    @staticmethod
    def _save_proxies(conn: RowConn, patient_id: int, entries: list[dict[str, Any]]) -> None:
        conn.executemany("INSERT INTO rec_proxies (patient_id, id_number, name, relation, phone, kiosk, day) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [(patient_id, e.get("id_number"), e["name"], e["relation"], e.get("phone"), e.get("kiosk"),
                           e.get("day")) for e in entries])

    def check_proxy(self, conn: RowConn, patient_id: int, proxy_id_number: str | None) -> str | None:
        """The proxy's name when proxy_id_number may act for the patient; None when the patient acts."""
        if not proxy_id_number:
            return None
        number = check_id_number(proxy_id_number)
        row = self.row(conn, patient_id)
        if row.get("id_number") == number:
            return None
        where, params = valid_proxy(self.core)
        proxy = conn.execute(f"SELECT name FROM rec_proxies WHERE patient_id = ? AND id_number = ? AND {where} LIMIT 1",
                             (patient_id, number, *params)).fetchone()
        if proxy is not None:
            return proxy["name"]
        raise RecordsError("proxy_not_allowed", "对不起，该患者档案中没有登记您为代办家属，请到服务台办理代办登记。",
                           "You are not registered as a family member who may act for this patient; please ask at the service desk.", status=403)

    def _proxy_entry(self, proxy: Proxy) -> dict[str, Any]:
        entry = {"name": proxy.name, "relation": proxy.relation, "phone": _check_phone(proxy.phone) if proxy.phone else None}
        if proxy.id_number:
            entry["id_number"] = check_id_number(proxy.id_number)
        return entry

    def _fields_for_create(self, body: PatientCreate) -> dict[str, Any]:
        proxies = [self._proxy_entry(p) for p in body.proxies]
        card_no = body.medical_card_no.strip() if body.medical_card_no else None
        if body.source == "id_card":
            if body.id_card is None:
                raise bad_request("missing_id_card", "未读到身份证信息，请将身份证放在读卡区。", "No ID card data; please place the card on the reader.")
            card = body.id_card
            number = check_id_number(card.id_number)
            photo = None
            if card.photo_b64:
                try:
                    photo = base64.b64decode(card.photo_b64, validate=True)
                except (binascii.Error, ValueError):
                    raise bad_request("invalid_photo", "身份证照片数据有误，请重新读卡。", "The card photo is not valid base64; please read the card again.") from None
            return {"id_number": number, "id_kind": card.card_kind or "resident", "name": card.name,
                    "gender": card.gender or gender_from_id(number), "ethnicity": card.ethnicity,
                    "birth_date": card.birth_date or birth_date_from_id(number), "address": card.address,
                    "authority": card.authority, "valid_from": card.valid_from, "valid_to": card.valid_to,
                    "phone": _check_phone(body.phone) if body.phone else None, "photo": photo,
                    "medical_card_no": card_no, "source": "id_card", "proxies": proxies}
        if not body.name:
            raise bad_request("missing_name", "请输入患者姓名。", "Please type the patient's name.")
        phone = _check_phone(body.phone)
        if body.source == "typed":
            if not body.id_number:
                raise bad_request("missing_id_number", "请输入身份证号码。", "Please type the ID number.")
            number = check_id_number(body.id_number)
            return {"id_number": number, "id_kind": "resident", "name": body.name, "gender": gender_from_id(number),
                    "birth_date": birth_date_from_id(number), "phone": phone, "medical_card_no": card_no,
                    "source": "typed", "proxies": proxies}
        if not card_no:
            raise bad_request("missing_card", "请扫描就诊卡二维码。", "Please scan the medical card QR code.")
        number = check_id_number(body.id_number) if body.id_number else None
        return {"id_number": number, "name": body.name, "gender": gender_from_id(number) if number else None,
                "birth_date": birth_date_from_id(number) if number else None, "phone": phone,
                "medical_card_no": card_no, "source": "medical_card", "proxies": proxies}
