//go:build !unix

package fsutil

const nonblock = 0

func isNoReader(error) bool { return false }
