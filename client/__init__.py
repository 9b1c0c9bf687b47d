"""How an app reaches the caller service: the HTTP client with its address list, device tokens, the Qt event link
and the device health loop. Imports only `common` of the project (tests/shape/test_layers.py).
"""
