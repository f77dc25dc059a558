"""CICFlowMeter CSVs: CIC-IDS2017 as distributed, CSE-CIC-IDS2018, and the cleaned CIC-IDS2017 layout.

Maps (names kept as the files spell them, leading spaces stripped): Source/Destination IP and
Port, Protocol, Timestamp (day first, as the CIC files write it), ``Flow Duration`` (microseconds) -> ``duration``
(seconds), forward = initiator -> direction ``out``, backward -> ``in`` for the packet and byte
totals, ``Flow Bytes/s`` and ``Flow Packets/s`` as continuous, ``Label`` (benign ``BENIGN`` /
``Benign``) or ``Attack Type`` (cleaned layout, benign ``Normal Traffic``) as label.
Drops ``Flow ID`` and the ~70 derived statistics (packet length, IAT, flag counts, bulk, subflow,
active/idle), which are functions of the packets a generator does not produce.
Official files: CSE-CIC-IDS2018 is published by CIC and AWS in the open bucket ``cse-cic-ids2018``
(entry ``cse-cic-ids2018`` downloads one day over HTTPS; its URL is not verified from this
machine and no checksum is published: the first download records size and SHA-256). CIC-IDS2017
is only served over plain HTTP from UNB (refused by the downloader): pass the file with --data.
Known defects handled: header lines repeated inside a file, ``Infinity``/``NaN`` rates and negative
durations (rows dropped, counted in ``meta["dropped"]``), empty lines of commas, duplicated names.
"""
from __future__ import annotations

from secgen_bench.datasets.download import Source
from secgen_bench.datasets.layouts import Field, Layout, LayoutFormat, register_source
from secgen_bench.schema import Role

F = Field


def _flows(ip: tuple[str, str, str, str] | None, port: str, proto: str | None, dur: str,
           fwd_pkts: str, bwd_pkts: str | None, fwd_bytes: str, bwd_bytes: str | None,
           rates: tuple[str, str], label: str) -> tuple[Field, ...]:
    out = []
    if ip is not None:
        src_ip, src_port, dst_ip, ts = ip
        out += [F(ts, ts, Role.TIMESTAMP, parse="time"), F(src_ip, src_ip, Role.IP), F(src_port, src_port, Role.PORT),
                F(dst_ip, dst_ip, Role.IP)]
    out.append(F(port, port, Role.PORT))
    if proto is not None:
        out.append(F(proto, proto, Role.PROTOCOL))
    out += [F(dur, "duration", Role.DURATION, parse="us"),
            F(fwd_pkts, fwd_pkts, Role.PACKETS, "out"), F(fwd_bytes, fwd_bytes, Role.BYTES, "out")]
    if bwd_pkts is not None:
        out += [F(bwd_pkts, bwd_pkts, Role.PACKETS, "in"), F(bwd_bytes, bwd_bytes, Role.BYTES, "in")]
    out += [F(rates[0], rates[0], Role.CONTINUOUS, parse="rate"), F(rates[1], rates[1], Role.CONTINUOUS, parse="rate"),
            F(label, label, Role.LABEL)]
    return tuple(out)


CICIDS2017 = Layout(
    "cicids2017",
    _flows(("Source IP", "Source Port", "Destination IP", "Timestamp"), "Destination Port", "Protocol", "Flow Duration",
           "Total Fwd Packets", "Total Backward Packets", "Total Length of Fwd Packets", "Total Length of Bwd Packets",
           ("Flow Bytes/s", "Flow Packets/s"), "Label"),
    "CIC-IDS2017 CICFlowMeter CSV as distributed (forward = initiator = out; duration in seconds)",
    signature=frozenset({"Source IP", "Destination Port", "Flow Duration", "Total Fwd Packets", "Timestamp", "Label"}),
    benign=("BENIGN",), dayfirst=True,
)

