// Package panel holds the dashboard's panels: plain structs that render to strings, with a
// size, a one-line summary and a focus flag (the Panel interface). Data goes in through
// exported fields and setters that take simple Go types, never engine types, so the root
// model adapts engine events into them and tests can fill them directly. Setters do the
// heavy work (Latency.SetSamples sorts and bins); Render only formats.
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
// The package does not import Bubble Tea: only the root model (package tui) receives
// messages and routes them.
package panel
