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


def test_step_bits_round_trip_and_leave_block_and_faults_intact():
    buf = bytearray(record.SIZE)
    for step in range(8):
        record.pack_into(buf, 0, record.FLAG_CALIBRATED, 5000, 700, 900, 1200, 100, 10, 0, 500, 127, 0x21, step)
        d = record.as_dict(record.unpack(buf))
        assert d["block"] == 127 and d["faults"] == 0x21 and d["step"] == step
        assert (d["walking"], d["arch_uncertain"], d["toe_uncertain"]) == (step & 1, step >> 1 & 1, step >> 2 & 1)


def test_version_1_records_still_decode():
    buf = bytearray(record.SIZE)
    record.pack_into(buf, 0, record.FLAG_COLLAPSE, 1000, 250, 1500, 2000, 300, 40, 0, 3000, 0x85, 0xC1)
    buf[0] = 1  # as an older firmware wrote it: block and faults had no step bits
    crc = record.crc16(buf, 0, record.BODY)
    buf[record.BODY] = crc & 0xFF
    buf[record.BODY + 1] = crc >> 8
    d = record.as_dict(record.unpack(buf))
    assert d["version"] == 1 and d["block"] == 0x85 and d["faults"] == 0xC1 and d["step"] == 0
