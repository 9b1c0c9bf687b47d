"""Second-generation ID card reader (GA 467 SAM over a serial port): codec, reader, simulator.

The simulator lives in hardware.idcard.simulator (CardReaderSimulator), demo cards in
hardware.idcard.demo_cards (demo_card).
"""
from common.privacy import mask_id_number
from hardware.idcard.card import CardKind, IdCard
from hardware.idcard.idnumber import make_id_number, validate_id_number
from hardware.idcard.reader import CardReader, ReaderError

__all__ = ["CardKind", "CardReader", "IdCard", "ReaderError", "make_id_number", "mask_id_number",
           "validate_id_number"]
