"""Built-in datasets plugins (registered in secgen_bench.builtins, loaded lazily)."""
