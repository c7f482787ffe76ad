package session

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// startCmd starts cmd so that it dies with this process: the kernel sends it SIGKILL when its
// parent goes (PR_SET_PDEATHSIG), even by kill -9, and a hung backend process is never left
// behind. The signal fires when the thread that forked the child exits, not the process, and
// the Go runtime ends a thread when a goroutine that locked it returns; so every child is
// forked from one goroutine that locks its thread and never returns.
func startCmd(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	spawnOnce.Do(func() { go spawner() })
	req := spawnRequest{cmd: cmd, done: make(chan error, 1)}
	spawnRequests <- req
	return <-req.done
}

type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce     sync.Once
	spawnRequests = make(chan spawnRequest)
)

func spawner() {
	runtime.LockOSThread() // never unlocked: the thread lives as long as the process
	for req := range spawnRequests {
		req.done <- req.cmd.Start()
	}
}
