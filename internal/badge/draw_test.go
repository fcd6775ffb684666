package badge_test

import (
	"image"
	"image/draw"
)

func drawOver(dst *image.RGBA, src image.Image) {
	draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Over)
}
