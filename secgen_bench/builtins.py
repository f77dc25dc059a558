"""The built-in plugins, declared exactly like third-party entry points: ``name -> "module:attr"``.

Nothing here is imported until a plugin is used. Targets under ``_planned``
are names the project has fixed but not built yet: they list as unavailable
("not implemented yet") and never pretend to work.
"""

GENERATORS = {
    "marginals": "secgen_bench.generators.marginals:IndependentMarginals",
    "independent-bn": "secgen_bench.generators._planned:IndependentBN",
    "sequence-bn": "secgen_bench.generators._planned:SequenceBN",
    "tvae": "secgen_bench.generators._planned:TVAE",
    "ctgan": "secgen_bench.generators._planned:CTGAN",
    "ewgan-gp": "secgen_bench.generators._planned:EWGANGP",
    "transformer": "secgen_bench.generators._planned:Transformer",
    "netshare": "secgen_bench.generators._planned:NetShare",
    "flowchronicle": "secgen_bench.generators._planned:FlowChronicle",
    "tadam": "secgen_bench.generators._planned:TADAM",
}

METRICS = {
    "density": "secgen_bench.metrics._planned:Density",
    "coverage": "secgen_bench.metrics._planned:Coverage",
    "cmd": "secgen_bench.metrics._planned:CMD",
    "pcd": "secgen_bench.metrics._planned:PCD",
    "emd": "secgen_bench.metrics._planned:EMD",
    "jsd": "secgen_bench.metrics._planned:JSD",
    "dkc": "secgen_bench.metrics._planned:DKC",
    "md": "secgen_bench.metrics._planned:MD",
}

DATASETS = {
    "simnet": "secgen_bench.datasets.simnet:SimNet",
    "cidds001": "secgen_bench.datasets.cidds:CIDDS001",
    "cidds001-bi": "secgen_bench.datasets.cidds:CIDDS001Bi",
    "ugr16": "secgen_bench.datasets._planned:UGR16",
    "ctu": "secgen_bench.datasets._planned:CTU",
    "zeek": "secgen_bench.datasets._planned:Zeek",
    "pcap": "secgen_bench.datasets._planned:Pcap",
    "cesnet-miner22": "secgen_bench.datasets._planned:CesnetMiner22",
    "hdfs": "secgen_bench.datasets._planned:HDFS",
}
