// Package report is the one implementation of every figure benchtui shows and of every file
// that holds results: the metric formulas (percentiles, TTFT, TPOT, ITL, throughput), the
// report JSON (trtllm-bench's keys plus a "benchtui" object), the console summary, the
// per-request file (--request_json), the export/replay file and compare deltas.
//
// Invariants: a figure is computed here once, from the engine's records, and every surface
// (console, dashboard, sweeps, compare, replay) prints the value held in a Report; every
// number in a Report is finite, so a Report always survives encoding/json. The package
// reads records and snapshots from engine; engine never imports it.
package report
