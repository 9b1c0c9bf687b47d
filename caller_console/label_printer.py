"""The draw window's specimen label printer (TSPL, hardware/label/): ``tcp://HOST[:PORT]`` for a network label
printer (port 9100 by default) or the path of a device file (``/dev/usb/lp0``).

The printer is asked for its status before the service is asked for the labels, so a printer out of labels or
switched off prints nothing and records nothing: the nurse is told what to fix and presses 打印标签 again.
"""
from __future__ import annotations

from typing import Any, Callable

from client.http import CallerError
from hardware.label import FileLabelTransport, SpecimenLabel, TcpLabelTransport, encode


def transport_of(address: str) -> TcpLabelTransport | FileLabelTransport:
    if address.startswith("tcp://"):
        host, _, port = address[len("tcp://"):].rstrip("/").partition(":")
        return TcpLabelTransport(host, int(port or 9100))
    return FileLabelTransport(address)


class LabelPrinter:
    """``LabelPrinter("tcp://10.0.3.21:9100")``; :meth:`print_step` runs on the console's worker thread."""

    def __init__(self, address: str):
        self.address = address
        self.transport = transport_of(address)

    def check(self) -> None:
        """Refuse (CallerError, in Chinese first) when the printer says it cannot print or does not answer; a device
        file cannot answer and is written to as it is."""
        status = self.transport.status()
        if isinstance(self.transport, FileLabelTransport):
            return
        if not status.ready:
            raise CallerError("label_printer", f"标签打印机{status.message_zh or '无响应'}，请处理后再按“打印标签”",
                              f"The label printer cannot print ({', '.join(status.problems)}); fix it and print again",
                              status=0)

    def print_step(self, fetch: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """Check the printer, get the step's labels from the service (``fetch``, which audits them), print them."""
        self.check()
        labels = fetch()
        self.transport.write(encode([SpecimenLabel(lbl["barcode"], lbl["name"], lbl["ticket"], tuple(lbl["tests"]),
                                                   lbl["tube"], lbl.get("drawn_at", "")) for lbl in labels]))
        return labels

    def close(self) -> None:
        self.transport.close()
