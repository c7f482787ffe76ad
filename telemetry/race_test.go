//go:build race

package telemetry

// raceEnabled is set under -race, whose instrumentation of copy makes timings meaningless.
const raceEnabled = true
