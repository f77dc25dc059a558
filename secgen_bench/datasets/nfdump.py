"""``nfdump -o csv`` exports: nfdump 1.7 (header line) and 1.6 (no header, 47 or 48 fields, a summary block at the end).

Maps: ``ts`` (flow start), ``td`` (duration, seconds), ``sa``/``sp`` (source = initiator),
``da``/``dp``, ``pr``, ``flg`` (flags as ``.AP.SF`` text), ``ipkt``/``ibyt`` (input counters:
what the source sent, direction ``out``), ``opkt``/``obyt`` (output counters; the reverse
direction in bidirectional NSEL records, else 0: ``in``). Drops ``te`` (= ts + td), interfaces,
AS numbers, masks, ToS, MACs, VLAN, MPLS labels, latency, router and exporter ids. nfdump has no
label. Lines with another field count (the ``Summary`` block of 1.6) are dropped and counted.
"""
from __future__ import annotations

from secgen_bench.datasets.layouts import Field, Layout, LayoutFormat
from secgen_bench.schema import Role

F = Field
FIELDS_17 = ("ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,"
             "dvln,ismc,odmc,idmc,osmc," + ",".join(f"mpls{i}" for i in range(1, 11)) + ",cl,sl,al,ra,eng,exid,tr").split(",")
MAPPED = (
    F("ts", "ts", Role.TIMESTAMP, parse="time"),
    F("td", "td", Role.DURATION, parse="seconds"),
    F("sa", "sa", Role.IP),
    F("sp", "sp", Role.PORT),
    F("da", "da", Role.IP),
    F("dp", "dp", Role.PORT),
    F("pr", "pr", Role.PROTOCOL),
    F("flg", "flg", Role.FLAGS),
    F("ipkt", "ipkt", Role.PACKETS, "out"),
    F("ibyt", "ibyt", Role.BYTES, "out"),
    F("opkt", "opkt", Role.PACKETS, "in"),
    F("obyt", "obyt", Role.BYTES, "in"),
)
NFDUMP_17 = Layout("nfdump", MAPPED, "nfdump CSV export (unidirectional NetFlow/IPFIX; ipkt/ibyt = out)",
                   signature=frozenset({"ts", "te", "td", "sa", "da", "sp", "dp", "pr", "ipkt", "ibyt"}),
                   skip_odd_lines=True)
NFDUMP_16 = Layout("nfdump", MAPPED, NFDUMP_17.description, headerless=tuple(FIELDS_17), min_fields=len(FIELDS_17) - 1,
                   skip_odd_lines=True)


class Nfdump(LayoutFormat):
    """nfdump ``-o csv`` output (1.6 headerless or 1.7 with header)."""

    name = "nfdump"
    version = "1.0"
    description = "nfdump -o csv exports (1.6 without header, 1.7 with header)"
    layouts = (NFDUMP_17, NFDUMP_16)
    sample_file = ("ids", "nfdump", "nfdump16_csv_rows.txt")
    file_hint = "an nfdump -o csv export"
