// Package telemetry samples what the hardware does during a run and describes the machine it
// runs on. Its jobs are:
//
//   - sampling: a [Source] reads one [Sample] per device (per GPU through NVML, or the whole
//     host from /proc where there is no NVIDIA driver), and a [Monitor] calls it at a fixed
//     interval (250 ms by default) and keeps the last samples of each device in a ring;
//   - machine details: [DescribeMachine] lists the CPU, RAM, driver and GPUs for a report;
//   - run summaries: [Monitor.Window] copies out the samples of a run, [Summarize] turns them
//     into average and peak utilisation, peak memory and energy per output token, and
//     [NewSeries] into a time series a report can store as JSON;
//   - speed of light: a [Roofline] holds the memory bandwidth that bounds decode speed and
//     gives the tokens/s a decode step could reach if it only had to read weights and KV cache.
//
// Invariants:
//
//   - A quantity that cannot be measured is "n/a", never an error: no driver means the host
//     source is used, and a field a GPU does not report (nvml.ERROR_NOT_SUPPORTED, MIG,
//     ERROR_NO_PERMISSION) is a clear bit in [Sample.Valid]. Errors are kept for real
//     failures (a lost GPU, an unreadable /proc file), and even those only clear the
//     fields they affect.
//   - Sampling allocates nothing in steady state: rings are preallocated at [NewMonitor],
//     /proc files stay open and are re-read into the same buffer, and each source reads into
//     a caller-owned slice. Readers copy into caller-owned slices as well. (go-nvml's cgo
//     wrappers themselves allocate one small out-parameter per call, about 64 bytes a GPU a
//     tick; that is outside this package.)
//   - Every device is sampled at the same instant: one [Monitor.SampleNow] appends exactly one
//     sample to every device's ring, so the rings stay in lockstep and share a time axis.
//   - A Monitor is safe for one sampling goroutine and any number of concurrent readers;
//     readers never see a half-written sample because rings change only under its lock.
//   - Report structures encode "not known" as JSON null (nil pointers) or an omitted field,
//     never as NaN, so they always survive encoding/json.
//
// The engine does not depend on this package; callers wire a Monitor next to a run.
package telemetry
