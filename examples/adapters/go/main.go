// A minimal agentsec-adapter/1 adapter in Go with the standard library only.
//
// It answers `hello` and the `prim.*` methods of two primitives the standard library has (Go 1.19
// and later): Ed25519 verification (crypto/ed25519) and HMAC-SHA-256 (crypto/hmac). Run it with:
//
//	go build -o /tmp/agentsec-go-adapter ./examples/adapters/go
//	agentsec conform --impl /tmp/agentsec-go-adapter --suite primitives
//
// One JSON-RPC 2.0 request per line on stdin, one response per line on stdout; logs go to stderr.
// Replace the bodies of the handlers with calls into your implementation.
package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
)

type request struct {
	ID     json.RawMessage            `json:"id"`
	Method string                     `json:"method"`
	Params map[string]json.RawMessage `json:"params"`
}

// refused is a refusal of the contract: an error kind from the closed set and a message.
type refused struct{ kind, message string }

func (r refused) Error() string { return r.message }

func unhex(p map[string]json.RawMessage, name string) ([]byte, error) {
	var s string
	if err := json.Unmarshal(p[name], &s); err != nil {
		return nil, refused{"decode_failure", fmt.Sprintf("%q must be a hex string", name)}
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, refused{"decode_failure", fmt.Sprintf("%q is not hex", name)}
	}
	return b, nil
}

func hello(map[string]json.RawMessage) (any, error) {
	return map[string]any{
		"name": "go-stdlib-skeleton", "version": "0.1.0", "protocol": 1,
		"capabilities": map[string]any{"primitives": []string{"ed25519", "hmac-sha256"}},
	}, nil
}

func hmacSHA256(p map[string]json.RawMessage) (any, error) {
	var alg string
	if err := json.Unmarshal(p["hash"], &alg); err != nil || alg != "SHA-256" {
		return nil, refused{"unsupported", "only SHA-256"}
	}
	key, err := unhex(p, "key")
	if err != nil {
		return nil, err
	}
	msg, err := unhex(p, "message")
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return map[string]string{"mac": hex.EncodeToString(m.Sum(nil))}, nil
}

func ed25519Verify(p map[string]json.RawMessage) (any, error) {
	pub, err := unhex(p, "public")
	if err != nil {
		return nil, err
	}
	msg, err := unhex(p, "message")
	if err != nil {
		return nil, err
	}
	sig, err := unhex(p, "signature")
	if err != nil {
		return nil, err
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, refused{"decode_failure", "public key must be 32 bytes"}
	}
	return map[string]bool{"valid": ed25519.Verify(ed25519.PublicKey(pub), msg, sig)}, nil
}

var methods = map[string]func(map[string]json.RawMessage) (any, error){
	"hello":               hello,
	"prim.ed25519_verify": ed25519Verify,
	"prim.hmac":           hmacSHA256,
	"free":                func(map[string]json.RawMessage) (any, error) { return map[string]any{}, nil },
}

func answer(r request) map[string]any {
	out := map[string]any{"jsonrpc": "2.0", "id": r.ID}
	handler, ok := methods[r.Method]
	if !ok {
		out["error"] = map[string]any{"code": -32601, "message": "method not found"}
		return out
	}
	result, err := handler(r.Params)
	if err != nil {
		kind := "internal"
		if rf, ok := err.(refused); ok {
			kind = rf.kind
		}
		out["error"] = map[string]any{"code": -32000, "message": err.Error(), "data": map[string]string{"kind": kind}}
		return out
	}
	out["result"] = result
	return out
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		var r request
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			fmt.Fprintln(os.Stderr, "not JSON: ignored")
			continue
		}
		line, _ := json.Marshal(answer(r))
		out.Write(append(line, '\n'))
		out.Flush()
	}
}
