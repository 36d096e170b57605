"""Helpers the screens and widgets share: the clock, key names, text, start-up marks."""
