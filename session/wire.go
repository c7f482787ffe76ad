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

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/synth"
)

// The protocol between a session and its backend child process. Each message is a frame: one
// type byte, a big-endian uint32 payload length, and the payload as JSON. The child speaks
// first (hello, with the protocol version); then the parent sends open, run, cancel and close
// and the child answers with opened, lifecycle and snapshot events, and done. Token times are
// taken in the child, next to the decode loop, so the pipe adds nothing to them.
const protocolVersion = 1

const (
	msgHello     byte = 'H' // child: hello
	msgOpen      byte = 'O' // parent: Options
	msgOpened    byte = 'o' // child: opened
	msgRun       byte = 'R' // parent: runRequest
	msgCancel    byte = 'C' // parent: stop the run
	msgClose     byte = 'Q' // parent: free everything and exit
	msgLifecycle byte = 'L' // child: engine.Lifecycle
	msgSnapshot  byte = 'S' // child: engine.Snapshot
	msgDone      byte = 'D' // child: runResult
	msgError     byte = 'E' // child: wireError (open or run could not start)
)

// maxFrame bounds a frame so that a corrupt length cannot make the reader allocate wildly; a
// run's records (token times of every request) are the largest payload.
const maxFrame = 1 << 30

type hello struct {
	Protocol int    `json:"protocol"`
	PID      int    `json:"pid"`
	Version  string `json:"version,omitempty"`
}

type opened struct {
	Info      engine.BackendInfo `json:"info"`
	Model     synth.Model        `json:"model"`
	ModelFile string             `json:"model_file"`
	Options   Options            `json:"options"`
}

type wireError struct {
	Message string `json:"message"`
	Input   bool   `json:"input"`
}

// wireConfig is engine.Config without its writer and function.
type wireConfig struct {
	MaxBatchSize    int   `json:"max_batch_size"`
	MaxNumTokens    int   `json:"max_num_tokens"`
	MaxSeqLen       int   `json:"max_seq_len"`
	KVCapacity      int   `json:"kv_capacity"`
	Concurrency     int   `json:"concurrency"`
	Warmup          int   `json:"warmup"`
	EOSID           int32 `json:"eos_id"`
	SnapshotEveryNS int64 `json:"snapshot_every_ns"`
	KeepTokens      bool  `json:"keep_tokens,omitempty"`
	Static          bool  `json:"static,omitempty"`
}

func toWire(c engine.Config) wireConfig {
	return wireConfig{c.MaxBatchSize, c.MaxNumTokens, c.MaxSeqLen, c.KVCapacity, c.Concurrency, c.Warmup, c.EOSID,
		int64(c.SnapshotEvery), c.KeepTokens, c.Static}
}

func (w wireConfig) config() engine.Config {
	return engine.Config{MaxBatchSize: w.MaxBatchSize, MaxNumTokens: w.MaxNumTokens, MaxSeqLen: w.MaxSeqLen,
		KVCapacity: w.KVCapacity, Concurrency: w.Concurrency, Warmup: w.Warmup, EOSID: w.EOSID,
		SnapshotEvery: time.Duration(w.SnapshotEveryNS), KeepTokens: w.KeepTokens, Static: w.Static}
}

// solParams carries the speed of light into the child: the function itself cannot travel.
type solParams struct {
	BandwidthBytesPerSec float64 `json:"bandwidth_bytes_per_s"`
	WeightBytes          float64 `json:"weight_bytes"`
	KVBytesPerToken      float64 `json:"kv_bytes_per_token"`
}

type runRequest struct {
	Requests          []dataset.Request `json:"requests,omitempty"`
	Gen               Gen               `json:"gen"`
	DatasetPath       string            `json:"dataset_path,omitempty"`
	SkippedLines      int               `json:"skipped_lines,omitempty"`
	Engine            wireConfig        `json:"engine"`
	KVFreeMemFraction float64           `json:"kv_free_mem_fraction,omitempty"`
	IterationLogPath  string            `json:"iteration_log,omitempty"`
	SOL               *solParams        `json:"sol,omitempty"`
}

type runResult struct {
	Config   wireConfig         `json:"config"`
	Stats    report.Dataset     `json:"stats"`
	Result   engine.Result      `json:"result"`
	Info     engine.BackendInfo `json:"info"`
	Err      string             `json:"error,omitempty"`
	Canceled bool               `json:"canceled,omitempty"`
}

// frameWriter writes frames; several goroutines of the child send events at once.
type frameWriter struct {
	mu  sync.Mutex
	w   *bufio.Writer
	hdr [5]byte
}

func newFrameWriter(w io.Writer) *frameWriter { return &frameWriter{w: bufio.NewWriterSize(w, 64<<10)} }

func (f *frameWriter) send(typ byte, v any) error {
	payload, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %c message: %w", typ, err)
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
