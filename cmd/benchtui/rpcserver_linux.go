package main

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the rpc-server end with benchtui, however benchtui ends.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
