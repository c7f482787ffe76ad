package llamaserver

import (
	"os/exec"
	"syscall"
)

// setDeathSignal asks the kernel to kill the server when the thread that starts it ends,
// which Start makes last as long as the server (a crashed or killed benchtui ends it too).
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
