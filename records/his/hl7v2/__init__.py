"""HL7 v2.5 over MLLP: the codec (`codec`, pure), what inbound messages do to the records (`inbound`), the MLLP
listener and the outbound sender (`mllp`)."""
