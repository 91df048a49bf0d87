"""Test support: factories that go through the real services, and an HTTP client that calls
the real ASGI application."""
