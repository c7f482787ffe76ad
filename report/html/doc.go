// Package html writes benchtui's shareable reports: one self-contained HTML file for a run,
// a sweep or a comparison of runs, and the same charts as standalone SVG files for docs.
//
// Invariants:
//   - Every figure comes from the report package: figures and percentiles are read from
//     report.Report and its hardware section, histograms bin report.CollectSamples, time
//     series are report.TimeSeries over the records, per-bucket percentiles are
//     report.Summarize, comparisons use report.Figures, report.Delta and
//     report.CompareNotes. The package computes no metric of its own.
//   - Charts are SVG that this package writes, with the same code for the page and for
//     standalone files. Drawing is aggregated to the chart's resolution (time buckets,
//     histogram bins, bands of requests), so a page stays small and fast however many
//     requests a run had; tooltips and tables carry the exact values.
//   - A page needs nothing at view time: styles, scripts and data are inline, and it reads
//     on light and dark backgrounds (prefers-color-scheme, with a toggle).
//   - Output is deterministic for a given input: no clock, no random ids.
package html
