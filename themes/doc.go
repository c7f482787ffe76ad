// Package themes holds the dashboard's palettes and the styles built from them.
package themes
