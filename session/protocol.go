package session

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/synth"
	"github.com/benchtui/benchtui/telemetry"
)

// The protocol between a session and its backend process runs on two pipes of their own (the
// child's file descriptors 3 and 4, see childCommandFD and childEventFD), never on stdout or
// stderr, so that whatever native code prints cannot corrupt it. Each message is a frame:
// one type byte, a big-endian uint32 payload length, and the payload as JSON. The child
// speaks first (hello, with the protocol version); then the parent sends open, run, cancel
// and close, and the child answers with opened, lifecycle and snapshot events, heartbeats
// and done. Payloads are the engine's and the session's own types (Options, Spec,
// engine.Lifecycle, engine.Snapshot, engine.Result): what travels is serializable by
// construction, and what cannot travel (Env, engine.Hooks) never enters these types.
//
// Token times are taken in the child, next to the decode loop, so the pipe adds nothing to
// them. Each record crosses once: in the snapshot that announced its request's end, or, for
// requests that no snapshot carried (cut short, or ended after the last snapshot), in done.
const protocolVersion = 2

const (
	msgHello     byte = 'H' // child: hello
	msgOpen      byte = 'O' // parent: openRequest
	msgOpened    byte = 'o' // child: opened
	msgRun       byte = 'R' // parent: runRequest
	msgCancel    byte = 'C' // parent: stop the run
	msgClose     byte = 'Q' // parent: free everything and exit
	msgLifecycle byte = 'L' // child: engine.Lifecycle
	msgSnapshot  byte = 'S' // child: engine.Snapshot
	msgHeartbeat byte = 'B' // child: alive and making progress (no payload)
	msgDone      byte = 'D' // child: runResult
	msgError     byte = 'E' // child: wireError (open or run could not start)
)

// The child's protocol file descriptors (cmd.ExtraFiles): it reads the parent's messages on
// the first and writes its own on the second.
const (
	childCommandFD = 3
	childEventFD   = 4
)

// maxFrame bounds a frame so that a corrupt length cannot make the reader allocate wildly; a
// run's requests (the parent's largest message) are the largest payload.
const maxFrame = 1 << 30

type hello struct {
	Protocol int    `json:"protocol"`
	PID      int    `json:"pid"`
	Version  string `json:"version,omitempty"`
}

type openRequest struct {
	Options Options `json:"options"`
	// Heartbeat is how often the child says it is alive (see childServer.heartbeat).
	Heartbeat time.Duration `json:"heartbeat_ns"`
}

type opened struct {
	Info      engine.BackendInfo `json:"info"`
	Model     synth.Model        `json:"model"`
	ModelFile string             `json:"model_file"`
	// Options are the options the child opened with, the backend's normalised.
	Options Options `json:"options"`
}

type runRequest struct {
	Spec Spec `json:"spec"`
	// Roofline, when known, gives the child its speed of light (engine.Hooks.SpeedOfLight):
	// the parent measures the bandwidth, the child applies it to the model it runs.
	Roofline *telemetry.Roofline `json:"roofline,omitempty"`
}

type runResult struct {
	Config engine.Config      `json:"config"`
	Stats  report.Dataset     `json:"stats"`
	Info   engine.BackendInfo `json:"info"`
	// Result holds the records that no snapshot carried; the others came with snapshots.
	Result   engine.Result `json:"result"`
	Err      string        `json:"error,omitempty"`
	Canceled bool          `json:"canceled,omitempty"`
}

type wireError struct {
	Message string `json:"message"`
	Input   bool   `json:"input"`
}

// frameWriter writes frames; several goroutines of the child send events at once.
type frameWriter struct {
	mu  sync.Mutex
	w   *bufio.Writer
	hdr [5]byte
}

func newFrameWriter(w io.Writer) *frameWriter { return &frameWriter{w: bufio.NewWriterSize(w, 64<<10)} }

func (f *frameWriter) send(typ byte, v any) error {
	var payload []byte
	if v != nil {
		var err error
		if payload, err = json.Marshal(v); err != nil {
			return fmt.Errorf("encode %c message: %w", typ, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hdr[0] = typ
	binary.BigEndian.PutUint32(f.hdr[1:], uint32(len(payload)))
	if _, err := f.w.Write(f.hdr[:]); err != nil {
		return err
	}
	if _, err := f.w.Write(payload); err != nil {
		return err
	}
	return f.w.Flush()
}

type frame struct {
	typ     byte
	payload []byte
}

func readFrame(r *bufio.Reader) (frame, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return frame{}, fmt.Errorf("frame of %d bytes: the stream is corrupt", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return frame{}, err
	}
	return frame{typ: hdr[0], payload: buf}, nil
}

// decode unmarshals a frame's payload into v, naming the message on failure.
func (f frame) decode(v any) error {
	if err := json.Unmarshal(f.payload, v); err != nil {
		return fmt.Errorf("backend protocol: %c message: %w", f.typ, err)
	}
	return nil
}
