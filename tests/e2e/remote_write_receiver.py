"""A Prometheus remote_write receiver on 127.0.0.1, standing in for CloudTuner's SaaS door.

Decodes the remote_write 1.0 body: snappy block format (Content-Encoding: snappy), decoded by the
system's libsnappy (the build dependency libsnappy-dev ships it) through its C API snappy-c.h
(snappy_uncompressed_length, snappy_uncompress), then the protobuf WriteRequest of
prometheus/prometheus prompb/remote.proto (field 1: repeated TimeSeries) and prompb/types.proto
(TimeSeries: 1 labels, 2 samples; Label: 1 name, 2 value; Sample: 1 double value, 2 int64
timestamp), parsed by hand (wire types 0, 1, 2, 5 only; anything else is refused).

Checks what the door checks: basic auth (username, password), else 401; a Cloud-Account-Id
header, when present, must equal the expected tenant, else 400. Records the headers of every
request and the series (name -> list of label dicts) of every accepted one.
"""
import base64
import ctypes
import ctypes.util
import http.server
import struct
import threading

from harness import LoopbackServer

_snappy = ctypes.CDLL(ctypes.util.find_library("snappy") or "libsnappy.so.1")


def snappy_decode(data):
    n = ctypes.c_size_t()
    if _snappy.snappy_uncompressed_length(data, ctypes.c_size_t(len(data)), ctypes.byref(n)) != 0:
        raise ValueError("not snappy block format")
    if n.value > 64 << 20:
        raise ValueError("uncompressed body over 64 MiB")
    out = ctypes.create_string_buffer(n.value)
    if _snappy.snappy_uncompress(data, ctypes.c_size_t(len(data)), out, ctypes.byref(n)) != 0:
        raise ValueError("corrupt snappy body")
    return out.raw[:n.value]


def _varint(buf, i):
    shift = value = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def _fields(buf):
    """(field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(buf, i)
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n, i = _varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if i > len(buf):
            raise ValueError("truncated field")
        yield field, wire, v


def parse_write_request(raw):
    """[(labels dict, [(value, timestamp ms)])] of a WriteRequest."""
    series = []
    for field, wire, ts in _fields(raw):
        if field != 1 or wire != 2:
            continue  # metadata (3) and anything newer
        labels, samples = {}, []
        for f, w, v in _fields(ts):
            if f == 1 and w == 2:
                kv = {lf: lv.decode() for lf, lw, lv in _fields(v) if lw == 2}
                labels[kv.get(1, "")] = kv.get(2, "")
            elif f == 2 and w == 2:
                val, t = 0.0, 0
                for sf, sw, sv in _fields(v):
                    if sf == 1 and sw == 1:
                        val = struct.unpack("<d", sv)[0]
                    elif sf == 2 and sw == 0:
                        t = sv
                samples.append((val, t))
        series.append((labels, samples))
    return series


class RemoteWriteReceiver(LoopbackServer):
    def __init__(self, port, path, username, password, tenant):
        self.port = port
        self.path = path
        self.auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.tenant = tenant
        self.lock = threading.Lock()
        self.headers_seen = []
        self.refused = {"401": 0, "400": 0, "404": 0}
        self.series = {}  # metric name -> [labels dict]
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, code, text=b""):
                self.send_response(code)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 64 << 20))
                with receiver.lock:
                    receiver.headers_seen.append(dict(self.headers.items()))
                if self.path != receiver.path:
                    receiver.refused["404"] += 1
                    return self.answer(404, b"not found\n")
                if self.headers.get("Authorization") != receiver.auth:
                    receiver.refused["401"] += 1
                    return self.answer(401, b"unauthorized\n")
                account = self.headers.get("Cloud-Account-Id")
                if account is not None and account != receiver.tenant:
                    receiver.refused["400"] += 1
                    return self.answer(400, b"wrong Cloud-Account-Id\n")
                if self.headers.get("Content-Encoding") != "snappy":
                    return self.answer(400, b"snappy expected\n")
                try:
                    series = parse_write_request(snappy_decode(body))
                except ValueError as e:
                    return self.answer(400, str(e).encode() + b"\n")
                with receiver.lock:
                    for labels, _samples in series:
                        receiver.series.setdefault(labels.get("__name__", ""), []).append(labels)
                self.answer(204)

        self.serve(port, Handler)

    def with_name(self, name):
        with self.lock:
            return list(self.series.get(name, []))
