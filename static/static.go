// Package static holds what oabadge serves from files: page templates and
// their stylesheet, embedded in the binary so one file is all an operator
// installs.
package static

import "embed"

// FS holds the templates (*.html) and assets (*.css).
//
//go:embed *.html *.css
var FS embed.FS
