"""Built-in generators plugins (registered in secgen_bench.builtins, loaded lazily)."""
