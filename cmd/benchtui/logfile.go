package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/debug"
)

// openLog opens benchtui's log in the user state dir ($XDG_STATE_HOME/benchtui/benchtui.log,
// ~/.local/state by default): what the backend process said when it died, and the Go runtime's
// report if benchtui itself crashes. The dashboard never writes such things to the screen.
// Without a writable state dir the log is discarded.
func openLog() (*log.Logger, string) {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return log.New(discard{}, "", 0), ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	dir = filepath.Join(dir, "benchtui")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return log.New(discard{}, "", 0), ""
	}
	path := filepath.Join(dir, "benchtui.log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return log.New(discard{}, "", 0), ""
	}
	// A fatal error or an unrecovered panic is copied here too.
	_ = debug.SetCrashOutput(f, debug.CrashOptions{})
	l := log.New(f, fmt.Sprintf("benchtui[%d] ", os.Getpid()), log.LstdFlags|log.Lmicroseconds)
	return l, path
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
