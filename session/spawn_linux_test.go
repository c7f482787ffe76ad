package session

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The helper modes of this test binary (see TestMain): a sleeper, and a parent that starts a
// sleeper through startCmd from a goroutine whose thread then exits.
const (
	sleeperEnv = "BENCHTUI_SESSION_TEST_SLEEP"
	spawnerEnv = "BENCHTUI_SESSION_TEST_SPAWN"
)

func helperMain() bool {
	switch {
	case os.Getenv(sleeperEnv) == "1":
		time.Sleep(time.Minute)
		return true
	case os.Getenv(spawnerEnv) == "1":
		// The main goroutine keeps the main thread, which the runtime never ends, so that
		// the goroutine below runs on a thread of its own.
		runtime.LockOSThread()
		pid := make(chan int)
		go func() {
			// This goroutine ends with its thread locked, so the runtime ends the thread
			// too: had the fork happened on it, its child would get its death signal now.
			runtime.LockOSThread()
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), spawnerEnv+"=0", sleeperEnv+"=1")
			if err := startCmd(cmd); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			pid <- cmd.Process.Pid
		}()
		fmt.Println(<-pid)
		select {}
	}
	return false
}

// alive reports whether pid is a process that has not exited (a zombie has).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// A backend process dies with its parent, even by kill -9, and only then: not when the
// thread that started it ends.
func TestChildDiesWithParent(t *testing.T) {
	parent := exec.Command(os.Args[0])
	parent.Env = append(os.Environ(), spawnerEnv+"=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer parent.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("the helper said %q", line)
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	time.Sleep(500 * time.Millisecond)
	if !alive(pid) {
		t.Fatal("the child died when the thread that started it ended")
	}
	parent.Process.Signal(syscall.SIGKILL)
	parent.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatal("the child outlived its parent's kill -9 by 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
