import pytest

from secgen_bench.schema import Column, FlowSchema, Role, SchemaError, table_fingerprint
from tests.plugins import TINY_SCHEMA, tiny_table


def test_roles_and_kinds():
    s = TINY_SCHEMA
    assert s.timestamp == "ts"
    assert s.discrete == ["src", "dport", "proto"]
    assert s.continuous == ["bytes", "duration"]
    assert s.by_role_and_direction(Role.BYTES, "out") == ["bytes"]
    assert FlowSchema.from_dict(s.to_dict()) == s


def test_validate_coerces_dtypes():
    t = tiny_table().astype({"dport": "float64", "ts": str})
    out = TINY_SCHEMA.validate(t)
    assert str(out["dport"].dtype) == "int64"
    assert str(out["ts"].dtype) == "datetime64[ns]"


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.drop(columns=["bytes"]), "missing column 'bytes'"),
    (lambda t: t.assign(extra=1), "unexpected column 'extra'"),
    (lambda t: t.iloc[:0], "empty table"),
    (lambda t: t.assign(ts=["yesterday-ish"] + [str(x) for x in t.ts[1:]]), "unparsable timestamp 'yesterday-ish' (row 0)"),
    (lambda t: t.assign(bytes=[-5] + list(t.bytes[1:])), "negative bytes -5 (row 0)"),
    (lambda t: t.assign(duration=["fast"] + list(t.duration[1:])), "non-numeric value 'fast' (row 0)"),
    (lambda t: t.assign(dport=[70000] + list(t.dport[1:])), "port out of range"),
    (lambda t: t.assign(bytes=[1.5] + list(t.bytes[1:])), "non-integer bytes 1.5"),
    (lambda t: t.assign(src=[None] + list(t.src[1:])), "missing value None (row 0)"),
])
def test_validation_errors_are_one_line_and_name_the_column(mutate, message):
    with pytest.raises(SchemaError) as err:
        TINY_SCHEMA.validate(mutate(tiny_table()), source="flows.csv")
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("flows.csv")
    assert message in text


def test_ranges_can_be_skipped_for_synthetic_data():
    """What DKC scores (negative duration, ports out of range) may be in a sample; negative counters may not."""
    t = tiny_table().assign(duration=-1.0, dport=70000)
    out = TINY_SCHEMA.validate(t, ranges=False)
    assert (out["duration"] == -1.0).all() and (out["dport"] == 70000).all()
    with pytest.raises(SchemaError, match="negative bytes -1 \\(row 0\\)"):
        TINY_SCHEMA.validate(tiny_table().assign(bytes=-1), ranges=False)


def test_schema_rejects_duplicates_and_bad_direction():
    with pytest.raises(SchemaError, match="duplicate column 'a'"):
        FlowSchema("x", (Column("a", Role.IP), Column("a", Role.PORT)))
    with pytest.raises(SchemaError, match="direction"):
        Column("b", Role.BYTES, "sideways")


def test_fingerprint_changes_with_content():
    t = tiny_table()
    assert table_fingerprint(t) == table_fingerprint(t.copy())
    t2 = t.copy()
    t2.loc[0, "bytes"] += 1
    assert table_fingerprint(t) != table_fingerprint(t2)
