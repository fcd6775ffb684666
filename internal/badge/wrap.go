package badge

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Measure returns the width of a string in some font.
type Measure func(string) float64

// NBSP is the no-break space. Titles and captions may use it to keep two
// syllables on one line; it is drawn as a space.
const NBSP = '\u00a0'

// Wrap breaks text into lines no wider than width as measure counts it,
// the way a Vietnamese typesetter would: see WrapIn. The poster package
// wraps with its PDF fonts through it too.
func Wrap(measure Measure, text string, width float64) []string {
	lines, _ := WrapIn(measure, text, width, 0)
	return lines
}

// WrapIn breaks text into at most maxLines lines (0: no limit) no wider
// than width. A Vietnamese word is several syllables separated by spaces,
// so a space is not always a place to break. Among the breakings with the
// fewest lines it picks the one with the most even lines (not the greedy
// fill), and it
//   - never breaks at a no-break space (U+00A0) or inside a phrase of
//     phrases (Bộ Nội vụ, Ủy ban nhân dân, Zalo OA, …), nor between an
//     agency type word (Sở, huyện, xã, …) and the name that follows;
//   - never leaves one syllable alone on the last line;
//   - avoids breaking inside a name (between capitalised syllables) or a
//     compound (a capitalised syllable and the next), and after a function
//     word (và, để, của, …); it prefers breaking after punctuation and
//     before a function word.
//
// ok is false when the text needs more than maxLines lines, or when it
// could only be wrapped by breaking one of the rules above (a word wider
// than the line is then broken between letters); the lines returned are
// the best there are, possibly more than maxLines. No-break spaces come
// back as plain spaces.
func WrapIn(measure Measure, text string, width float64, maxLines int) (lines []string, ok bool) {
	return wrapTokens(measure, textTokens(text), width, maxLines)
}

// WrapURL breaks a readable address (see ReadableURL) into lines no wider
// than width, only after a "/": a host or a path segment is never split,
// unless one alone is wider than the line. The lines are as even as they
// can be.
func WrapURL(measure Measure, url string, width float64) []string {
	lines, _ := WrapURLIn(measure, url, width, 0)
	return lines
}

// WrapURLIn is WrapURL with at most maxLines lines; ok is as for WrapIn.
func WrapURLIn(measure Measure, url string, width float64, maxLines int) ([]string, bool) {
	return wrapTokens(measure, urlTokens(url), width, maxLines)
}

// token is a piece of text no line break may fall inside.
type token struct {
	text  string  // as drawn
	syl   int     // syllables in it
	space bool    // a space separates it from the token before
	pen   float64 // the cost of breaking before it
	w     float64
}

// Costs of a breaking, in units of raggedness: a line left entirely empty
// costs rag. Lines are minimised first (line), then rule breaks and
// raggedness together. A forbidden break or an orphan costs more than a
// line, so a phrase is only broken when no number of lines avoids it.
const (
	rag       = 1000.0
	costLine  = 1e4
	costOrph  = 1e5
	costForce = 1e6 // inside a phrase, after a type word, between letters
	costName  = 300.0
	costWord  = 150.0
	costAfter = 100.0 // after a function word
	bonusPunc = -60.0 // after punctuation
	bonusFunc = -30.0 // before a function word
)

// wrapTokens finds the cheapest breaking of toks into at most maxLines
// lines by dynamic programming over (tokens placed, lines used).
func wrapTokens(measure Measure, toks []token, width float64, maxLines int) ([]string, bool) {
	if len(toks) == 0 {
		return nil, true
	}
	for attempt := 0; ; attempt++ {
		toks := splitWide(measure, toks, width)
		lines, cost, n := breakTokens(measure, toks, width, maxLines)
		if lines == nil {
			// More than maxLines are needed: say so, with the best there are.
			lines, cost, n = breakTokens(measure, toks, width, 0)
		}
		// Widths were summed per token; kerning across a space can make a
		// joined line a hair wider. Measure the result and, rarely, retry
		// on a slightly narrower line.
		over := 0.0
		for _, l := range lines {
			over = math.Max(over, measure(l)-width)
		}
		if over <= 1e-6 || attempt == 2 {
			return lines, cost < costOrph && (maxLines <= 0 || n <= maxLines)
		}
		width -= over + 1e-3
	}
}

// splitWide breaks every token wider than width between letters, into
// pieces that each fit (at least one letter each); breaking between them
// is forced, and costs as much as breaking a phrase.
func splitWide(measure Measure, toks []token, width float64) []token {
	wide := false
	for i := range toks {
		toks[i].w = measure(toks[i].text)
		wide = wide || toks[i].w > width
	}
	if !wide {
		return toks
	}
	var out []token
	for _, t := range toks {
		if t.w <= width {
			out = append(out, t)
			continue
		}
		first := true
		s := t.text
		for s != "" {
			cut := fitPrefix(measure, s, width)
			p := token{text: s[:cut], syl: 1, space: t.space && first, pen: costForce}
			if first {
				p.pen = t.pen
			}
			p.w = measure(p.text)
			out = append(out, p)
			s, first = s[cut:], false
		}
		out[len(out)-1].syl = t.syl
	}
	return out
}

