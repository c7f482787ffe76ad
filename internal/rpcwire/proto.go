// Package rpcwire knows llama.cpp's RPC protocol (ggml-rpc) as far as benchtui needs it: the
// handshake that checks a server is there and speaks this build's version (Probe), and a
// relay that sits between llama.cpp and one RPC server on loopback and measures the traffic
// (Relay): bytes each way, commands, and the time the server has work outstanding.
//
// The protocol is request/response over one TCP connection per server, served one command
// at a time in order: a request is | command (1 byte) | size (8 bytes) | payload |, a reply
// | size (8 bytes) | payload |, and only some commands have a reply (graph computes and
// tensor uploads do not). The relay never changes a byte of the traffic except the transport
// capabilities of the handshake, which it clears so that both ends stay on TCP (an RDMA
// upgrade would bypass it).
//
// Invariants: a Relay allocates nothing per command or per byte once a connection is up
// (buffers and the pending-reply ring are made with the connection); its counters are only
// ever added to, so readers take differences.
package rpcwire

import (
	"encoding/binary"
	"fmt"
)

// The protocol version this llama.cpp release (v0.5.0) speaks: RPC_PROTO_*_VERSION in
// ggml/include/ggml-rpc.h. A client accepts a server of the same major version and a minor
// version no higher than its own.
const (
	ProtoMajor = 7
	ProtoMinor = 0
	ProtoPatch = 0
)

// Version is an RPC protocol version.
type Version struct{ Major, Minor, Patch uint8 }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Compatible reports whether a client of this build accepts a server of version v (the
// check negotiate_hello makes in ggml-rpc.cpp).
func (v Version) Compatible() bool { return v.Major == ProtoMajor && v.Minor <= ProtoMinor }

// The commands of protocol 7 (enum rpc_cmd in ggml-rpc.cpp).
const (
	cmdAllocBuffer = iota
	cmdGetAlignment
	cmdGetMaxSize
	cmdBufferGetBase
	cmdFreeBuffer
	cmdBufferClear
	cmdSetTensor
	cmdSetTensorHash
	cmdGetTensor
	cmdCopyTensor
	cmdGraphCompute
	cmdGetDeviceMemory
	cmdInitTensor
	cmdGetAllocSize
	cmdHello
	cmdDeviceCount
	cmdGraphRecompute
	cmdMemsetTensor
	cmdNone
	cmdCount
)

// hasReply says which commands the server answers (rpc_serve_client); the others are
// fire-and-forget, and their end shows only in the reply to a later command.
var hasReply = [256]bool{
	cmdAllocBuffer: true, cmdGetAlignment: true, cmdGetMaxSize: true, cmdBufferGetBase: true,
	cmdSetTensorHash: true, cmdGetTensor: true, cmdCopyTensor: true, cmdGetDeviceMemory: true,
	cmdGetAllocSize: true, cmdHello: true, cmdDeviceCount: true,
}

// capsSize is RPC_CONN_CAPS_SIZE: the transport capabilities in both halves of the
// handshake.
const capsSize = 24

// helloReplySize is sizeof(rpc_msg_hello_rsp): major, minor, patch, padding and the caps.
const helloReplySize = 4 + capsSize

// helloRequest is a whole handshake request with no transport capabilities.
func helloRequest() []byte {
	b := make([]byte, 1+8+capsSize)
	b[0] = cmdHello
	binary.LittleEndian.PutUint64(b[1:9], capsSize)
	return b
}
