"""为家人办理: a guardian identified at a kiosk creates the record of a child (or another family member without
an ID card of their own) and is linked to it as the family proxy (家属代办), so that registration, payment,
check-in and reports then work for that person from the guardian's session, with the guardian named on the audit.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from common.privacy import mask_id_number, mask_name
from records.cardcode import new_card_code
from records.core import RecordsCore, iso
from records.errors import RecordsError, bad_request
from records.ids import birth_date_from_id, check_id_number, gender_from_id
from records.models import FamilyMemberCreate
from records.patients import Patients, valid_proxy


def _no_guardian_id() -> RecordsError:
    return RecordsError("guardian_id_required", "为家人建档需要您本人的身份证信息。请将您的身份证放在读卡区重新识别，或到服务台办理，谢谢。",
                        "Creating a family member's record needs your own ID card on record; place your ID card on "
                        "the reader, or ask at the service desk.", status=409)


def _not_same_child() -> RecordsError:
    return RecordsError("family_member_exists", "该身份证号码已有就诊档案，但没有登记您为代办家属。请到服务台办理代办登记，谢谢。",
                        "There is already a record for this ID number, without you as a family proxy; please ask "
                        "at the service desk.", status=409)


class Family:
    """Family members a guardian may act for, and new records created from the guardian's session."""

    def __init__(self, core: RecordsCore, patients: Patients) -> None:
        self.core = core
        self.patients = patients

    def create_family_member(self, guardian_id: int, body: FamilyMemberCreate) -> dict[str, Any]:
        """A new record for the guardian's family member, the guardian linked as proxy; the same person again
        (same ID number, or same name and birth date among the guardian's family) returns the existing one."""
        fields = self._family_fields(body)
        with self.core.db.transaction() as conn:
            remembered = self.core.recall_key(conn, body.idempotency_key, "create_family_member")
            if remembered:
                return {"patient": self.patients._patient_view(conn, remembered["id"]), "returning": remembered["returning"],
                        "proven_ids": [remembered["id"]]}
            guardian = self.patients.row(conn, guardian_id)
            if not guardian.get("id_number"):
                raise _no_guardian_id()
            existing = None
            if fields["id_number"]:
                existing = conn.execute("SELECT id FROM rec_patients WHERE id_number = ?", (fields["id_number"],)).fetchone()
                if existing is not None and not conn.execute(
                        "SELECT 1 FROM rec_proxies WHERE patient_id = ? AND id_number = ?",
                        (existing["id"], guardian["id_number"])).fetchone():
                    self.core.audit(conn, "family_member_refused", patient_id=existing["id"], guardian_patient_id=guardian_id,
                               by="not_linked")
                    raise _not_same_child()
            else:
                existing = conn.execute(
                    "SELECT p.id FROM rec_patients p JOIN rec_proxies x ON x.patient_id = p.id"
                    " WHERE x.id_number = ? AND p.name = ? AND p.birth_date = ? LIMIT 1",
                    (guardian["id_number"], fields["name"], fields["birth_date"])).fetchone()
            if existing is not None:
                self.core.remember_key(conn, body.idempotency_key, "create_family_member", {"id": existing["id"], "returning": True})
                return {"patient": self.patients._patient_view(conn, existing["id"]), "returning": True,
                        "proven_ids": [existing["id"]],
                        "message_zh": "您的家人已有就诊档案，无需重复建档。", "message_en": "Your family member already has a record."}
            member_id = conn.execute(
                "INSERT INTO rec_patients (id_number, id_kind, name, gender, birth_date, phone, source, created_at,"
                " card_code) VALUES (?, ?, ?, ?, ?, ?, 'family', ?, ?) RETURNING id",
                (fields["id_number"], "resident" if fields["id_number"] else None, fields["name"], fields["gender"],
                 fields["birth_date"], guardian.get("phone"), iso(self.core.now()), new_card_code())).fetchone()[0]
            self.patients._save_proxies(conn, member_id, [{"id_number": guardian["id_number"], "name": guardian["name"],
                                                  "relation": body.relation, "phone": guardian.get("phone")}])
            self.core.remember_key(conn, body.idempotency_key, "create_family_member", {"id": member_id, "returning": False})
            self.core.audit(conn, "family_member_created", after="created", patient_id=member_id,
                       guardian_patient_id=guardian_id, guardian_name_masked=mask_name(guardian["name"]),
                       relation=body.relation, id_number_masked=mask_id_number(fields["id_number"] or ""))
            return {"patient": self.patients._patient_view(conn, member_id), "returning": False, "proven_ids": [member_id],
                    "message_zh": "已为您的家人建档，谢谢。", "message_en": "Your family member's record has been created."}

    def _family_fields(self, body: FamilyMemberCreate) -> dict[str, Any]:
        number = check_id_number(body.id_number) if body.id_number else None
        birth = birth_date_from_id(number) if number else None
        gender = gender_from_id(number) if number else None
        birth = birth or body.birth_date
        gender = gender or body.gender
        if not birth:
            raise bad_request("missing_birth_date", "请输入出生日期，例如 20240315。", "Please type the date of birth, e.g. 20240315.")
        try:
            born = date.fromisoformat(birth)
        except ValueError:
            raise bad_request("invalid_birth_date", "出生日期不正确，请按“年月日”8位数字输入，例如 20240315。",
                              "The date of birth is not valid; type 8 digits, year month day, e.g. 20240315.") from None
        if born > self.core.now().date() or born.year < 1900:
            raise bad_request("invalid_birth_date", "出生日期不正确，请核对后重新输入。",
                              "The date of birth is not valid; please check it.")
        if gender not in ("男", "女"):
            raise bad_request("missing_gender", "请选择性别。", "Please choose the sex.")
        return {"id_number": number, "name": body.name, "gender": gender, "birth_date": born.isoformat()}

    def family_of(self, guardian_id: int) -> list[dict[str, Any]]:
        """Everyone whose record names this patient (by ID number) as a family proxy."""
        with self.core.db.reading() as rc:
            row = self.patients.row(rc, guardian_id)
            if not row.get("id_number"):
                return []
            where, params = valid_proxy(self.core)
            ids = [r["patient_id"] for r in rc.execute(
                f"SELECT DISTINCT patient_id FROM rec_proxies WHERE id_number = ? AND patient_id <> ? AND {where} "
                "ORDER BY patient_id", (row["id_number"], guardian_id, *params))]
            return [self._family_view(rc, i, row["id_number"]) for i in ids]

    def _family_view(self, conn: Any, patient_id: int, guardian_number: str) -> dict[str, Any]:
        view = self.patients._patient_view(conn, patient_id)
        relation = conn.execute("SELECT relation FROM rec_proxies WHERE patient_id = ? AND id_number = ? LIMIT 1",
                                (patient_id, guardian_number)).fetchone()
        view["relation"] = relation["relation"] if relation else ""
        return view

    def identify(self, body: Any, trusted: bool = True) -> dict[str, Any]:
        """Identification also offers the family members this patient may act for (by ID card, typed number with
        its second factor, or medical card): they join the patient session."""
        result = self.patients.identify(body, trusted)
        patient = result.get("patient")
        if result.get("found") and patient:
            family = self.family_of(int(patient["patient_id"]))
            result["acting_for"] = family
            result["proven_ids"] = sorted({*map(int, result.get("proven_ids", [])), *(f["patient_id"] for f in family)})
        return result
