"""Job planning, isolated execution, caching and the result store."""
