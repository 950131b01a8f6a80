from core import record


def _sample(buf):
    record.pack_into(buf, 0, record.FLAG_COLLAPSE | record.FLAG_CUED, 123456, 250, 1500,
                     2500, 300, 55, -1200, 3000, 3, 0x21)


def test_size_and_round_trip():
    assert record.SIZE == 24
    buf = bytearray(record.SIZE)
    _sample(buf)
    d = record.as_dict(record.unpack(buf))
    assert d["ic_ms"] == 123456 and d["to_ms"] == 123706
    assert d["collapse"] == 1 and d["cued"] == 1 and d["toe_engaged"] == 0
    assert d["ml_index"] == -1200 and d["faults"] == 0x21 and d["block"] == 3


def test_every_flipped_byte_is_rejected():
    buf = bytearray(record.SIZE)
    _sample(buf)
    for i in range(record.SIZE):
        bad = bytearray(buf)
        bad[i] ^= 0x10
        try:
            record.unpack(bad)
        except record.RecordError:
            continue
        raise AssertionError("corruption at byte %d accepted" % i)


def test_truncated_record_is_rejected():
    buf = bytearray(record.SIZE)
    _sample(buf)
    try:
        record.unpack(buf[:20])
    except record.RecordError as e:
        assert "truncated" in str(e)
    else:
        raise AssertionError("truncated record accepted")
