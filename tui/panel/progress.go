package panel

import (
	"time"

	"github.com/benchtui/benchtui/themes"
)

// Progress shows how far the run is: requests done, tokens, elapsed time and ETA.
type Progress struct {
	// Completed, Failed and Canceled count the requests that ended: completed ones, those
	// that ended with an error, and those a stop ended before they finished; Total is the
	// number of requests in the run. The bar shows what really finished (completed and
	// failed), never the canceled ones.
	Completed, Failed, Canceled, Total int
	// Running is the number of requests in flight, shown when positive.
	Running int
	// InputTokens and OutputTokens are the tokens processed so far.
	InputTokens, OutputTokens int64
	// Elapsed is the benchmark time so far; ETA the estimated time left, negative when
	// unknown.
	Elapsed, ETA time.Duration
	// Phase labels the bar, e.g. "warmup"; empty means the benchmark itself.
	Phase string
	focus

	st *themes.Styles
}

// NewProgress returns an empty progress panel drawn with st.
func NewProgress(st *themes.Styles) *Progress {
	return &Progress{st: st, ETA: -1}
}

// SetStyles changes the theme.
func (p *Progress) SetStyles(st *themes.Styles) { p.st = st }

// Ended is the number of requests that finished, completed or failed.
func (p *Progress) Ended() int { return p.Completed + p.Failed }

// Fraction is the share of requests that finished, in [0, 1].
func (p *Progress) Fraction() float64 {
	if p.Total <= 0 {
		return 0
	}
	return clampF(float64(p.Ended())/float64(p.Total), 0, 1)
}

func (p *Progress) countText() string {
	return itoa(p.Ended()) + "/" + itoa(p.Total)
}

func (p *Progress) pctText() string {
	return pct(p.Fraction() * 100)
}

// barLine is "████░░░░ 123/500 24.6%" fitted to width.
func (p *Progress) barLine(width int) string {
	st := p.st
	var l lineBuf
	tail := " " + p.countText() + " " + p.pctText()
	if p.Phase != "" {
		tail = " " + p.Phase + tail
	}
	bw := width - textWidth(tail)
	if bw < 5 {
		tail = " " + p.pctText()
		bw = width - textWidth(tail)
	}
	if bw >= 3 {
		full, empty := hbar(p.Fraction(), bw)
		l.ink(st.BarFull, full)
		l.ink(st.BarEmpty, empty)
	}
	l.ink(st.Value, tail)
	return l.fit(width)
}

func (p *Progress) timeParts() []part {
	st := p.st
	eta := "n/a"
	if p.ETA >= 0 {
		eta = dur(p.ETA)
	}
	parts := []part{
		{[]span{{"elapsed ", st.Label}, {dur(p.Elapsed), st.Value}}, 1},
		{[]span{{"ETA ", st.Label}, {eta, st.Value}}, 0},
	}
	if p.Running > 0 {
		parts = append(parts, part{[]span{{"in flight ", st.Label}, {itoa(p.Running), st.Value}}, 3})
	}
	if p.Failed > 0 {
		parts = append(parts, part{[]span{{"failed ", st.Label}, {itoa(p.Failed), st.Bad}}, 0})
	}
	if p.Canceled > 0 {
		parts = append(parts, part{[]span{{"canceled ", st.Label}, {itoa(p.Canceled), st.Warn}}, 0})
	}
	return parts
}

func (p *Progress) tokenParts() []part {
	st := p.st
	return []part{
		{[]span{{"tokens in ", st.Label}, {si(float64(p.InputTokens)), st.Value}}, 1},
		{[]span{{"out ", st.Label}, {si(float64(p.OutputTokens)), st.Value}}, 0},
	}
}

// Summary is the one-line form: "123/500 24.6% ETA 4m10s".
func (p *Progress) Summary(width int) string {
	st := p.st
	var l lineBuf
	eta := "n/a"
	if p.ETA >= 0 {
		eta = dur(p.ETA)
	}
	parts := []part{
		{[]span{{p.countText(), st.Value}}, 0},
		{[]span{{p.pctText(), st.Value}}, 1},
		{[]span{{"ETA ", st.Label}, {eta, st.Value}}, 2},
	}
	if p.Failed > 0 {
		parts = append(parts, part{[]span{{"failed ", st.Label}, {itoa(p.Failed), st.Bad}}, 3})
	}
	if p.Canceled > 0 {
		parts = append(parts, part{[]span{{"canceled ", st.Label}, {itoa(p.Canceled), st.Warn}}, 3})
	}
	fitParts(&l, parts, span{" ", st.Text}, width)
	return string(l.b)
}

// Render draws the panel in exactly width x height cells.
func (p *Progress) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	st := p.st
	if !hasBox(width, height) {
		lines := []string{p.Summary(width)}
		if height >= 2 {
			lines = []string{p.barLine(width), p.Summary(width)}
		}
		return bare(width, height, lines)
	}
	iw, ih := inner(width, height)
	b := box{st: st, focused: p.focused, title: []span{{"Progress", st.Title}}}
	if p.Total <= 0 {
		return b.message(width, height, "no run")
	}
	gap := span{"  ", st.Text}
	body := []string{p.barLine(iw)}
	if ih >= 2 {
		var l lineBuf
		fitParts(&l, p.timeParts(), gap, iw)
		body = append(body, l.fit(iw))
	}
	if ih >= 3 {
		var l lineBuf
		fitParts(&l, p.tokenParts(), gap, iw)
		body = append(body, l.fit(iw))
	}
	return b.render(width, height, body)
}
