//go:build !linux

package session

func helperMain() bool { return false }
