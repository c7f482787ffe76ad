//go:build !linux

package session

import "os/exec"

// startCmd starts cmd. Without Linux's PR_SET_PDEATHSIG, a backend process notices that its
// parent died when its command pipe closes (ServeChild).
func startCmd(cmd *exec.Cmd) error { return cmd.Start() }
