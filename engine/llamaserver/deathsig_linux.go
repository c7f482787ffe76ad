package llamaserver

import (
	"os/exec"
	"syscall"
)

// setDeathSignal asks the kernel to kill the server when the thread that starts it ends,
// which Start makes last as long as the server (a crashed or killed benchtui ends it too).
// The server gets a process group of its own, so that a Ctrl-C at the terminal reaches
// benchtui alone: benchtui ends the run, keeps what finished and then stops the server,
// instead of the server dropping the streams in flight as failures.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
