//go:build !linux

package llamaserver

import "os/exec"

// setDeathSignal does nothing where there is no parent-death signal: the server is stopped
// by Close and by the end of its context only.
func setDeathSignal(cmd *exec.Cmd) {}
