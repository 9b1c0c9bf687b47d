"""The fiscal e-invoice platform (财政电子票据): an invoice per payment; simulator in ``simulator``."""
