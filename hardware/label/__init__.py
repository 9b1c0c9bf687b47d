"""Specimen label printer (TSPL, the command language of most Chinese label printers: TSC, Gprinter, Xprinter):
pure codec (tspl.py), thin transports (transport.py) and a simulator that decodes the labels it gets back to
their barcode and text and draws them (simulator.py, render.py)."""
from .transport import FileLabelTransport, TcpLabelTransport
from .tspl import LabelSize, LabelStatus, PrintedLabel, SpecimenLabel, decode, encode, parse_status

__all__ = ["LabelSize", "LabelStatus", "PrintedLabel", "SpecimenLabel", "decode", "encode", "parse_status",
           "FileLabelTransport", "TcpLabelTransport"]
