//go:build !linux

package main

import "os/exec"

// setParentDeathSignal has no equivalent here: Ctrl-C reaches the server with benchtui.
func setParentDeathSignal(*exec.Cmd) {}
