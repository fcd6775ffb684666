package compliance

import "context"

// Renderer loads pages in headless Chromium to confirm what a visitor sees.
type Renderer struct{}

func (rd *Renderer) confirm(ctx context.Context, c *Checker, agencies []Agency, out [][]Result) {}
