//go:build !unix

package synth

import "os"

// Without flock there is no safe way to tell a dead writer's temporary file from a live
// one's, so none is removed.
func lockWriting(f *os.File) {}
func removeStale(dir string) {}
