"""Service ratings (服务评价): stars, tags, which transaction; statistics."""
from __future__ import annotations

import json
from typing import Any

from cockpit import rollups, sources
from records.core import RecordsCore, iso
from records.models import RatingCreate


class Ratings:

    def __init__(self, core: RecordsCore) -> None:
        self.core = core

    def add_rating(self, body: RatingCreate, device: str | None = None) -> dict[str, Any]:
        with self.core.db.transaction() as conn:
            remembered = self.core.recall_key(conn, body.idempotency_key, "rating")
            if remembered:
                return {"rating_id": remembered["id"], "message_zh": "感谢您的评价，祝您健康！", "message_en": "Thank you for your feedback."}
            rating_id = conn.execute(
                "INSERT INTO rec_ratings (stars, tags, transaction_kind, transaction_id, comment, device, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (body.stars, json.dumps(body.tags, ensure_ascii=False), body.transaction_kind, body.transaction_id, body.comment,
                 device, iso(self.core.now()))).fetchone()[0]
            self.core.remember_key(conn, body.idempotency_key, "rating", {"id": rating_id})
            rollups.record(conn, *sources.rating(iso(self.core.now()), body.stars, device))
            self.core.audit(conn, "rating_stored", rating_id=rating_id, stars=body.stars, transaction_kind=body.transaction_kind,
                       transaction_id=body.transaction_id)
        return {"rating_id": rating_id, "message_zh": "感谢您的评价，祝您健康！", "message_en": "Thank you for your feedback."}

    def rating_stats(self, since: str | None = None) -> dict[str, Any]:
        rows = self.core.db.all("SELECT stars, tags, transaction_kind FROM rec_ratings WHERE created_at >= ?", (since or "",))
        by_star = {str(s): 0 for s in range(1, 6)}
        tags: dict[str, int] = {}
        kinds: dict[str, int] = {}
        for r in rows:
            by_star[str(r["stars"])] += 1
            kinds[r["transaction_kind"]] = kinds.get(r["transaction_kind"], 0) + 1
            for t in json.loads(r["tags"]):
                tags[t] = tags.get(t, 0) + 1
        count = len(rows)
        return {"count": count, "average": round(sum(r["stars"] for r in rows) / count, 2) if count else None,
                "by_star": by_star, "tags": dict(sorted(tags.items(), key=lambda kv: -kv[1])), "by_transaction": kinds}
