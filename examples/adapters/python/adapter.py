#!/usr/bin/env python3
"""A minimal agentsec-adapter/1 adapter in Python with the standard library only.

It answers `hello` and the `prim.*` methods of two primitives the standard library has: HMAC-SHA-256
and HKDF-SHA-256 (RFC 5869, built on hmac). Run it with:

    agentsec conform --impl "python3 examples/adapters/python/adapter.py" --suite primitives

One JSON-RPC 2.0 request per line on stdin, one response per line on stdout; logs go to stderr.
Replace the bodies of the handlers with calls into your implementation.
"""
import hashlib
import hmac
import json
import sys


class Refused(Exception):
    """A refusal of the contract: an error kind from the closed set and a message."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def unhex(params, name):
    value = params.get(name)
    if not isinstance(value, str):
        raise Refused("decode_failure", f'"{name}" must be a hex string')
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise Refused("decode_failure", f'"{name}" is not hex')


def hello(params):
    return {
        "name": "python-stdlib-skeleton",
        "version": "0.1.0",
        "protocol": 1,
        "capabilities": {"primitives": ["hmac-sha256", "hkdf-sha256"]},
    }


def prim_hmac(params):
    if params.get("hash") != "SHA-256":
        raise Refused("unsupported", "only SHA-256")
    mac = hmac.new(unhex(params, "key"), unhex(params, "message"), hashlib.sha256).digest()
    return {"mac": mac.hex()}


def prim_hkdf(params):
    if params.get("hash") != "SHA-256":
        raise Refused("unsupported", "only SHA-256")
    length = params.get("length")
    if not isinstance(length, int) or length < 0 or length > 255 * 32:
        raise Refused("policy_reject", "HKDF-SHA-256 output is at most 8160 bytes")
    salt = unhex(params, "salt") or bytes(32)
    prk = hmac.new(salt, unhex(params, "ikm"), hashlib.sha256).digest()
    info = unhex(params, "info")
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return {"okm": okm[:length].hex()}


METHODS = {
    "hello": hello,
    "prim.hmac": prim_hmac,
    "prim.hkdf": prim_hkdf,
    "free": lambda params: {},
}


def answer(request):
    rid = request.get("id")
    handler = METHODS.get(request.get("method"))
    if handler is None:
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "method not found"}}
    try:
        return {"jsonrpc": "2.0", "id": rid, "result": handler(request.get("params") or {})}
    except Refused as e:
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": str(e), "data": {"kind": e.kind}}}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError:
            print("not JSON: ignored", file=sys.stderr)
            continue
        sys.stdout.write(json.dumps(answer(request)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
