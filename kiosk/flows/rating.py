"""服务评价: the last step of a registration, check-in, payment or print."""
from __future__ import annotations

from kiosk.flows.base import Flow
from kiosk.i18n import tr
from kiosk.screens.rating import RatingScreen


class RatingFlow(Flow):
    def rate(self, kind: str, transaction_id: str | None) -> None:
        kiosk = self.kiosk
        patient = self.session.patient

        def submit(stars: int, tags: list[str]) -> None:
            backend, key = kiosk.backend, self.key(f"rate:{kind}:{transaction_id}")
            kiosk.runner.run(lambda: backend.rate(patient, stars, tags, kind, transaction_id, key), None,
                             lambda _e: None, busy=False)
            self.message(tr("谢谢您的评价"), tr("祝您健康！"), [(tr("返回首页"), lambda: kiosk.go_home("done"))],
                         name="thanks", error=False, push=False, allow_back=False)

        kiosk.show_screen(lambda: RatingScreen(kiosk, submit, lambda: kiosk.go_home("done")), push=False)
