package session

import (
	"bytes"
	"log"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
)

// ChildDeath says why a backend process ended before its work did.
type ChildDeath struct {
	// Kind is one of: "out of memory", "CUDA error", "assertion", "segmentation fault",
	// "killed", "stalled", "panic", "exited".
	Kind string
	// Detail is the line of the process's stderr that names the cause, or its last
	// meaningful lines.
	Detail string
	// Status is the exit status or signal, as the system reported it.
	Status string
}

func (d *ChildDeath) Error() string {
	msg := "backend process died: " + d.Kind
	if d.Status != "" {
		msg += " (" + d.Status + ")"
	}
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	return msg
}

// goCrash matches the header the Go runtime prints when the process dies: a panic, a fatal
// error, or a signal it caught (an abort or a fault in native code arrives as one).
var goCrash = regexp.MustCompile(`(?m)^(panic: |fatal error: |(SIGABRT|SIGSEGV|SIGBUS|SIGILL|SIGFPE|SIGTRAP): |unexpected fault address)`)

// causes are the lines that name each kind of death, most specific first.
var causes = []struct {
	kind string
	line *regexp.Regexp
}{
	// An RPC server that went away makes llama.cpp abort; the line after its message names
	// the server (see engine/llamacpp/rpc.c).
	{"RPC server lost", regexp.MustCompile(`^RPC server (\S+ (closed|refused|stopped)|failed:)`)},
	{"out of memory", regexp.MustCompile(`(?i)out of memory|failed to allocate|cudamalloc failed`)},
	{"CUDA error", regexp.MustCompile(`(?i)cuda error`)},
	{"assertion", regexp.MustCompile(`GGML_ASSERT|GGML_ABORT|(?i)assertion .*failed`)},
}

// classify names why a child died from its exit status and the end of its stderr.
func classify(waitErr error, ps *os.ProcessState, stderr string) *ChildDeath {
	d := &ChildDeath{Kind: "exited"}
	if ps != nil {
		d.Status = ps.String()
	} else if waitErr != nil {
		d.Status = waitErr.Error()
	}
	var sig syscall.Signal = -1
	if ps != nil {
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			sig = ws.Signal()
		}
	}
	// What the native code said comes before the Go runtime's crash report, which is a
	// goroutine dump that says where, not why; the report's first line names the cause.
	native, header := stderr, ""
	if loc := goCrash.FindStringIndex(stderr); loc != nil {
		native = stderr[:loc[0]]
		header, _, _ = strings.Cut(stderr[loc[0]:], "\n")
	}
	for _, c := range causes {
		if line := lastMatch(native, c.line); line != "" {
			d.Kind, d.Detail = c.kind, line
			return d
		}
	}
	switch {
	case strings.HasPrefix(header, "panic: ") || strings.HasPrefix(header, "fatal error: "):
		d.Kind = "panic"
		native += "\n" + header
	case strings.HasPrefix(header, "SIGABRT") || sig == syscall.SIGABRT:
		d.Kind = "assertion"
	case strings.HasPrefix(header, "SIG") || strings.HasPrefix(header, "unexpected fault") || sig == syscall.SIGSEGV || sig == syscall.SIGBUS:
		d.Kind = "segmentation fault"
	case sig == syscall.SIGKILL:
		d.Kind = "killed"
		d.Status += " (by a signal; the system kills processes that run out of memory this way)"
	}
	d.Detail = meaningful(native, 3)
	return d
}

// lastMatch is the last meaningful line of s that re matches, "" when none does.
func lastMatch(s string, re *regexp.Regexp) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !noise(l) && re.MatchString(l) {
			return l
		}
	}
	return ""
}

// backtraceLine matches the lines of native backtraces, which say where, not why.
var backtraceLine = regexp.MustCompile(`^(\S+\.so[.\d]*\(|\S+\(\+0x|\S+\[0x[0-9a-f]+\]$|\[0x|\s)`)

// debuggerLine matches what gdb prints when ggml's abort handler attaches it for a backtrace
// (its warnings about auto-loading, thread notices, frames), and the dynamic loader's notes:
// none of it says why the process died.
var debuggerLine = regexp.MustCompile(`^(warning: |\[Thread debugging|\[New LWP|\[Inferior |Using host libthread_db|#\d+ |0x[0-9a-f]+ in |ptrace: |No stack\.|The program is not being run|Could not attach|To enable execution of this file|To completely disable this security|add-auto-load-safe-path|set auto-load safe-path|line to your configuration file|For more information about this security|"Auto-loading safe path"|E\.g\., run from the shell|info "\(gdb\)|\(gdb\)|ERROR: ld\.so:|ld\.so: )`)

func noise(l string) bool {
	return backtraceLine.MatchString(l) || debuggerLine.MatchString(strings.TrimSpace(l))
}

// meaningful returns up to n of the last lines of stderr that say what happened, the last
// first (it is the one closest to the failure), skipping backtraces, debugger output and
// blank lines.
func meaningful(stderr string, n int) string {
	lines := strings.Split(stderr, "\n")
	var out []string
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		l := strings.TrimRight(lines[i], "\r ")
		if l == "" || noise(l) {
			continue
		}
		out = append(out, strings.TrimSpace(l))
	}
	return strings.Join(out, " | ")
}

// tailBuffer keeps the last cap bytes written to it (a child's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	cap int
}

func newTailBuffer(n int) *tailBuffer { return &tailBuffer{cap: n} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.cap; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func (t *tailBuffer) lastLines(n int) string { return meaningful(t.String(), n) }

// lineLog writes each complete line written to it to a log, with a prefix: a backend
// process's stderr goes to the log as it comes, so that what it said before it died is kept
// whatever happens next.
type lineLog struct {
	mu      sync.Mutex
	log     *log.Logger
	prefix  string
	pending []byte
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, p...)
	for {
		i := bytes.IndexByte(l.pending, '\n')
		if i < 0 {
			break
		}
		l.log.Printf("%s%s", l.prefix, bytes.TrimRight(l.pending[:i], "\r"))
		l.pending = l.pending[i+1:]
	}
	if len(l.pending) > 64<<10 {
		// A line without an end (binary output) is logged in pieces rather than kept.
		l.log.Printf("%s%s", l.prefix, l.pending)
		l.pending = l.pending[:0]
	}
	return len(p), nil
}

// flush logs a last line without a newline.
func (l *lineLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) > 0 {
		l.log.Printf("%s%s", l.prefix, l.pending)
		l.pending = nil
	}
}
