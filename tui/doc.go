// Package tui is benchtui's interactive dashboard: one root Bubble Tea model owning layout,
// focus and routing, with panels as plain structs that render to strings. It reads the
// engine's events and never drives the backend itself.
//
// # Panels
//
// Header, Throughput, Latency, Progress, Engine, Devices, History, Compare, Help and Hints
// are plain structs built with NewX(*themes.Styles). Data goes in through exported
// fields and setters that take simple Go types (never engine types), so the root adapts
// engine events into them and tests can fill them directly. Setters do the heavy work
// (Latency.SetSamples sorts and bins); Render only formats.
//
// Every panel's Render(width, height) is pure and obeys one contract, which the tests
// sweep from 10x3 to 250x70: it returns exactly height lines of exactly width cells (the
// empty string when either is zero or less). Panels degrade as they shrink: detail goes
// first, then the frame, and at the end a one-line summary.
//
// Panels keep the *themes.Styles they were built with. To change theme, either call
// SetStyles on each panel or overwrite the shared struct in place
// (*st = *themes.Build(p, dark)).
//
// # Layout
//
// Layout(width, height) is a pure function with named breakpoints (compactWidth,
// wideWidth, shortHeight, tinyHeight) that returns a Rect per visible panel;
// LayoutMaximized gives one panel the whole body. RenderFrame renders the visible
// panels and Compose joins them into a frame of exactly height lines, none wider than
// width.
package tui
