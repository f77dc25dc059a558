"""Built-in generator plugins (registered in secgen_bench.builtins, loaded lazily).

One convention: a plugin is a module (``markov_chain.py``: class ``MarkovChain``)
or a package whose ``generator.py`` holds it and whose ``__init__`` re-exports
it (``tadam``, ``flowchronicle``, ``netshare``); building blocks several plugins
share (networks, codecs, discretisers, the per-service packets base, the torch
training loop) live in ``common/`` and register nothing; ``base.py`` is the
contract every plugin follows.
"""
