"""The hospital's links to platforms outside it, for the records part: 医保 settlement (``claims``, over
``medins_client``), 电子健康卡 identification (``ehealth``) and 电子票据 (``einvoice``); routes in ``api``."""
