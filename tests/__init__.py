"""Tests for secgen-bench."""
