"""Second-generation ID card reader (GA 467 SAM over a serial port): codec, reader, simulator."""
from hardware.idcard.card import CardKind, IdCard
from hardware.idcard.idnumber import make_id_number, mask_id_number, validate_id_number

__all__ = ["CardKind", "IdCard", "make_id_number", "mask_id_number", "validate_id_number"]