CSE_CIC_IDS2018_IPS = Layout(
    "cse-cic-ids2018-ips",
    _flows(("Src IP", "Src Port", "Dst IP", "Timestamp"), "Dst Port", "Protocol", "Flow Duration",
           "Tot Fwd Pkts", "Tot Bwd Pkts", "TotLen Fwd Pkts", "TotLen Bwd Pkts", ("Flow Byts/s", "Flow Pkts/s"), "Label"),
    "CSE-CIC-IDS2018 CICFlowMeter CSV with Flow ID and addresses (the Tuesday 20-02 file)",
    signature=frozenset({"Src IP", "Dst Port", "Tot Fwd Pkts", "TotLen Fwd Pkts", "Timestamp", "Label"}),
    benign=("Benign",), dayfirst=True,
)


def _timed_2018() -> tuple[Field, ...]:
    fields = _flows(None, "Dst Port", "Protocol", "Flow Duration", "Tot Fwd Pkts", "Tot Bwd Pkts", "TotLen Fwd Pkts",
                    "TotLen Bwd Pkts", ("Flow Byts/s", "Flow Pkts/s"), "Label")
    return (F("Timestamp", "Timestamp", Role.TIMESTAMP, parse="time"),) + fields


CSE_CIC_IDS2018 = Layout(
    "cse-cic-ids2018",
    _timed_2018(),
    "CSE-CIC-IDS2018 CICFlowMeter CSV (Processed Traffic Data for ML: no addresses)",
    signature=frozenset({"Dst Port", "Protocol", "Tot Fwd Pkts", "TotLen Fwd Pkts", "Timestamp", "Label"}),
    benign=("Benign",), dayfirst=True,
)

CICIDS2017_CLEANED = Layout(
    "cicids2017-cleaned",
    _flows(None, "Destination Port", None, "Flow Duration", "Total Fwd Packets", None, "Total Length of Fwd Packets", None,
           ("Flow Bytes/s", "Flow Packets/s"), "Attack Type")
    + (F("Init_Win_bytes_forward", "Init_Win_bytes_forward", Role.CONTINUOUS),
       F("Init_Win_bytes_backward", "Init_Win_bytes_backward", Role.CONTINUOUS)),
    "CIC-IDS2017 cleaned 53-column layout (no addresses, protocol, timestamp or backward totals)",
    signature=frozenset({"Destination Port", "Flow Duration", "Total Fwd Packets", "Attack Type"}),
    benign=("Normal Traffic",),
)


class CICFlowMeter(LayoutFormat):
    """CICFlowMeter flow CSVs (CIC-IDS2017, CSE-CIC-IDS2018, cleaned CIC-IDS2017), or Parquet copies of them."""

    name = "cicflowmeter"
    version = "1.0"
    description = "CICFlowMeter CSV/Parquet: CIC-IDS2017 (distributed or cleaned), CSE-CIC-IDS2018"
    layouts = (CICIDS2017, CSE_CIC_IDS2018_IPS, CSE_CIC_IDS2018, CICIDS2017_CLEANED)
    sample_file = ("ids", "cicids2017", "cicids2017_cleaned_sample.csv")
    file_hint = "a CICFlowMeter CSV"


CSE_CIC_IDS2018_FRIDAY = register_source(Source(
    "cse-cic-ids2018-friday-02-03",
    ("https://cse-cic-ids2018.s3.ca-central-1.amazonaws.com/Processed%20Traffic%20Data%20for%20ML%20Algorithms/"
     "Friday-02-03-2018_TrafficForML_CICFlowMeter.csv",),
    "Friday-02-03-2018_TrafficForML_CICFlowMeter.csv", None, "about 350 MB (URL unverified)",
    "CSE-CIC-IDS2018 (CIC and CSE; cite Sharafaldin et al. 2018)"))


class CSECICIDS2018(CICFlowMeter):
    """CSE-CIC-IDS2018, the Friday 02-03-2018 botnet day (official download, cached)."""

    name = "cse-cic-ids2018"
    description = "CSE-CIC-IDS2018 Friday 02-03-2018 (Bot + Benign), official AWS download, cached"
    source = "https://www.unb.ca/cic/datasets/ids-2018.html"
    sample_file = None
    download_source = CSE_CIC_IDS2018_FRIDAY