// breakTokens returns the cheapest lines, their cost (without the per-line
// cost) and how many there are.
func breakTokens(measure Measure, toks []token, width float64, maxLines int) ([]string, float64, int) {
	n := len(toks)
	K := n
	if maxLines > 0 && maxLines < K {
		K = maxLines
	}
	space := measure(" ")
	inf := math.Inf(1)
	// dp[k*(n+1)+j]: the cheapest way to set tokens [0, j) in k lines;
	// from[...] the first token of the k-th line.
	dp := make([]float64, (K+1)*(n+1))
	from := make([]int32, (K+1)*(n+1))
	for i := range dp {
		dp[i] = inf
	}
	dp[0] = 0
	best, bestK := inf, 0
	for k := 1; k <= K; k++ {
		row, prev := dp[k*(n+1):], dp[(k-1)*(n+1):]
		for i := k - 1; i < n; i++ {
			if prev[i] == inf {
				continue
			}
			base := prev[i]
			if i > 0 {
				base += toks[i].pen
			}
			w, syl := 0.0, 0
			for j := i; j < n; j++ {
				if j > i && toks[j].space {
					w += space
				}
				w += toks[j].w
				syl += toks[j].syl
				if w > width && j > i {
					break
				}
				c := base + costLine
				if s := (width - w) / width; s > 0 {
					c += rag * s * s
				}
				if j == n-1 && syl == 1 && k > 1 {
					c += costOrph
				}
				if c < row[j+1] {
					row[j+1], from[k*(n+1)+j+1] = c, int32(i)
				}
			}
		}
		if row[n] < best {
			best, bestK = row[n], k
		}
	}
	if bestK == 0 {
		// Not in maxLines. (With no limit n lines always work: every
		// token fits a line on its own after splitWide.)
		return nil, 0, 0
	}
	lines := make([]string, bestK)
	j := n
	for k := bestK; k >= 1; k-- {
		i := int(from[k*(n+1)+j])
		lines[k-1] = joinTokens(toks[i:j])
		j = i
	}
	return lines, best - float64(bestK)*costLine, bestK
}

func joinTokens(toks []token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && t.space {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// textTokens splits cleaned text into syllables at spaces (a no-break
// space joins), with the cost of breaking before each.
func textTokens(text string) []token {
	var words []string
	for _, w := range strings.Split(text, " ") {
		if w != "" {
			words = append(words, w)
		}
	}
	toks := make([]token, len(words))
	keys := make([]string, len(words))
	for i, w := range words {
		toks[i] = token{text: strings.ReplaceAll(w, string(NBSP), " "), syl: 1 + strings.Count(w, string(NBSP)), space: i > 0}
		keys[i] = wordKey(w)
	}
	// Phrases: mark the gaps inside every occurrence, and where each ends,
	// so that a type word can hold on to the name after it.
	inside := make([]bool, len(words)+1) // inside[i]: the gap before word i
	typeEnd := make([]bool, len(words))  // a type word ends at word i
	phraseEdge := make([]bool, len(words)+1)
	for i := range words {
		for _, p := range phrases {
			if !matchAt(keys, i, p.words) {
				continue
			}
			end := i + len(p.words)
			for g := i + 1; g < end; g++ {
				inside[g] = true
			}
			phraseEdge[i], phraseEdge[end] = true, true
			if p.typeWord {
				typeEnd[end-1] = true
			}
		}
	}
	for i := 1; i < len(words); i++ {
		prev, cur := words[i-1], words[i]
		t := &toks[i]
		switch {
		case inside[i] || strings.HasSuffix(prev, string(NBSP)) || strings.HasPrefix(cur, string(NBSP)):
			t.pen = costForce
		case typeEnd[i-1] && !endsWithPunct(prev) && startsName(cur):
			t.pen = costForce
		case isDash(cur):
			t.pen = costForce // a line never starts with a dash
		case endsWithPunct(prev) || isDash(prev):
			t.pen = bonusPunc
		case functionWords[keys[i-1]]:
			t.pen = costAfter
		case functionWords[keys[i]]:
			t.pen = bonusFunc
		case phraseEdge[i]:
			// between two phrases, or a phrase and a word: a fine place
		case startsUpper(prev) && startsUpper(cur):
			t.pen = costName
		case startsUpper(prev) && !isAcronym(prev):
			t.pen = costWord
		}
	}
	return toks
}

// urlTokens splits a readable address after every "/".
func urlTokens(u string) []token {
	var toks []token
	for u != "" {
		i := strings.IndexByte(u, '/')
		if i < 0 {
			i = len(u) - 1
		}
		toks = append(toks, token{text: u[:i+1], syl: 2})
		u = u[i+1:]
	}
	return toks
}

// wordKey is a word as phrases are matched: lower case, without the
// punctuation around it.
func wordKey(w string) string {
	w = strings.TrimFunc(w, func(r rune) bool { return unicode.IsPunct(r) && r != '-' })
	return strings.ToLower(w)
}

func matchAt(keys []string, i int, words []string) bool {
	if i+len(words) > len(keys) {
		return false
	}
	for j, w := range words {
		if keys[i+j] != w {
			return false
		}
	}
	return true
}

func endsWithPunct(w string) bool {
	r, _ := utf8.DecodeLastRuneInString(w)
	return strings.ContainsRune(",;:.!?)", r)
}

func isDash(w string) bool { return w == "-" || w == "–" || w == "—" }

func startsUpper(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

// startsName reports whether w can begin the name after a type word: a
// capital letter or a digit (xã Tân Lập, phường 3).
func startsName(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}

// isAcronym reports whether w is all capitals (UBND, QR, OA): it is a word
// of its own, not the first syllable of a compound.
func isAcronym(w string) bool {
	n := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			if !unicode.IsUpper(r) {
				return false
			}
			n++
		}
	}
	return n > 1
}
