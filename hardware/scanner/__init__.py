"""Serial QR/barcode scanner: line codec, code classifier, keyboard-wedge helper, reader, simulator."""
from hardware.scanner.classify import CodeKind, ScannedCode, classify_code, parse_code
from hardware.scanner.lines import LineDecoder, encode_line
from hardware.scanner.reader import ScannerReader
from hardware.scanner.simulator import ScannerSimulator
from hardware.scanner.wedge import KeyboardWedge

__all__ = ["CodeKind", "KeyboardWedge", "LineDecoder", "ScannedCode", "ScannerReader",
           "classify_code", "encode_line", "parse_code"]


def __getattr__(name: str):  # the simulator on demand (it pulls in the pty plumbing)
    if name == "ScannerSimulator":
        return ScannerSimulator
    raise AttributeError(name)
