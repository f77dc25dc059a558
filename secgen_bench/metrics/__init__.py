"""Built-in metrics plugins (registered in secgen_bench.builtins, loaded lazily)."""
