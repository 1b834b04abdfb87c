"""Runnable example agents; none needs a model or an API key."""
