// Package static holds what oabadge serves from files: page templates and
// their stylesheet, embedded in the binary so one file is all an operator
// installs.
package static

import "embed"

// FS holds the templates (*.html), the stylesheets (*.css), the page
// script, the source of the embed script (*.js), the icon, and every
// released embed script, frozen as served (embed/released/v{N}.js).
//
//go:embed *.html *.css *.js *.svg embed/released/*.js
var FS embed.FS
