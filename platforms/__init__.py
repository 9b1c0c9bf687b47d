"""The platforms outside the hospital that the service talks to, as simulators good enough for the demo and the
tests: 医保 (the national medical-insurance platform, ``platforms.medins``), 电子健康卡 (the e-health card platform,
``platforms.ehealth``) and 财政电子票据 (the fiscal e-invoice platform, ``platforms.einvoice``).

Each simulator is a real HTTP peer on 127.0.0.1 with faults a test can inject (``platforms.httpsim.Faults``):
an error answer, an outage, a slow answer, or the work done and its answer lost. Nothing here imports the service.
"""
