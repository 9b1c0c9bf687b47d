"""The e-health card platform (电子健康卡): a card's QR code is verified there; simulator in ``simulator``."""
