"""UNSW-NB15 (UNSW Canberra): the four raw CSVs (no header, 49 fields) and the training/testing-set CSVs.

Raw files map: ``Stime`` (epoch seconds) -> timestamp, ``srcip``/``sport`` (initiator),
``dstip``/``dsport``, ``proto``, ``service``, ``state``, ``dur`` (seconds), ``sbytes``/``Spkts``
(source -> destination: direction ``out``), ``dbytes``/``Dpkts`` (``in``), labels ``attack_cat``
(empty for normal traffic -> ``-``) and ``Label`` (benign ``0``). Ports written in hex (``0x000b``)
or as ``-`` (ICMP, ARP) are read as numbers / 0. Drops ``Ltime`` and the 35 derived features.
The training/testing sets have no addresses, ports or times: they map ``dur``, ``proto``,
``service``, ``state``, ``spkts``/``sbytes`` (out), ``dpkts``/``dbytes`` (in), ``rate``,
``sttl``/``dttl`` and labels ``attack_cat`` (benign ``Normal``) and ``label`` (benign ``0``);
they drop ``id`` and the other derived features. A byte-order mark and CRLF line ends are accepted.
"""
from __future__ import annotations

from secgen_bench.datasets.layouts import Field, Layout, LayoutFormat
from secgen_bench.schema import Role

F = Field
RAW_NAMES = ("srcip,sport,dstip,dsport,proto,state,dur,sbytes,dbytes,sttl,dttl,sloss,dloss,service,Sload,Dload,Spkts,"
             "Dpkts,swin,dwin,stcpb,dtcpb,smeansz,dmeansz,trans_depth,res_bdy_len,Sjit,Djit,Stime,Ltime,Sintpkt,Dintpkt,"
             "tcprtt,synack,ackdat,is_sm_ips_ports,ct_state_ttl,ct_flw_http_mthd,is_ftp_login,ct_ftp_cmd,ct_srv_src,"
             "ct_srv_dst,ct_dst_ltm,ct_src_ltm,ct_src_dport_ltm,ct_dst_sport_ltm,ct_dst_src_ltm,attack_cat,Label").split(",")

UNSW_RAW = Layout(
    "unsw-nb15",
    (
        F("Stime", "Stime", Role.TIMESTAMP, parse="epoch"),
        F("srcip", "srcip", Role.IP),
        F("sport", "sport", Role.PORT),
        F("dstip", "dstip", Role.IP),
        F("dsport", "dsport", Role.PORT),
        F("proto", "proto", Role.PROTOCOL),
        F("service", "service", Role.CATEGORICAL),
        F("state", "state", Role.FLAGS),
        F("dur", "dur", Role.DURATION, parse="seconds"),
        F("sbytes", "sbytes", Role.BYTES, "out"),
        F("dbytes", "dbytes", Role.BYTES, "in"),
        F("Spkts", "Spkts", Role.PACKETS, "out"),
        F("Dpkts", "Dpkts", Role.PACKETS, "in"),
        F("attack_cat", "attack_cat", Role.LABEL),
        F("Label", "Label", Role.LABEL),
    ),
    "UNSW-NB15 raw flows (UNSW-NB15_1..4.csv; s = source = initiator = out)",
    headerless=tuple(RAW_NAMES), benign=("-", "0"),
)

UNSW_SETS = Layout(
    "unsw-nb15-sets",
    (
        F("proto", "proto", Role.PROTOCOL),
        F("service", "service", Role.CATEGORICAL),
        F("state", "state", Role.FLAGS),
        F("dur", "dur", Role.DURATION, parse="seconds"),
        F("spkts", "spkts", Role.PACKETS, "out"),
        F("dpkts", "dpkts", Role.PACKETS, "in"),
        F("sbytes", "sbytes", Role.BYTES, "out"),
        F("dbytes", "dbytes", Role.BYTES, "in"),
        F("rate", "rate", Role.CONTINUOUS, parse="rate"),
        F("sttl", "sttl", Role.COUNT, "out"),
        F("dttl", "dttl", Role.COUNT, "in"),
        F("attack_cat", "attack_cat", Role.LABEL),
        F("label", "label", Role.LABEL),
    ),
    "UNSW-NB15 training/testing-set layout (no addresses, ports or times; s = out)",
    signature=frozenset({"dur", "spkts", "dpkts", "sbytes", "dbytes", "sttl", "attack_cat", "label"}),
    benign=("Normal", "0"),
)


class UNSWNB15(LayoutFormat):
    """UNSW-NB15 flows: raw 49-field CSVs or the training/testing sets (CSV or Parquet)."""

    name = "unsw-nb15"
    version = "1.0"
    description = "UNSW-NB15 raw CSVs (no header) or training/testing-set CSVs, or Parquet copies"
    layouts = (UNSW_SETS, UNSW_RAW)
    sample_file = ("ids", "unsw-nb15", "UNSW_NB15_testing-set.subset.csv")
    file_hint = "a UNSW-NB15 CSV"
