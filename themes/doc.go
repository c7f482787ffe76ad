// Package themes holds the dashboard's palettes and the styles built from them.
//
// A Palette is a small set of semantic colours (accent, good, warn, bad, muted, text,
// subtle, highlight and a short series of chart colours), each given as a Tone with a
// variant for dark and for light terminal backgrounds. Build turns a palette into one
// Styles struct; the dashboard passes that struct by pointer to every panel and builds a
// new one when the theme or the detected background changes, so panels never hold colours
// of their own.
//
// Invariants: Names lists every palette ByName knows, in cycling order; Build never
// returns nil; the "mono" palette carries no colour at all and expresses emphasis only
// with bold, faint, underline and reverse, so it is what Default picks when NO_COLOR is
// set.
package themes
