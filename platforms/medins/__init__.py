"""The national medical-insurance platform (医疗保障信息平台): its message envelope and a simulator."""
from platforms.medins.envelope import Answer, Request

__all__ = ["Answer", "Request"]
