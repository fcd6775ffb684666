// Package static holds what oabadge serves from files: page templates and
// their stylesheet, embedded in the binary so one file is all an operator
// installs.
package static

import "embed"

// FS holds the templates (*.html), the stylesheets (*.css), the page
// script and the embed script (*.js).
//
//go:embed *.html *.css *.js
var FS embed.FS
