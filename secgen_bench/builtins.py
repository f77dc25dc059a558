"""The built-in plugins: one dict per kind, ``name -> "module:attr"``.

They are not entry points: :mod:`secgen_bench.registry` reads these dicts
first (source ``builtin``) and then the installed packages' entry points of
the groups ``secgen_bench.generators``, ``.metrics``, ``.datasets`` and
``.detectors``. The ``"module:attr"`` string is the same form as an entry
point's value, resolved by the same ``registry.import_target``, lazily, when
the plugin is first used, and checked the same way (name pattern, collisions),
so a built-in behaves as a third-party plugin would. A name the project fixes
before its plugin exists points at a class whose ``unavailable_reason`` says
so: it lists as unavailable and never pretends to work.
"""

GENERATORS = {
    "marginals": "secgen_bench.generators.marginals:IndependentMarginals",
    "independent-bn": "secgen_bench.generators.independent_bn:IndependentBN",
    "sequence-bn": "secgen_bench.generators.sequence_bn:SequenceBN",
    "tvae": "secgen_bench.generators.sdv_synthesizers:TVAE",
    "ctgan": "secgen_bench.generators.sdv_synthesizers:CTGAN",
    "ewgan-gp": "secgen_bench.generators.ewgan_gp:EWGANGP",
    "transformer": "secgen_bench.generators.transformer:Transformer",
    "netshare": "secgen_bench.generators.netshare:NetShare",
    "tabddpm": "secgen_bench.generators.tabddpm:TabDDPM",
    "smote": "secgen_bench.generators.smote:SMOTE",
    "flowchronicle": "secgen_bench.generators.flowchronicle:FlowChronicle",
    "tadam": "secgen_bench.generators.tadam:TADAM",
    "markov-chain": "secgen_bench.generators.markov_chain:MarkovChain",
    "hmm": "secgen_bench.generators.hmm:HMM",
    "packet-transformer": "secgen_bench.generators.packet_transformer:PacketTransformer",
}

METRICS = {
    "density": "secgen_bench.metrics.density_coverage:Density",
    "coverage": "secgen_bench.metrics.density_coverage:Coverage",
    "cmd": "secgen_bench.metrics.cmd:CMD",
    "pcd": "secgen_bench.metrics.pcd:PCD",
    "ids-utility": "secgen_bench.metrics.ids_utility:IDSUtility",
    "ids-tstr": "secgen_bench.metrics.ids_tstr:IDSTSTR",
    "c2st": "secgen_bench.metrics.c2st:C2ST",
    "dcr": "secgen_bench.metrics.privacy:DCR",
    "alpha-precision": "secgen_bench.metrics.privacy:AlphaPrecision",
    "beta-recall": "secgen_bench.metrics.privacy:BetaRecall",
    "authenticity": "secgen_bench.metrics.privacy:Authenticity",
    "emd": "secgen_bench.metrics.emd:EMD",
    "emd-w1": "secgen_bench.metrics.emd:EMDW1",
    "jsd": "secgen_bench.metrics.jsd:JSD",
    "dkc": "secgen_bench.metrics.dkc:DKC",
    "dkc-fixed": "secgen_bench.metrics.dkc:DKCFixed",
    "md": "secgen_bench.metrics.md:MD",
    "md-binned": "secgen_bench.metrics.md:MDBinned",
    "acf": "secgen_bench.metrics.temporal:ACF",
    "lagcorr": "secgen_bench.metrics.temporal:LagCorr",
    "acf-diff": "secgen_bench.metrics.acf_diff:ACFDiff",
    "lstm-next-flow": "secgen_bench.metrics.lstm_next_flow:LSTMNextFlow",
    "seq-jsd-symbols": "secgen_bench.metrics.packets:SeqJSDSymbols",
    "seq-jsd-ngrams": "secgen_bench.metrics.packets:SeqJSDNgrams",
    "seq-emd-size": "secgen_bench.metrics.packets:SeqEMDSize",
    "seq-emd-iat": "secgen_bench.metrics.packets:SeqEMDIat",
    "seq-length-jsd": "secgen_bench.metrics.packets:SeqLengthJSD",
    "seq-dkc": "secgen_bench.metrics.packets:SeqDKC",
    "seq-density": "secgen_bench.metrics.packet_embeddings:SeqDensity",
    "seq-coverage": "secgen_bench.metrics.packet_embeddings:SeqCoverage",
}

DATASETS = {
    "simnet": "secgen_bench.datasets.simnet:SimNet",
    "cidds001": "secgen_bench.datasets.cidds:CIDDS001",
    "cidds001-bi": "secgen_bench.datasets.cidds:CIDDS001Bi",
    "ugr16": "secgen_bench.datasets.ugr16:UGR16",
    "ctu": "secgen_bench.datasets.ctu:CTU",
    "zeek": "secgen_bench.datasets.zeek:Zeek",
    "pcap": "secgen_bench.datasets.pcap:Pcap",
    "cesnet-miner22": "secgen_bench.datasets.cesnet:CesnetMiner22",
    "hdfs": "secgen_bench.datasets.hdfs:HDFS",
    "cicflowmeter": "secgen_bench.datasets.cicflowmeter:CICFlowMeter",
    "cse-cic-ids2018": "secgen_bench.datasets.cicflowmeter:CSECICIDS2018",
    "unsw-nb15": "secgen_bench.datasets.unsw_nb15:UNSWNB15",
    "nf-netflow": "secgen_bench.datasets.nf_netflow:NFNetFlow",
    "ton-iot": "secgen_bench.datasets.ton_iot:TONIoT",
    "nfdump": "secgen_bench.datasets.nfdump:Nfdump",
}

# anomaly track: learnt on normal sequences, they score sequences (higher = more anomalous)
DETECTORS = {
    "tadam": "secgen_bench.anomaly.tadam_detector:TADAMDetector",
    "hmm": "secgen_bench.anomaly.hmm_detector:HMMDetector",
    "tag": "secgen_bench.anomaly.tag:TAGDetector",
    "rti+": "secgen_bench.anomaly.rtiplus:RTIPlusDetector",
}
